import Foundation
import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax

/// Allocates segments of the flat parameter vector φ, with their starting values.
struct ParameterLayout {
    private(set) var initial: [Double] = []
    private var rng: RNG

    init(seed: UInt64 = 20_240) { rng = RNG(seed: seed) }

    var count: Int { initial.count }

    /// A segment filled with a constant; returns its offset.
    mutating func constant(_ n: Int, _ value: Double) -> Int {
        defer { initial += [Double](repeating: value, count: n) }
        return initial.count
    }

    /// A segment holding `xs`; returns its offset.
    mutating func values<C: Collection<Double>>(_ xs: C) -> Int {
        defer { initial += xs }
        return initial.count
    }

    /// A segment of small normal draws (scale `scale`), seeded so fits are reproducible.
    mutating func random(_ n: Int, scale: Double) -> Int {
        defer { for _ in 0..<n { initial.append(scale * rng.normal()) } }
        return initial.count
    }
}

/// What each activation a guide block may name computes.
extension Activation {
    func apply(_ e: Emitter, _ x: Value) -> Value {
        switch self {
        case .tanh: return e.un(.tanh, x)
        case .relu: return e.bin(.fmax, x, e.c(0))
        case .softplus: return e.un(.log1p_exp, x)
        case .sigmoid: return e.un(.inv_logit, x)
        case .elu: return e.select(e.bin(.gt, x, e.c(0)), x, e.un(.expm1, e.bin(.fmin, x, e.c(0))))
        case .leaky_relu:
            // x times its slope (1 or 0.01): the slope has no derivative, so the gradient is
            // one product too.
            return e.mul(x, e.select(e.bin(.gt, x, e.c(0)), e.c(1), e.c(0.01)))
        }
    }
}

/// One dense layer y = (W ⊙ M) x + b over φ-segments; M (optional) is a constant mask.
struct DenseLayer {
    let rows: Int, cols: Int
    let weights: Int, bias: Int
    let mask: String?

    /// Allocates the layer's parameters: weights ~ N(0, scale²), biases `bias`.
    init(_ layout: inout ParameterLayout, rows: Int, cols: Int, scale: Double, bias: Double = 0, mask: String? = nil) {
        self.rows = rows
        self.cols = cols
        weights = layout.random(rows * cols, scale: scale)
        self.bias = layout.constant(rows, bias)
        self.mask = mask
    }

    func apply(_ e: Emitter, _ phi: Value, _ x: Value, _ constants: [String: Value]) -> Value {
        e.add(e.matmul(matrix(e, phi, constants), x), e.segment(phi, bias, rows))
    }

    /// W ⊙ M as a rows × cols matrix.
    func matrix(_ e: Emitter, _ phi: Value, _ constants: [String: Value]) -> Value {
        let w = e.b.append(.reshape, [e.segment(phi, weights, rows * cols)], type: .matrix(Size(rows), Size(cols)))
        if let mask, let m = constants[mask] { return e.mul(w, m) }
        return w
    }
}
