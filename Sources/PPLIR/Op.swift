/// Elementwise functions of one argument. Each has a derivative rule (PPLDiff) except
/// those marked non-differentiable.
public enum UnaryFn: String, CaseIterable, Hashable, Sendable {
    case neg, not
    case exp, log, log1p, expm1, log1m, sqrt, square, inv
    case inv_logit, logit, log_inv_logit, log1m_inv_logit, log1p_exp, log1m_exp
    case lgamma, digamma, trigamma
    case sin, cos, tan, tanh, abs, sign, erf, erfc, Phi
    case floor, ceil
    /// log(erfc(x)), without underflow for large x.
    case log_erfc
    case atan

    /// Integer-valued or piecewise-constant functions have zero derivative everywhere
    /// they have one; they are never differentiated through.
    public var isDifferentiable: Bool {
        switch self {
        case .not, .sign, .floor, .ceil: return false
        default: return true
        }
    }

    /// Keeps an int argument int (`-n`, `abs(n)`); everything else makes a real.
    public var preservesInt: Bool {
        switch self {
        case .neg, .abs, .sign, .not: return true
        default: return false
        }
    }
}

/// Elementwise functions of two arguments, with scalar broadcasting.
public enum BinaryFn: String, CaseIterable, Hashable, Sendable {
    case add, sub, mul, div, pow, fmin, fmax
    case log_sum_exp, log_diff_exp, lbeta, lchoose
    /// The angle of the point (x, y) = (b, a): atan2(y, x).
    case atan2
    case lt, le, gt, ge, eq, ne, and, or

    public var isComparison: Bool {
        switch self {
        case .lt, .le, .gt, .ge, .eq, .ne, .and, .or: return true
        default: return false
        }
    }

    /// Int op int stays int for these (`/` is integer division, as in Stan).
    public var preservesInt: Bool {
        switch self {
        case .add, .sub, .mul, .div, .fmin, .fmax: return true
        default: return false
        }
    }
}

/// The regularised incomplete beta and gamma functions, elementwise with broadcasting:
/// `inc_beta(a, b, x)` = I_x(a, b), `gamma_p(a, x)` = P(a, x) = γ(a, x) / Γ(a) and
/// `gamma_q(a, x)` = 1 − P(a, x) (Stan's names and argument orders).
public enum IncompleteFn: String, CaseIterable, Hashable, Sendable {
    case inc_beta, gamma_p, gamma_q

    public var arity: Int { self == .inc_beta ? 3 : 2 }
}

/// The random draws the `_rng` functions of the standard library are written with, each
/// elementwise over its parameters: a uniform on (a, b), a normal of mean μ and sd σ, a
/// gamma of shape α and rate 1 (Marsaglia & Tsang 2000), a Poisson of mean λ, a binomial of
/// n trials of probability p.
public enum RandomFn: String, CaseIterable, Hashable, Sendable {
    case uniform, normal, gamma, poisson, binomial

    /// The number of parameters after the key.
    public var arity: Int {
        switch self {
        case .gamma, .poisson: return 1
        case .uniform, .normal, .binomial: return 2
        }
    }

    public var isDiscrete: Bool { self == .poisson || self == .binomial }
}

/// The operations of the IR. Every op is pure; loops and branches are region ops whose
/// blocks yield their results, so there is no hidden state.
public enum Op: Hashable, Sendable {
    /// A real or int constant (the result type says which).
    case const(Double)
    /// A named input of the program.
    case input(String)
    /// The int value of a symbolic size.
    case size(Size)
    case unary(UnaryFn)
    /// The n-th derivative of digamma, elementwise (n ≥ 0; 0 is digamma, 1 trigamma).
    case polygamma(Int)
    case binary(BinaryFn)
    /// An incomplete beta or gamma function or, where `orders` are not all zero, its partial
    /// derivative of those orders in each argument (one order per argument).
    case incomplete(IncompleteFn, orders: [Int])
    /// `select(c, a, b)`: elementwise `c != 0 ? a : b`.
    case select
    /// Sum of all elements.
    case sum
    /// log(sum(exp(x))) over all elements.
    case logSumExp
    case cumulativeSum
    /// Smallest / largest element (non-differentiable at ties).
    case minElement, maxElement
    /// Inner product of two vectors of equal length.
    case dot
    /// matrix×vector, matrix×matrix, row_vector×matrix, row_vector×vector, vector×row_vector.
    case matmul
    case transpose
    /// `L \ b` for lower-triangular L (vector or matrix b).
    case triSolveLower
    /// `L' \ b` for lower-triangular L: the adjoint of `triSolveLower`.
    case triSolveLowerT
    /// The lower triangle (with the diagonal) of a square matrix; zeros above.
    case tril
    /// The lower-triangular Cholesky factor L of a symmetric positive-definite matrix A = L Lᵀ,
    /// computed from A's lower triangle; NaN where A is not positive definite.
    case cholesky
    case diagonal
    case diagMatrix
    /// A scalar repeated to the result's shape.
    case fill
    /// Scalars packed into the result vector / row vector, in order.
    case pack
    /// `range(a, b)`: the int vector a, a+1, ..., b.
    case range
    /// Two vectors (or row vectors) end to end.
    case concat
    /// The same elements, row-major, with the result's shape.
    case reshape
    /// The argument's value, with no derivative: the differentiator treats it as a constant
    /// (the sticking-the-landing estimator of Roeder et al. 2017 uses it).
    case stopGradient
    /// `at(x, i)`: element(s) of a vector (any int index shape) or row(s) of a matrix
    /// (an int gives a vector, an int vector gives a matrix).
    case at
    /// `at2(X, i, j)`: matrix elements; int vectors select outer products (Stan's `X[I, J]`).
    case at2
    /// `set(x, i, v)`: x with element(s) / row(s) i replaced by v (functional update).
    case set
    /// `set2(X, i, j, v)`: X with element (i, j) replaced by v.
    case set2
    /// `scatter_add(x, i, v)`: x with v added at element(s) / row(s) i (repeated indices add
    /// up): the adjoint of `at`.
    case scatterAdd
    /// `scatter_add2(X, i, j, v)`: the adjoint of `at2`.
    case scatterAdd2
    /// `loop(lo, hi, init...)`: one region with params (index, carried...) yielding the next
    /// carried values; results are the carried values after the last iteration.
    case loop
    /// `cond(c)`: two regions (then, else) with no params, each yielding the results.
    case cond
    /// `random(k1, ..., kn, params...)`: a draw from `fn` for each element, a pure function
    /// of the site, the key values (n = `keys`: the posterior draw and the indices of the
    /// loops around the call), the element's position and the parameters. A counter-based
    /// generator rather than a stateful one, so that the op is pure like every other:
    /// equal arguments give equal draws, and common subexpressions, hoisting and
    /// vectorisation stay valid.
    case random(RandomFn, site: Int, keys: Int)

    /// Ops whose value never carries a derivative.
    public var isDifferentiable: Bool {
        switch self {
        case .const, .size, .range, .stopGradient, .random: return false
        case .unary(let f): return f.isDifferentiable
        case .polygamma: return true
        case .binary(let f): return !f.isComparison
        default: return true
        }
    }

    /// Gathers and scatters: the ops whose indices are checked at run time.
    public var indexes: Bool {
        switch self {
        case .at, .at2, .set, .set2, .scatterAdd, .scatterAdd2: return true
        default: return false
        }
    }

    public var mnemonic: String {
        switch self {
        case .const: return "const"
        case .input: return "input"
        case .size: return "size"
        case .unary(let f): return f.rawValue
        case .polygamma(let n): return "polygamma\(n)"
        case .incomplete(let f, let orders):
            return orders.allSatisfy { $0 == 0 } ? f.rawValue : f.rawValue + "_d" + orders.map(String.init).joined()
        case .binary(let f): return f.rawValue
        case .select: return "select"
        case .sum: return "sum"
        case .logSumExp: return "log_sum_exp"
        case .cumulativeSum: return "cumulative_sum"
        case .minElement: return "min"
        case .maxElement: return "max"
        case .dot: return "dot"
        case .matmul: return "matmul"
        case .transpose: return "transpose"
        case .triSolveLower: return "tri_solve_lower"
        case .triSolveLowerT: return "tri_solve_lower_t"
        case .tril: return "tril"
        case .cholesky: return "cholesky"
        case .concat: return "concat"
        case .reshape: return "reshape"
        case .stopGradient: return "stop_gradient"
        case .scatterAdd: return "scatter_add"
        case .scatterAdd2: return "scatter_add2"
        case .diagonal: return "diagonal"
        case .diagMatrix: return "diag_matrix"
        case .fill: return "fill"
        case .pack: return "pack"
        case .range: return "range"
        case .at: return "at"
        case .at2: return "at2"
        case .set: return "set"
        case .set2: return "set2"
        case .loop: return "loop"
        case .cond: return "cond"
        case .random(let f, let site, _): return "random_\(f.rawValue)#\(site)"
        }
    }
}
