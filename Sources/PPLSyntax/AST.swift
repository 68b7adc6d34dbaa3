/// The syntax tree of a `.ppl` file. Every node carries the span it was parsed from.

public struct Identifier: Hashable, Sendable {
    public let name: String
    public let span: SourceSpan
    public init(_ name: String, span: SourceSpan) {
        self.name = name
        self.span = span
    }
}

public enum UnaryOp: String, Sendable { case neg = "-", not = "!", plus = "+" }

public enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", elemMul = ".*", elemDiv = "./", pow = "^"
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">=", and = "&&", or = "||"
}

/// One position in `x[...]` (grammar: index).
public enum IndexArg: Sendable {
    case single(Expr)
    /// `a:b`, `a:`, `:b` or `:`.
    case range(Expr?, Expr?)
}

public indirect enum ExprKind: Sendable {
    case intLiteral(Int)
    case realLiteral(Double)
    case name(String)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case ternary(Expr, Expr, Expr)
    /// `f(args)`; for `d_lpdf(x | a, b)` the arguments are `[x, a, b]` and `conditional` is true.
    case call(Identifier, [Expr], conditional: Bool)
    case index(Expr, [IndexArg])
    case transpose(Expr)
    /// `[a, b, c]`, a row_vector as in Stan.
    case array([Expr])
}

public struct Expr: Sendable {
    public var kind: ExprKind
    public var span: SourceSpan
    public init(_ kind: ExprKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public enum BaseType: String, CaseIterable, Sendable {
    case int, real, vector, row_vector, matrix, simplex, ordered, positive_ordered
    case cholesky_factor_corr, cholesky_factor_cov, corr_matrix, cov_matrix
}

/// `lower=`, `upper=`, `offset=` or `multiplier=` in a type's angle brackets.
public struct Bound: Sendable {
    public enum Kind: String, Sendable { case lower, upper, offset, multiplier }
    public let kind: Kind
    public let value: Expr
    public let span: SourceSpan
}

/// A declared type (grammar: type, sig_type). `sizes` are the base type's own (`vector[K]`);
/// `arrayDims` the dimensions of an array of it: `array[N, M] vector[K]`, and the old
/// spellings `int[N]` and `real[N, M]`. Signature types have no sizes and no bounds; an
/// array there has `arrayRank` dimensions and no `arrayDims` (`array[,] real`, `int[]`).
public struct TypeExpr: Sendable {
    public var base: BaseType
    public var bounds: [Bound]
    public var sizes: [Expr]
    public var arrayDims: [Expr]
    public var arrayRank: Int
    /// Written `array[...] T` rather than in an old spelling (`int[N]`, `real[N]`).
    public var arraySyntax: Bool
    public var span: SourceSpan
    public var isArray: Bool { arrayRank > 0 }
    /// A vector, row vector or matrix type (of any kind), not a scalar one.
    public var isContainer: Bool {
        switch base {
        case .int, .real: return false
        case .vector, .row_vector, .matrix, .simplex, .ordered, .positive_ordered,
             .cholesky_factor_corr, .cholesky_factor_cov, .corr_matrix, .cov_matrix: return true
        }
    }
    public init(base: BaseType, bounds: [Bound], sizes: [Expr], arrayDims: [Expr] = [], arrayRank: Int = 0,
                arraySyntax: Bool = false, span: SourceSpan) {
        self.base = base
        self.bounds = bounds
        self.sizes = sizes
        self.arrayDims = arrayDims
        self.arrayRank = arrayRank
        self.arraySyntax = arraySyntax
        self.span = span
    }
}

public struct Param: Sendable {
    public let name: Identifier
    public let type: TypeExpr
}

/// A function or logpdf body: `= expr` or `{ statements; return expr }`.
public enum Body: Sendable {
    case expr(Expr)
    case block([Stmt])
}

public struct FnDef: Sendable {
    public let name: Identifier
    public let params: [Param]
    public let result: TypeExpr
    public let body: Body
    public let span: SourceSpan
}

/// `lcdf(x) = ...` or `lccdf(x) = ...` in a distribution's body: the log of the cdf, or of
/// the complementary cdf, of one element.
public struct DistFunction: Sendable {
    public let variate: Identifier
    public let body: Body
}

/// `rng(...) = ...` in a distribution's body: one draw of one element, as
/// `NAME_rng(args)`. Its parameter list names the distribution's parameters in the order
/// `NAME_rng` takes them, with extra typed ones where a draw needs more than the density
/// (`rng(theta, N: int)` for multinomial); `rng()` takes the distribution's, in order.
public struct DistRng: Sendable {
    /// Each parameter: a distribution parameter (its name) or an extra one (typed).
    public let params: [Param]
    /// Which of `params` are the distribution's own (written without a type).
    public let own: [Bool]
    public let body: Body
    public let span: SourceSpan
    public init(params: [Param], own: [Bool], body: Body, span: SourceSpan) {
        self.params = params
        self.own = own
        self.body = body
        self.span = span
    }
}

public struct DistDef: Sendable {
    public let name: Identifier
    public let params: [Param]
    public let support: TypeExpr
    /// The logpdf's variate and body.
    public let variate: Identifier
    public let body: Body
    public let lcdf: DistFunction?
    public let lccdf: DistFunction?
    public let rng: DistRng?
    public let span: SourceSpan
}

/// `T[L, U]` after a `~` statement: the distribution truncated to [L, U]; either bound may
/// be left out.
public struct Truncation: Sendable {
    public let lower: Expr?
    public let upper: Expr?
    public let span: SourceSpan
}

public indirect enum GuideValue: Sendable {
    case int(Int)
    case real(Double)
    case name(String)
    case list([GuideValue])
    /// `hvi { leapfrog = 4 }`: a family with its own keys, as an amortized guide's `refine`.
    case block(String, [(key: String, value: GuideValue)])
}

public struct GuideEntry: Sendable {
    public let key: Identifier
    public let value: GuideValue
    public let valueSpan: SourceSpan
}

public struct GuideDecl: Sendable {
    public let name: Identifier
    /// The family named after `=`; when absent the name is the family.
    public let family: Identifier?
    public let entries: [GuideEntry]
    public let span: SourceSpan
}

public indirect enum StmtKind: Sendable {
    case data(Identifier, TypeExpr)
    case param(Identifier, TypeExpr)
    case let_(Identifier, TypeExpr?, Expr?)
    /// `name[i, j][k] = value`; `indices` may be empty only for a diagnostic. The parser
    /// reads `x += e` (and `-=`, `*=`, `/=`, `.*=`, `./=`) as `x = x + e`.
    case assign(Identifier, [[IndexArg]], Expr)
    case tilde(Expr, Identifier, [Expr], Truncation?)
    case targetPlus(Expr)
    case for_(Identifier, Expr, Expr, [Stmt])
    case if_(Expr, [Stmt], [Stmt]?)
    /// `{ statements }`: a scope whose `let`s are local to it (never reported).
    case block([Stmt])
    case return_(Expr)
    case fn(FnDef)
    case dist(DistDef)
    case guide(GuideDecl)
    case import_(String)
    /// `generate { ... }`: statements run once per posterior draw after the fit, whose
    /// `let`s are reported with the draws (Stan's generated quantities).
    case generate([Stmt])
}

public struct Stmt: Sendable {
    public var kind: StmtKind
    public var span: SourceSpan
    public init(_ kind: StmtKind, span: SourceSpan) {
        self.kind = kind
        self.span = span
    }
}

public struct SourceProgram: Sendable {
    public let file: SourceFile
    public let items: [Stmt]
    /// The names of `fn` and `dist` definitions that did not parse (their errors reported):
    /// their uses add no "unknown function" or "unknown distribution" errors.
    public var unparsedDefinitions: Set<String> = []
}
