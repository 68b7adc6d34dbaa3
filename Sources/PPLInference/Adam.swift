import CKernels
import Foundation

/// Adam (Kingma & Ba 2015) for ascent: φ ← φ + lr · m̂ / (√v̂ + ε).
public struct Adam {
    public var beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    private var m: [Double], v: [Double]
    private var t = 0

    public init(count: Int) {
        m = [Double](repeating: 0, count: count)
        v = [Double](repeating: 0, count: count)
    }

    /// One step along `scale` × `gradient`.
    public mutating func step(_ phi: UnsafeMutableBufferPointer<Double>, gradient g: UnsafeBufferPointer<Double>,
                              scale: Double = 1, lr: Double) {
        t += 1
        let c1 = 1 - pow(beta1, Double(t)), c2 = 1 - pow(beta2, Double(t))
        precondition(phi.count == m.count && g.count == m.count)
        ppl_adam(phi.baseAddress, &m, &v, g.baseAddress, phi.count, scale, beta1, beta2, c1, c2, lr, epsilon)
    }
}
