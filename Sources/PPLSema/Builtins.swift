import PPLIR

/// How a builtin is lowered to IR.
public enum BuiltinImpl: Sendable {
    /// Elementwise on scalars, vectors and matrices.
    case unary(UnaryFn)
    /// Elementwise with scalar broadcasting.
    case binary(BinaryFn)
    /// Lowered by `Elaborator.lowerSpecial`, which switches over every case.
    case special(SpecialFn)
}

public enum SpecialFn: String, Sendable {
    case sum, mean, sd, variance, dot_product, dot_self, log_sum_exp, log_mix, softmax, log_softmax
    case cumulative_sum, rep_vector, rep_row_vector, rep_matrix, size, rows, cols, num_elements
    case min, max, pi, e, sqrt2, negative_infinity, positive_infinity, not_a_number
    case diagonal, diag_matrix, mdivide_left_tri_low, to_vector, to_row_vector, pow, inv_sqrt
}

/// One builtin function: its name, how it lowers, and its signatures for `ppl check --list`.
public struct Builtin: Sendable {
    public let name: String
    public let impl: BuiltinImpl
    public let signature: String
}

/// The one table of builtin functions read by the checker, the lowering and `ppl check --list`.
/// Distributions are written in the language (`stdlib/*.ppl`); `dist` blocks there become the
/// distribution table.
public enum Builtins {
    public static let table: [Builtin] = [
        Builtin(name: "exp", impl: .unary(.exp), signature: "exp(x) elementwise"),
        Builtin(name: "log", impl: .unary(.log), signature: "log(x) elementwise"),
        Builtin(name: "log1p", impl: .unary(.log1p), signature: "log1p(x) = log(1 + x), elementwise"),
        Builtin(name: "expm1", impl: .unary(.expm1), signature: "expm1(x) = exp(x) - 1, elementwise"),
        Builtin(name: "log1m", impl: .unary(.log1m), signature: "log1m(x) = log(1 - x), elementwise"),
        Builtin(name: "sqrt", impl: .unary(.sqrt), signature: "sqrt(x) elementwise"),
        Builtin(name: "square", impl: .unary(.square), signature: "square(x) elementwise"),
        Builtin(name: "inv", impl: .unary(.inv), signature: "inv(x) = 1 / x, elementwise"),
        Builtin(name: "inv_sqrt", impl: .special(.inv_sqrt), signature: "inv_sqrt(x) = 1 / sqrt(x), elementwise"),
        Builtin(name: "inv_logit", impl: .unary(.inv_logit), signature: "inv_logit(x) = 1 / (1 + exp(-x)), elementwise"),
        Builtin(name: "logit", impl: .unary(.logit), signature: "logit(p) = log(p / (1 - p)), elementwise"),
        Builtin(name: "log_inv_logit", impl: .unary(.log_inv_logit), signature: "log_inv_logit(x) elementwise"),
        Builtin(name: "log1m_inv_logit", impl: .unary(.log1m_inv_logit), signature: "log1m_inv_logit(x) elementwise"),
        Builtin(name: "log1p_exp", impl: .unary(.log1p_exp), signature: "log1p_exp(x) = log(1 + exp(x)), elementwise"),
        Builtin(name: "log1m_exp", impl: .unary(.log1m_exp), signature: "log1m_exp(x) = log(1 - exp(x)), elementwise"),
        Builtin(name: "lgamma", impl: .unary(.lgamma), signature: "lgamma(x) elementwise"),
        Builtin(name: "digamma", impl: .unary(.digamma), signature: "digamma(x) elementwise"),
        Builtin(name: "trigamma", impl: .unary(.trigamma), signature: "trigamma(x) elementwise"),
        Builtin(name: "sin", impl: .unary(.sin), signature: "sin(x) elementwise"),
        Builtin(name: "cos", impl: .unary(.cos), signature: "cos(x) elementwise"),
        Builtin(name: "tan", impl: .unary(.tan), signature: "tan(x) elementwise"),
        Builtin(name: "tanh", impl: .unary(.tanh), signature: "tanh(x) elementwise"),
        Builtin(name: "abs", impl: .unary(.abs), signature: "abs(x) elementwise"),
        Builtin(name: "fabs", impl: .unary(.abs), signature: "fabs(x) elementwise (Stan's name for abs)"),
        Builtin(name: "sign", impl: .unary(.sign), signature: "sign(x) elementwise"),
        Builtin(name: "floor", impl: .unary(.floor), signature: "floor(x) elementwise"),
        Builtin(name: "ceil", impl: .unary(.ceil), signature: "ceil(x) elementwise"),
        Builtin(name: "erf", impl: .unary(.erf), signature: "erf(x) elementwise"),
        Builtin(name: "erfc", impl: .unary(.erfc), signature: "erfc(x) elementwise"),
        Builtin(name: "Phi", impl: .unary(.Phi), signature: "Phi(x), the standard normal CDF, elementwise"),
        Builtin(name: "fmin", impl: .binary(.fmin), signature: "fmin(a, b) elementwise"),
        Builtin(name: "fmax", impl: .binary(.fmax), signature: "fmax(a, b) elementwise"),
        Builtin(name: "pow", impl: .special(.pow), signature: "pow(a, b) = a ^ b, elementwise"),
        Builtin(name: "lbeta", impl: .binary(.lbeta), signature: "lbeta(a, b) = log Beta(a, b), elementwise"),
        Builtin(name: "lchoose", impl: .binary(.lchoose), signature: "lchoose(n, k) = log binomial coefficient, elementwise"),
        Builtin(name: "log_diff_exp", impl: .binary(.log_diff_exp), signature: "log_diff_exp(a, b) = log(exp(a) - exp(b))"),
        Builtin(name: "log_sum_exp", impl: .special(.log_sum_exp), signature: "log_sum_exp(x) over a container; log_sum_exp(a, b) elementwise"),
        Builtin(name: "log_mix", impl: .special(.log_mix), signature: "log_mix(theta, lp1, lp2); log_mix(theta: vector, lps: vector)"),
        Builtin(name: "sum", impl: .special(.sum), signature: "sum(x) over all elements"),
        Builtin(name: "mean", impl: .special(.mean), signature: "mean(x) over all elements"),
        Builtin(name: "sd", impl: .special(.sd), signature: "sd(x), sample standard deviation"),
        Builtin(name: "variance", impl: .special(.variance), signature: "variance(x), sample variance"),
        Builtin(name: "min", impl: .special(.min), signature: "min(x) over a container; min(a, b) elementwise"),
        Builtin(name: "max", impl: .special(.max), signature: "max(x) over a container; max(a, b) elementwise"),
        Builtin(name: "dot_product", impl: .special(.dot_product), signature: "dot_product(a, b) for vectors"),
        Builtin(name: "dot_self", impl: .special(.dot_self), signature: "dot_self(x) = dot_product(x, x)"),
        Builtin(name: "softmax", impl: .special(.softmax), signature: "softmax(x: vector) -> vector"),
        Builtin(name: "log_softmax", impl: .special(.log_softmax), signature: "log_softmax(x: vector) -> vector"),
        Builtin(name: "cumulative_sum", impl: .special(.cumulative_sum), signature: "cumulative_sum(x: vector) -> vector"),
        Builtin(name: "rep_vector", impl: .special(.rep_vector), signature: "rep_vector(x: real, n: int) -> vector[n]"),
        Builtin(name: "rep_row_vector", impl: .special(.rep_row_vector), signature: "rep_row_vector(x: real, n: int) -> row_vector[n]"),
        Builtin(name: "rep_matrix", impl: .special(.rep_matrix), signature: "rep_matrix(x: real, r: int, c: int) -> matrix[r, c]"),
        Builtin(name: "size", impl: .special(.size), signature: "size(x) -> int, the number of elements of a vector or array"),
        Builtin(name: "num_elements", impl: .special(.num_elements), signature: "num_elements(x) -> int"),
        Builtin(name: "rows", impl: .special(.rows), signature: "rows(x) -> int"),
        Builtin(name: "cols", impl: .special(.cols), signature: "cols(x) -> int"),
        Builtin(name: "diagonal", impl: .special(.diagonal), signature: "diagonal(M: matrix) -> vector"),
        Builtin(name: "diag_matrix", impl: .special(.diag_matrix), signature: "diag_matrix(v: vector) -> matrix"),
        Builtin(name: "mdivide_left_tri_low", impl: .special(.mdivide_left_tri_low), signature: "mdivide_left_tri_low(L: matrix, b) = L \\ b for lower-triangular L"),
        Builtin(name: "to_vector", impl: .special(.to_vector), signature: "to_vector(x: row_vector | vector | int[]) -> vector"),
        Builtin(name: "to_row_vector", impl: .special(.to_row_vector), signature: "to_row_vector(x: vector | row_vector) -> row_vector"),
        Builtin(name: "pi", impl: .special(.pi), signature: "pi() = 3.14159..."),
        Builtin(name: "e", impl: .special(.e), signature: "e() = 2.71828..."),
        Builtin(name: "sqrt2", impl: .special(.sqrt2), signature: "sqrt2() = 1.41421..."),
        Builtin(name: "negative_infinity", impl: .special(.negative_infinity), signature: "negative_infinity()"),
        Builtin(name: "positive_infinity", impl: .special(.positive_infinity), signature: "positive_infinity()"),
        Builtin(name: "not_a_number", impl: .special(.not_a_number), signature: "not_a_number()"),
    ]

    public static let byName: [String: Builtin] = Dictionary(table.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
}
