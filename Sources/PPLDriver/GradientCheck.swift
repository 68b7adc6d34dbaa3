import PPLEngine
import PPLIR

/// Compares the symbolic gradient and Hessian-vector product with central finite
/// differences (Richardson-extrapolated, error O(h^4)) at seeded standard-normal points.
public struct GradientCheck {
    public var gradientError = 0.0
    public var hessianVectorError = 0.0
    public var nonFinite = 0
    public let points: Int

    public static let gradientTolerance = 1e-6
    public static let hessianVectorTolerance = 1e-4

    public var passed: Bool {
        gradientError <= GradientCheck.gradientTolerance && hessianVectorError <= GradientCheck.hessianVectorTolerance
    }

    public init(runtime: ModelRuntime, points: Int = 10, seed: UInt64 = 1) throws {
        self.points = points
        let d = runtime.dimension
        let density = try runtime.executable(runtime.space.density, batch: 4 * max(1, d))
        let gradient = try runtime.executable(try runtime.gradientProgram())
        let hvp = try runtime.executable(try runtime.hessianVectorProgram())
        let gradientBatch = try runtime.executable(try runtime.gradientProgram(), batch: 4)
        var rng = RNG(seed: seed)
        for _ in 0..<points {
            let theta = (0..<d).map { _ in rng.normal() }
            let direction = (0..<d).map { _ in rng.normal() }
            // Symbolic gradient and H·v.
            gradient.input("theta").update(from: theta)
            try gradient.run()
            let g = Array(gradient.output("grad.theta"))
            hvp.input("theta").update(from: theta)
            hvp.input("tangent.theta").update(from: direction)
            try hvp.run()
            let hv = Array(hvp.output("hvp.theta"))
            // Finite differences of the density, all 4·d perturbations in one batch.
            let steps = (0..<d).map { 1e-3 * max(1, abs(theta[$0])) }
            let buffer = density.input("theta")
            for i in 0..<d {
                for (k, m) in [1.0, -1.0, 0.5, -0.5].enumerated() {
                    var p = theta
                    p[i] += m * steps[i]
                    let row = (4 * i + k) * d
                    for j in 0..<d { buffer[row + j] = p[j] }
                }
            }
            try density.run()
            for i in 0..<d {
                let f = (0..<4).map { density.output("target", particle: 4 * i + $0)[0] }
                let fd = GradientCheck.richardson(f, steps[i])
                gradientError = max(gradientError, error(g[i], fd))
            }
            // Finite differences of the gradient along the direction.
            let h = 1e-3
            let gb = gradientBatch.input("theta")
            for (k, m) in [1.0, -1.0, 0.5, -0.5].enumerated() {
                for j in 0..<d { gb[k * d + j] = theta[j] + m * h * direction[j] }
            }
            try gradientBatch.run()
            let gs = (0..<4).map { Array(gradientBatch.output("grad.theta", particle: $0)) }
            for i in 0..<d {
                let fd = GradientCheck.richardson(gs.map { $0[i] }, h)
                hessianVectorError = max(hessianVectorError, error(hv[i], fd))
            }
        }
    }

    /// (4 D(h/2) - D(h)) / 3 from f(x+h), f(x-h), f(x+h/2), f(x-h/2).
    static func richardson(_ f: [Double], _ h: Double) -> Double {
        let dh = (f[0] - f[1]) / (2 * h), dh2 = (f[2] - f[3]) / h
        return (4 * dh2 - dh) / 3
    }

    /// |exact - approx| / max(1, |approx|); infinite (and counted) when either is not finite.
    private mutating func error(_ exact: Double, _ approx: Double) -> Double {
        guard exact.isFinite, approx.isFinite else {
            nonFinite += 1
            return .infinity
        }
        return abs(exact - approx) / max(1, abs(approx))
    }
}

extension UnsafeMutableBufferPointer where Element == Double {
    func update(from values: [Double]) {
        for (i, v) in values.enumerated() { self[i] = v }
    }
}
