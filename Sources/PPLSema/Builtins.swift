import PPLIR

/// What an argument of a builtin may be. The checker tests it before lowering, and its
/// `phrase` names it in the error.
public enum ArgKind: Sendable {
    /// Anything: a scalar or a container, int or real (elementwise functions broadcast,
    /// reductions take a scalar as it is). What the lowered op cannot take, it reports.
    case any
    /// A scalar, int or real.
    case scalar
    /// A vector, row_vector, matrix or int[]: not a scalar.
    case container
    /// A vector or row_vector of reals.
    case vector
    /// A vector, row_vector or int[].
    case oneDimensional
    /// A matrix.
    case matrix
    /// An int built from int data and literals: the size of the result.
    case size
    /// An int.
    case int

    public var phrase: String {
        switch self {
        case .any: return "any value"
        case .scalar: return "a scalar"
        case .container: return "a container"
        case .vector: return "a vector or row_vector"
        case .oneDimensional: return "a vector, row_vector or int[]"
        case .matrix: return "a matrix"
        case .size: return "an int size"
        case .int: return "an int"
        }
    }

    /// The type written in a signature (`x: vector`); none for `any`.
    var written: String? {
        switch self {
        case .any: return nil
        case .scalar: return "scalar"
        case .container: return "container"
        case .vector: return "vector"
        case .oneDimensional: return "vector | int[]"
        case .matrix: return "matrix"
        case .size, .int: return "int"
        }
    }

    func accepts(_ t: IRType) -> Bool {
        switch self {
        case .any: return true
        case .scalar: return t.isScalar
        case .container: return !t.isScalar
        case .vector: return t.shape.rank == 1 && t.elem == .real
        case .oneDimensional: return t.shape.rank == 1
        case .matrix: if case .matrix = t.shape { return true } else { return false }
        case .size, .int: return t == .int
        }
    }
}

/// An argument of a builtin: its name in the signature and its kind. `verb` replaces
/// "takes" in the error (`'rep_vector' repeats a scalar, not vector[N]`).
public struct BuiltinParam: Sendable {
    public let name: String
    public let kind: ArgKind
    public let verb: String?

    public init(_ name: String, _ kind: ArgKind = .any, verb: String? = nil) {
        self.name = name
        self.kind = kind
        self.verb = verb
    }
}

/// The type of a builtin's result, given its arguments.
public enum ResultRule: Sendable {
    /// The arguments' broadcast shape, elementwise (real, or int where the op keeps ints).
    case elementwise
    /// A real scalar.
    case real
    /// A scalar of the argument's element type (the sum of ints is an int).
    case scalar
    /// An int.
    case int
    /// The type of argument k.
    case sameAs(Int)
    /// A vector, row_vector or matrix whose sizes are given by the size arguments
    /// (by position), or by the argument where none is given.
    case vector(size: Int?)
    case rowVector(size: Int?)
    case matrix(rows: Int?, cols: Int?)
    /// A type that depends on the arguments' kinds, as the text says.
    case computed(String)

    func written(_ params: [BuiltinParam]) -> String {
        func n(_ k: Int?) -> String { k.map { "[\(params[$0].name)]" } ?? "" }
        switch self {
        case .elementwise: return "elementwise"
        case .real: return "-> real"
        case .scalar: return "-> scalar"
        case .int: return "-> int"
        case .sameAs(let k): return "-> the type of \(params[k].name)"
        case .vector(let k): return "-> vector" + n(k)
        case .rowVector(let k): return "-> row_vector" + n(k)
        case .matrix(let r, let c):
            if let r, let c { return "-> matrix[\(params[r].name), \(params[c].name)]" }
            return "-> matrix"
        case .computed(let text): return "-> " + text
        }
    }
}

/// How a builtin is lowered to IR.
public enum BuiltinImpl: Sendable {
    /// Elementwise on scalars, vectors and matrices.
    case unary(UnaryFn)
    /// Elementwise with scalar broadcasting.
    case binary(BinaryFn)
    /// An incomplete beta or gamma function, elementwise with scalar broadcasting.
    case incomplete(IncompleteFn)
    /// Lowered by `Elaborator.special`, which switches over every case.
    case special(SpecialFn)
    /// Lowered by `Elaborator.containerFunction`, which switches over every case.
    case container(ContainerFn)
    /// Elementwise, with scalar broadcasting: a composition of elementwise ops, lowered by
    /// `Elaborator.composedFunction`.
    case composed(ComposedFn)
}

public enum SpecialFn: String, Sendable {
    case sum, mean, sd, variance, dot_product, dot_self, log_sum_exp, log_mix, log_mix_vectors, softmax, log_softmax
    case cumulative_sum, rep_vector, rep_row_vector, rep_matrix, size, rows, cols
    case min, max, pi, e, sqrt2, negative_infinity, positive_infinity, not_a_number
    case diagonal, diag_matrix, mdivide_left_tri_low, to_vector, to_row_vector, inv_sqrt
    /// Every element of an array (where `size` counts its first dimension).
    case num_elements
    case diag_pre_multiply, diag_post_multiply, multiply_lower_tri_self_transpose, log_determinant_spd
}

/// The builtins lowered by `Elaborator.containerFunction`: linear algebra, and building,
/// cutting and joining containers.
public enum ContainerFn: String, Sendable {
    case cholesky_decompose, log_determinant_spd, gp_exp_quad_cov, quad_form, quad_form_sym, quad_form_diag, add_diag
    case append_row, append_col, rep_array, segment, head, tail, reverse, to_matrix
    case cov_exp_quad, crossprod, tcrossprod, trace, identity_matrix, columns_dot_product, rows_dot_product
    case mdivide_left_spd, mdivide_right_spd, mdivide_right_tri_low, inverse_spd
    case distance, squared_distance, norm1, norm2, prod
    case col, row, block, sub_col, sub_row, linspaced_vector, ones_vector, zeros_vector, ones_row_vector, zeros_row_vector
}

/// Stan's elementwise functions that are compositions of the elementwise ops (so their
/// derivatives come from those ops' rules).
public enum ComposedFn: String, Sendable {
    case log10, log2, exp2, cbrt, hypot, fma, fdim, inv_square, inv_cloglog, Phi_approx, step, int_step
    case sinh, cosh, asinh, acosh, atanh, asin, acos, tgamma, lmultiply, multiply_log, binomial_coefficient_log
    case trunc, round, fmod
}

/// One signature of a builtin function: its typed arguments, its result, how it lowers, and
/// what it computes (for `ppl check --list`).
public struct Builtin: Sendable {
    public let name: String
    public let params: [BuiltinParam]
    public let result: ResultRule
    public let impl: BuiltinImpl
    /// Vector arguments must have one length (checked with the data where the sizes are
    /// symbols).
    public let equalLengths: Bool
    public let doc: String?

    init(_ name: String, _ params: [BuiltinParam], _ result: ResultRule, _ impl: BuiltinImpl,
         equalLengths: Bool = false, _ doc: String? = nil) {
        self.name = name
        self.params = params
        self.result = result
        self.impl = impl
        self.equalLengths = equalLengths
        self.doc = doc
    }

    /// `rep_vector(x: scalar, n: int) -> vector[n]`, with what it computes.
    public var signature: String {
        let ps = params.map { p in p.kind.written.map { "\(p.name): \($0)" } ?? p.name }
        return "\(name)(\(ps.joined(separator: ", "))) \(result.written(params))" + (doc.map { ": " + $0 } ?? "")
    }
}

/// The one table of builtin functions, one signature per line, read by the checker (arity,
/// argument kinds, lowering) and by `ppl check --list`. A name with several signatures
/// (`log_sum_exp(x)`, `log_sum_exp(a, b)`) is chosen by its number of arguments.
/// Distributions are written in the language (`stdlib/*.ppl`); `dist` blocks there become
/// the distribution table.
public enum Builtins {
    private static let x = BuiltinParam("x")
    private static func unary(_ name: String, _ f: UnaryFn, _ doc: String? = nil) -> Builtin {
        Builtin(name, [x], .elementwise, .unary(f), doc)
    }
    private static func binary(_ name: String, _ f: BinaryFn, _ doc: String? = nil, names: (String, String) = ("a", "b")) -> Builtin {
        Builtin(name, [BuiltinParam(names.0), BuiltinParam(names.1)], .elementwise, .binary(f), doc)
    }
    private static func composed(_ name: String, _ f: ComposedFn, _ doc: String? = nil, _ names: String...) -> Builtin {
        Builtin(name, (names.isEmpty ? ["x"] : names).map { BuiltinParam($0) }, .elementwise, .composed(f), doc)
    }
    private static func constant(_ name: String, _ s: SpecialFn, _ doc: String?) -> Builtin {
        Builtin(name, [], .real, .special(s), doc)
    }

    public static let table: [Builtin] = [
        unary("exp", .exp),
        unary("log", .log),
        unary("log1p", .log1p, "log(1 + x)"),
        unary("expm1", .expm1, "exp(x) - 1"),
        unary("log1m", .log1m, "log(1 - x)"),
        unary("sqrt", .sqrt),
        unary("square", .square),
        unary("inv", .inv, "1 / x"),
        Builtin("inv_sqrt", [x], .elementwise, .special(.inv_sqrt), "1 / sqrt(x)"),
        unary("inv_logit", .inv_logit, "1 / (1 + exp(-x))"),
        unary("logit", .logit, "log(x / (1 - x))"),
        unary("log_inv_logit", .log_inv_logit),
        unary("log1m_inv_logit", .log1m_inv_logit),
        unary("log1p_exp", .log1p_exp, "log(1 + exp(x))"),
        unary("log1m_exp", .log1m_exp, "log(1 - exp(x))"),
        unary("lgamma", .lgamma),
        unary("digamma", .digamma),
        unary("trigamma", .trigamma),
        unary("sin", .sin),
        unary("cos", .cos),
        unary("tan", .tan),
        unary("tanh", .tanh),
        unary("abs", .abs),
        unary("fabs", .abs, "Stan's name for abs"),
        unary("sign", .sign),
        unary("floor", .floor),
        unary("ceil", .ceil),
        unary("erf", .erf),
        unary("erfc", .erfc),
        unary("Phi", .Phi, "the standard normal CDF"),
        unary("log_erfc", .log_erfc, "log(erfc(x)), without underflow in the upper tail"),
        unary("atan", .atan),
        binary("atan2", .atan2, "the angle of the point (x, y)", names: ("y", "x")),
        Builtin("inc_beta", [BuiltinParam("a"), BuiltinParam("b"), BuiltinParam("x")], .elementwise, .incomplete(.inc_beta),
                "the regularised incomplete beta function I_x(a, b)"),
        Builtin("gamma_p", [BuiltinParam("a"), BuiltinParam("x")], .elementwise, .incomplete(.gamma_p),
                "the regularised lower incomplete gamma function P(a, x)"),
        Builtin("gamma_q", [BuiltinParam("a"), BuiltinParam("x")], .elementwise, .incomplete(.gamma_q),
                "the regularised upper incomplete gamma function Q(a, x) = 1 - P(a, x)"),
        binary("fmin", .fmin),
        binary("fmax", .fmax),
        binary("pow", .pow, "a ^ b"),
        binary("lbeta", .lbeta, "log Beta(a, b)"),
        binary("lchoose", .lchoose, "log of the binomial coefficient n choose k", names: ("n", "k")),
        binary("log_diff_exp", .log_diff_exp, "log(exp(a) - exp(b))"),
        Builtin("log_sum_exp", [x], .real, .special(.log_sum_exp), "log(sum(exp(x))) over all elements"),
        binary("log_sum_exp", .log_sum_exp, "log(exp(a) + exp(b))"),
        Builtin("log_mix", [BuiltinParam("theta"), BuiltinParam("lp1"), BuiltinParam("lp2")], .elementwise, .special(.log_mix),
                "log(theta exp(lp1) + (1 - theta) exp(lp2))"),
        Builtin("log_mix", [BuiltinParam("theta", .vector), BuiltinParam("lps", .vector)], .real, .special(.log_mix_vectors),
                equalLengths: true, "log(sum(theta .* exp(lps)))"),
        Builtin("sum", [x], .scalar, .special(.sum), "the sum of all elements"),
        Builtin("mean", [x], .real, .special(.mean), "the mean of all elements"),
        Builtin("sd", [BuiltinParam("x", .container)], .real, .special(.sd), "the sample standard deviation"),
        Builtin("variance", [BuiltinParam("x", .container)], .real, .special(.variance), "the sample variance"),
        Builtin("min", [x], .scalar, .special(.min), "the smallest element"),
        binary("min", .fmin),
        Builtin("max", [x], .scalar, .special(.max), "the largest element"),
        binary("max", .fmax),
        Builtin("dot_product", [BuiltinParam("a", .vector), BuiltinParam("b", .vector)], .real, .special(.dot_product),
                equalLengths: true),
        Builtin("dot_self", [BuiltinParam("x", .vector)], .real, .special(.dot_self), "dot_product(x, x)"),
        Builtin("softmax", [BuiltinParam("x", .vector)], .sameAs(0), .special(.softmax)),
        Builtin("log_softmax", [BuiltinParam("x", .vector)], .sameAs(0), .special(.log_softmax)),
        Builtin("cumulative_sum", [BuiltinParam("x", .vector)], .sameAs(0), .special(.cumulative_sum)),
        Builtin("rep_vector", [BuiltinParam("x", .scalar, verb: "repeats"), BuiltinParam("n", .size)], .vector(size: 1),
                .special(.rep_vector)),
        Builtin("rep_row_vector", [BuiltinParam("x", .scalar, verb: "repeats"), BuiltinParam("n", .size)], .rowVector(size: 1),
                .special(.rep_row_vector)),
        Builtin("rep_matrix", [BuiltinParam("x", .scalar, verb: "repeats"), BuiltinParam("r", .size), BuiltinParam("c", .size)],
                .matrix(rows: 1, cols: 2), .special(.rep_matrix)),
        Builtin("size", [x], .int, .special(.size), "the number of elements"),
        Builtin("num_elements", [x], .int, .special(.num_elements), "the number of elements"),
        Builtin("rows", [x], .int, .special(.rows)),
        Builtin("cols", [x], .int, .special(.cols)),
        Builtin("diagonal", [BuiltinParam("M")], .vector(size: nil), .special(.diagonal), "the diagonal of a square matrix"),
        Builtin("diag_matrix", [BuiltinParam("v", .vector)], .matrix(rows: nil, cols: nil), .special(.diag_matrix),
                "the square matrix with diagonal v"),
        Builtin("diag_pre_multiply", [BuiltinParam("v", .vector), BuiltinParam("M", .matrix)], .sameAs(1), .special(.diag_pre_multiply),
                "diag_matrix(v) * M: row i of M times v[i]"),
        Builtin("diag_post_multiply", [BuiltinParam("M", .matrix), BuiltinParam("v", .vector)], .sameAs(0), .special(.diag_post_multiply),
                "M * diag_matrix(v): column j of M times v[j]"),
        Builtin("multiply_lower_tri_self_transpose", [BuiltinParam("L", .matrix)], .matrix(rows: nil, cols: nil),
                .special(.multiply_lower_tri_self_transpose), "L * L' for lower-triangular L"),
        Builtin("log_determinant_spd", [BuiltinParam("A", .matrix)], .real, .special(.log_determinant_spd),
                "log det A of a symmetric positive-definite A, from its Cholesky factor"),
        Builtin("mdivide_left_tri_low", [BuiltinParam("L", .matrix), BuiltinParam("b")], .sameAs(1), .special(.mdivide_left_tri_low),
                "L \\ b for lower-triangular L, b a vector or matrix"),
        Builtin("to_vector", [BuiltinParam("x", .oneDimensional)], .vector(size: nil), .special(.to_vector)),
        Builtin("to_row_vector", [BuiltinParam("x", .vector)], .rowVector(size: nil), .special(.to_row_vector)),
        Builtin("to_matrix", [BuiltinParam("x")], .matrix(rows: nil, cols: nil), .container(.to_matrix),
                "a vector as one column, a row_vector as one row, a matrix as it is"),
        Builtin("to_matrix", [BuiltinParam("x", .container), BuiltinParam("m", .size), BuiltinParam("n", .size)],
                .matrix(rows: 1, cols: 2), .container(.to_matrix), "the m * n elements of x, column by column (as Stan)"),
        Builtin("to_matrix", [BuiltinParam("x", .container), BuiltinParam("m", .size), BuiltinParam("n", .size),
                              BuiltinParam("col_major", .int)],
                .matrix(rows: 1, cols: 2), .container(.to_matrix), "column by column, or row by row where col_major is 0"),
        Builtin("cholesky_decompose", [BuiltinParam("A", .matrix)], .sameAs(0), .container(.cholesky_decompose),
                "the lower-triangular L with A = L * L' of a symmetric positive-definite A (from its lower triangle)"),
        Builtin("log_determinant_spd", [BuiltinParam("A", .matrix)], .real, .container(.log_determinant_spd),
                "log |A| of a symmetric positive-definite A, by its Cholesky factor"),
        Builtin("gp_exp_quad_cov", [BuiltinParam("x", .container), BuiltinParam("alpha", .scalar), BuiltinParam("rho", .scalar)],
                .matrix(rows: nil, cols: nil), .container(.gp_exp_quad_cov),
                "K[i, j] = alpha^2 exp(-|x[i] - x[j]|^2 / (2 rho^2)); the points are x's elements, or its rows for a matrix"),
        Builtin("gp_exp_quad_cov", [BuiltinParam("x1", .container), BuiltinParam("x2", .container), BuiltinParam("alpha", .scalar),
                                    BuiltinParam("rho", .scalar)],
                .matrix(rows: nil, cols: nil), .container(.gp_exp_quad_cov), "the cross-covariance between the points x1 and x2"),
        Builtin("quad_form", [BuiltinParam("A", .matrix), BuiltinParam("B")], .computed("real for a vector B, matrix for a matrix B"),
                .container(.quad_form), "B' * A * B"),
        Builtin("quad_form_sym", [BuiltinParam("A", .matrix), BuiltinParam("B")], .computed("real for a vector B, matrix for a matrix B"),
                .container(.quad_form_sym), "B' * A * B, made exactly symmetric"),
        Builtin("quad_form_diag", [BuiltinParam("M", .matrix), BuiltinParam("v", .vector)], .sameAs(0), .container(.quad_form_diag),
                "diag_matrix(v) * M * diag_matrix(v)"),
        Builtin("add_diag", [BuiltinParam("M", .matrix), BuiltinParam("d")], .sameAs(0), .container(.add_diag),
                "M with d (a scalar or a vector) added to its diagonal"),
        Builtin("append_row", [BuiltinParam("a"), BuiltinParam("b")],
                .computed("vector for scalars and vectors; matrix for row_vectors and matrices"), .container(.append_row),
                "b below a"),
        Builtin("append_col", [BuiltinParam("a"), BuiltinParam("b")],
                .computed("row_vector for scalars and row_vectors; matrix for vectors and matrices"), .container(.append_col),
                "b to the right of a"),
        Builtin("rep_array", [BuiltinParam("x", .scalar, verb: "repeats"), BuiltinParam("n", .size)],
                .computed("int[n] for an int x, else vector[n]"), .container(.rep_array), "n copies of x"),
        Builtin("segment", [BuiltinParam("x", .oneDimensional), BuiltinParam("i", .int), BuiltinParam("n", .size)],
                .computed("the kind of x, with n elements"), .container(.segment), "x[i:(i + n - 1)]"),
        Builtin("head", [BuiltinParam("x", .oneDimensional), BuiltinParam("n", .size)], .computed("the kind of x, with n elements"),
                .container(.head), "the first n elements"),
        Builtin("tail", [BuiltinParam("x", .oneDimensional), BuiltinParam("n", .size)], .computed("the kind of x, with n elements"),
                .container(.tail), "the last n elements"),
        Builtin("reverse", [BuiltinParam("x", .oneDimensional)], .sameAs(0), .container(.reverse), "the elements in reverse order"),
        composed("log10", .log10, "log(x) / log(10)"),
        composed("log2", .log2, "log(x) / log(2)"),
        composed("exp2", .exp2, "2^x"),
        composed("cbrt", .cbrt, "the real cube root"),
        composed("hypot", .hypot, "sqrt(x^2 + y^2)", "x", "y"),
        composed("fma", .fma, "x * y + z", "x", "y", "z"),
        composed("fdim", .fdim, "fmax(x - y, 0)", "x", "y"),
        composed("inv_square", .inv_square, "1 / x^2"),
        composed("inv_cloglog", .inv_cloglog, "1 - exp(-exp(x))"),
        composed("Phi_approx", .Phi_approx, "inv_logit(0.07056 x^3 + 1.5976 x), Stan's logistic approximation of Phi"),
        composed("step", .step, "0 where x < 0, else 1 (as Stan: step(0) is 1)"),
        Builtin("int_step", [x], .computed("ints, elementwise"), .composed(.int_step), "1 where x > 0, else 0"),
        composed("sinh", .sinh),
        composed("cosh", .cosh),
        composed("asinh", .asinh),
        composed("acosh", .acosh),
        composed("atanh", .atanh),
        composed("asin", .asin),
        composed("acos", .acos),
        composed("tgamma", .tgamma, "the gamma function, exp(lgamma(x)) with its sign"),
        composed("lmultiply", .lmultiply, "x log(y), 0 where x = 0", "x", "y"),
        composed("multiply_log", .multiply_log, "lmultiply(x, y)", "x", "y"),
        composed("binomial_coefficient_log", .binomial_coefficient_log, "lchoose(n, k)", "n", "k"),
        composed("trunc", .trunc, "x rounded toward zero"),
        composed("round", .round, "x rounded to the nearest integer, halves away from zero"),
        composed("fmod", .fmod, "x - trunc(x / y) y", "x", "y"),
        Builtin("cov_exp_quad", [BuiltinParam("x", .container), BuiltinParam("alpha", .scalar), BuiltinParam("rho", .scalar)],
                .matrix(rows: nil, cols: nil), .container(.cov_exp_quad), "gp_exp_quad_cov(x, alpha, rho), Stan's older name"),
        Builtin("crossprod", [BuiltinParam("A", .matrix)], .matrix(rows: nil, cols: nil), .container(.crossprod), "A' * A"),
        Builtin("tcrossprod", [BuiltinParam("A", .matrix)], .matrix(rows: nil, cols: nil), .container(.tcrossprod), "A * A'"),
        Builtin("trace", [BuiltinParam("A", .matrix)], .real, .container(.trace), "the sum of the diagonal"),
        Builtin("identity_matrix", [BuiltinParam("n", .size)], .matrix(rows: 0, cols: 0), .container(.identity_matrix),
                "the n x n identity"),
        Builtin("columns_dot_product", [BuiltinParam("A", .matrix), BuiltinParam("B", .matrix)], .computed("row_vector"),
                .container(.columns_dot_product), "the dot products of the columns of A and B"),
        Builtin("rows_dot_product", [BuiltinParam("A", .matrix), BuiltinParam("B", .matrix)], .computed("vector"),
                .container(.rows_dot_product), "the dot products of the rows of A and B"),
        Builtin("mdivide_left_spd", [BuiltinParam("A", .matrix), BuiltinParam("b")], .sameAs(1), .container(.mdivide_left_spd),
                "A \\ b for a symmetric positive-definite A, by its Cholesky factor"),
        Builtin("mdivide_right_spd", [BuiltinParam("b"), BuiltinParam("A", .matrix)], .sameAs(0), .container(.mdivide_right_spd),
                "b / A for a symmetric positive-definite A, by its Cholesky factor (a vector b as a row)"),
        Builtin("mdivide_right_tri_low", [BuiltinParam("b"), BuiltinParam("L", .matrix)], .sameAs(0), .container(.mdivide_right_tri_low),
                "b / L for a lower-triangular L (a vector b as a row)"),
        Builtin("inverse_spd", [BuiltinParam("A", .matrix)], .sameAs(0), .container(.inverse_spd),
                "the inverse of a symmetric positive-definite A, by its Cholesky factor"),
        Builtin("distance", [BuiltinParam("a", .vector), BuiltinParam("b", .vector)], .real, .container(.distance), "the Euclidean distance"),
        Builtin("squared_distance", [BuiltinParam("a", .vector), BuiltinParam("b", .vector)], .real, .container(.squared_distance),
                "the squared Euclidean distance"),
        Builtin("norm1", [BuiltinParam("x", .container)], .real, .container(.norm1), "the sum of the absolute values"),
        Builtin("norm2", [BuiltinParam("x", .container)], .real, .container(.norm2), "the Euclidean norm"),
        Builtin("prod", [BuiltinParam("x", .container)], .real, .container(.prod), "the product of the elements"),
        Builtin("col", [BuiltinParam("A", .matrix), BuiltinParam("j", .int)], .computed("vector"), .container(.col), "A[:, j]"),
        Builtin("row", [BuiltinParam("A", .matrix), BuiltinParam("i", .int)], .computed("row_vector"), .container(.row), "A[i, :]"),
        Builtin("block", [BuiltinParam("A", .matrix), BuiltinParam("i", .int), BuiltinParam("j", .int), BuiltinParam("n_rows", .size),
                          BuiltinParam("n_cols", .size)],
                .matrix(rows: 3, cols: 4), .container(.block), "the n_rows x n_cols block of A from row i, column j"),
        Builtin("sub_col", [BuiltinParam("A", .matrix), BuiltinParam("i", .int), BuiltinParam("j", .int), BuiltinParam("n", .size)],
                .vector(size: 3), .container(.sub_col), "the n elements of column j of A from row i"),
        Builtin("sub_row", [BuiltinParam("A", .matrix), BuiltinParam("i", .int), BuiltinParam("j", .int), BuiltinParam("n", .size)],
                .rowVector(size: 3), .container(.sub_row), "the n elements of row i of A from column j"),
        Builtin("linspaced_vector", [BuiltinParam("n", .size), BuiltinParam("lo", .scalar), BuiltinParam("hi", .scalar)],
                .vector(size: 0), .container(.linspaced_vector), "n evenly spaced values from lo to hi"),
        Builtin("ones_vector", [BuiltinParam("n", .size)], .vector(size: 0), .container(.ones_vector), nil),
        Builtin("zeros_vector", [BuiltinParam("n", .size)], .vector(size: 0), .container(.zeros_vector), nil),
        Builtin("ones_row_vector", [BuiltinParam("n", .size)], .rowVector(size: 0), .container(.ones_row_vector), nil),
        Builtin("zeros_row_vector", [BuiltinParam("n", .size)], .rowVector(size: 0), .container(.zeros_row_vector), nil),
        constant("pi", .pi, "3.14159..."),
        constant("e", .e, "2.71828..."),
        constant("sqrt2", .sqrt2, "1.41421..."),
        constant("negative_infinity", .negative_infinity, nil),
        constant("positive_infinity", .positive_infinity, nil),
        constant("not_a_number", .not_a_number, nil),
    ]

    /// The signatures of each name.
    public static let byName: [String: [Builtin]] = Dictionary(grouping: table, by: \.name)
}
