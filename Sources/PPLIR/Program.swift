/// An SSA value. Ids are unique within a program; the printer renumbers them.
public struct Value: Hashable, Comparable, Sendable {
    public let id: Int
    public init(_ id: Int) { self.id = id }
    public static func < (a: Value, b: Value) -> Bool { a.id < b.id }
}

public struct Instr: Sendable {
    public var results: [Value]
    public var op: Op
    public var args: [Value]
    public var regions: [Block]
    /// For a gather or a scatter, which can fail at run time: the source it comes from.
    public var site: SourceSite?
    /// For a loop whose trip count is not a size of the data: a size (a transformed-data
    /// value) no execution of it exceeds, which the differentiator's tape needs.
    public var tripBound: Size?

    public var result: Value { results[0] }

    public init(results: [Value], op: Op, args: [Value], regions: [Block], site: SourceSite? = nil, tripBound: Size? = nil) {
        self.results = results
        self.op = op
        self.args = args
        self.regions = regions
        self.site = site
        self.tripBound = tripBound
    }
}

/// Where an instruction that can fail at run time comes from, for its message:
/// `model.ppl:12` and the indexed expression, `'y'`.
public struct SourceSite: Hashable, Sendable {
    public let location: String
    public let subject: String
    public init(location: String, subject: String) {
        self.location = location
        self.subject = subject
    }
}

/// A straight-line list of instructions; region ops nest blocks.
public struct Block: Sendable {
    public var params: [Value]
    public var instrs: [Instr]
    public var yields: [Value]

    public init(params: [Value] = [], instrs: [Instr] = [], yields: [Value] = []) {
        self.params = params
        self.instrs = instrs
        self.yields = yields
    }
}

/// A bound of a constrained type (or an offset or multiplier): a constant, a value computed
/// once from the data (a data input, or an output of the transformed-data program named
/// `NAME.lower` / `NAME.upper`), or a value computed from the params inside the density
/// (`upper = 1 - alpha1`: an output of the model's `param_bounds` program, named likewise).
public enum BoundValue: Hashable, Sendable, CustomStringConvertible {
    case constant(Double)
    case named(String)
    case computed(String)

    public var description: String {
        switch self {
        case .constant(let c): return formatNumber(c)
        case .named(let n), .computed(let n): return n
        }
    }
}

/// The constraint of a declared variable; for a param it selects the bijector.
public enum Constraint: Hashable, Sendable, CustomStringConvertible {
    case none
    case lower(BoundValue)
    case upper(BoundValue)
    case lowerUpper(BoundValue, BoundValue)
    /// `<offset=o, multiplier=m>`: x = o + m y.
    case affine(offset: BoundValue, multiplier: BoundValue)
    case simplex
    case ordered
    case positiveOrdered
    /// Lower-triangular with positive diagonal and rows of unit length: L L' is a correlation matrix.
    case choleskyFactorCorr
    /// Lower-triangular (M×N, M ≥ N) with positive diagonal.
    case choleskyFactorCov
    case corrMatrix
    case covMatrix

    public var description: String { text { $0.description } }

    /// The constraint as written, each bound spelt by `bound`.
    public func text(_ bound: (BoundValue) -> String) -> String {
        switch self {
        case .none: return ""
        case .lower(let l): return "<lower=\(bound(l))>"
        case .upper(let u): return "<upper=\(bound(u))>"
        case .lowerUpper(let l, let u): return "<lower=\(bound(l)), upper=\(bound(u))>"
        case .affine(let o, let m):
            var parts: [String] = []
            if o != .constant(0) { parts.append("offset=\(bound(o))") }
            if m != .constant(1) { parts.append("multiplier=\(bound(m))") }
            return "<" + parts.joined(separator: ", ") + ">"
        case .simplex: return "simplex"
        case .ordered: return "ordered"
        case .positiveOrdered: return "positive_ordered"
        case .choleskyFactorCorr: return "cholesky_factor_corr"
        case .choleskyFactorCov: return "cholesky_factor_cov"
        case .corrMatrix: return "corr_matrix"
        case .covMatrix: return "cov_matrix"
        }
    }

    /// The bounds (offset, multiplier) the constraint depends on.
    public var bounds: [BoundValue] {
        switch self {
        case .lower(let b), .upper(let b): return [b]
        case .lowerUpper(let l, let u): return [l, u]
        case .affine(let o, let m): return [o, m]
        case .none, .simplex, .ordered, .positiveOrdered, .choleskyFactorCorr, .choleskyFactorCov, .corrMatrix, .covMatrix:
            return []
        }
    }

    /// Whether the constraint is a type of its own (`simplex[K]`, `cov_matrix[K]`) rather
    /// than bounds on a base type (`vector<lower=0>[N]`).
    public var isType: Bool {
        switch self {
        case .simplex, .ordered, .positiveOrdered, .choleskyFactorCorr, .choleskyFactorCov, .corrMatrix, .covMatrix:
            return true
        case .none, .lower, .upper, .lowerUpper, .affine:
            return false
        }
    }

    /// The declared type as written, with sizes: `real<lower=0>`, `simplex[K]`,
    /// `cholesky_factor_cov[M, N]`; `base` spells an unconstrained `type`, `bound` the bounds.
    public func typeText(_ type: IRType, base: String, bound: (BoundValue) -> String = { $0.description }) -> String {
        switch self {
        case .simplex, .ordered, .positiveOrdered:
            // A matrix of them is an array, one per row.
            if case .matrix(let r, let k) = type.shape { return "\(self)[\(k)] rows of matrix[\(r), \(k)]" }
            return "\(self)[\(type.shape.count)]"
        case .choleskyFactorCorr, .corrMatrix, .covMatrix, .choleskyFactorCov:
            guard case .matrix(let r, let c) = type.shape else { return "\(self)" }
            return r == c ? "\(self)[\(r)]" : "\(self)[\(r), \(c)]"
        case .none, .lower, .upper, .lowerUpper, .affine:
            if let bracket = base.firstIndex(of: "[") {
                return String(base[..<bracket]) + text(bound) + String(base[bracket...])
            }
            return base + text(bound)
        }
    }

    /// Length of the unconstrained representation of a value of `type` (Stan reference
    /// manual, "Constraint transforms"): K - 1 for a K-simplex (for each row of a matrix
    /// of them, an array of simplexes), K(K-1)/2 for a K×K
    /// correlation matrix or its Cholesky factor, K(K+1)/2 for a covariance matrix, and
    /// N(N+1)/2 + (M-N)N for an M×N Cholesky factor of a covariance matrix.
    public func unconstrainedSize(of type: IRType) -> Size {
        /// n(n+1)/2.
        func triangle(_ n: Size) -> Size { (n * (n + Size(1))).dividedExactly(by: 2) }
        let (rows, cols): (Size, Size)
        if case .matrix(let r, let c) = type.shape { (rows, cols) = (r, c) } else { (rows, cols) = (Size(1), type.shape.count) }
        switch self {
        case .none, .lower, .upper, .lowerUpper, .affine, .ordered, .positiveOrdered: return type.shape.count
        case .simplex: return type.shape.count - (type.shape.rank == 2 ? rows : Size(1))
        case .choleskyFactorCorr, .corrMatrix: return triangle(cols - Size(1))
        case .covMatrix: return triangle(cols)
        case .choleskyFactorCov: return triangle(cols) + (rows - cols) * cols
        }
    }
}

/// What an input of a program is: data, transformed data, a param, or (for generated
/// quantities) the key of a posterior draw that seeds its random draws.
public enum InputRole: String, Sendable { case data, tdata, param, draw }

public struct Input: Sendable {
    public var name: String
    public var value: Value
    public var role: InputRole
    public var type: IRType
    public var constraint: Constraint

    public init(name: String, value: Value, role: InputRole, type: IRType, constraint: Constraint) {
        self.name = name
        self.value = value
        self.role = role
        self.type = type
        self.constraint = constraint
    }
}

/// A size equality the checker could not prove; verified when the data are loaded.
public struct SizeAssumption: Hashable, Sendable {
    public var lhs: Size
    public var rhs: Size
    public init(lhs: Size, rhs: Size) {
        self.lhs = lhs
        self.rhs = rhs
    }
}

/// An IR program: named inputs, a body, named outputs (the body's yields).
public struct Program: Sendable {
    public var name: String
    public var inputs: [Input]
    public var body: Block
    public var outputNames: [String]
    /// Types of all values, by id.
    public var types: [IRType]

    public init(name: String, inputs: [Input], body: Block, outputNames: [String], types: [IRType]) {
        self.name = name
        self.inputs = inputs
        self.body = body
        self.outputNames = outputNames
        self.types = types
    }

    public func type(of v: Value) -> IRType { types[v.id] }

    public var outputs: [(name: String, value: Value)] {
        Array(zip(outputNames, body.yields)).map { ($0.0, $0.1) }
    }
}

func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
}
