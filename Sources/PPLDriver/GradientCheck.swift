import PPLEngine
import PPLIR

/// Compares the symbolic gradient and Hessian-vector product with central finite
/// differences (Richardson-extrapolated, error O(h^4), at an adaptively chosen step) at
/// seeded standard-normal points.
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

    /// A failure to compile or run the programs is a failed computation.
    public init(runtime: ModelRuntime, points: Int = 10, seed: UInt64 = 1) throws(PPLError) {
        self.points = points
        do {
            let d = runtime.dimension
            let scales = GradientCheck.scales
            let perPoint = 4 * scales.count
            let density = try runtime.executable(runtime.space.density, batch: perPoint * max(1, d))
            let gradientProgram = try runtime.gradientProgram()
            let gradient = try runtime.executable(gradientProgram)
            let hvp = try runtime.executable(try runtime.hessianVectorProgram())
            let gradientBatch = try runtime.executable(gradientProgram, batch: perPoint)
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
                // Finite differences of the density: every perturbation of every coordinate in one batch.
                let buffer = density.input("theta")
                for i in 0..<d {
                    for (k, m) in GradientCheck.offsets(scales).enumerated() {
                        let row = (perPoint * i + k) * d
                        for j in 0..<d { buffer[row + j] = theta[j] }
                        buffer[row + i] += m * max(1, abs(theta[i]))
                    }
                }
                try density.run()
                for i in 0..<d {
                    let f = (0..<perPoint).map { density.output("target", particle: perPoint * i + $0)[0] }
                    let fd = GradientCheck.derivative(f, scales.map { $0 * max(1, abs(theta[i])) })
                    gradientError = max(gradientError, error(g[i], fd))
                }
                // Finite differences of the gradient along the direction.
                let gb = gradientBatch.input("theta")
                for (k, m) in GradientCheck.offsets(scales).enumerated() {
                    for j in 0..<d { gb[k * d + j] = theta[j] + m * direction[j] }
                }
                try gradientBatch.run()
                let gs = (0..<perPoint).map { Array(gradientBatch.output("grad.theta", particle: $0)) }
                for i in 0..<d {
                    let fd = GradientCheck.derivative(gs.map { $0[i] }, scales)
                    hessianVectorError = max(hessianVectorError, error(hv[i], fd))
                }
            }
        } catch {
            throw PPLError(error, otherwise: .computation)
        }
    }

    /// The check every fit runs first: at `points` seeded points, the gradient along a random
    /// unit direction against Richardson-extrapolated differences of the density along it —
    /// a handful of evaluations whatever the dimension. A point counts only where the
    /// differences agree with themselves (successive step sizes within 1e-7), so a rough or
    /// non-finite density cannot raise a false alarm; the largest disagreement there,
    /// relative to max(1, |derivative|), is returned (0 when no point could be used).
    /// `gradient` is the program checked (default: the runtime's own gradient program).
    public static func alongDirections(runtime: ModelRuntime, gradient program: Program? = nil, points: Int = 2,
                                       seed: UInt64 = 0xC4EC) throws(PPLError) -> Double {
        guard runtime.dimension > 0 else { return 0 }
        let checked: Program
        if let program { checked = program } else { checked = try runtime.gradientProgram() }
        return try alongDirections(density: runtime.space.density, gradient: checked, data: runtime.densityData,
                                   dimension: runtime.dimension, points: points, seed: seed)
    }

    /// The same check of any density over θ (of `dimension` coordinates) and its gradient
    /// program, with the data `data`: a minibatched fit's is its batch's density.
    public static func alongDirections(density program: Program, gradient checked: Program, data: [String: Tensor],
                                       dimension d: Int, points: Int = 2, seed: UInt64 = 0xC4EC) throws(PPLError) -> Double {
        guard d > 0 else { return 0 }
        func executable(_ p: Program, batch: Int) throws(PPLError) -> Executable {
            let varying = Set(p.inputs.filter { $0.role == .param }.map(\.name))
            return try PPLError.during(.computation) { try Executable(p, varying: varying, data: data, batch: batch) }
        }
        let gradient = try executable(checked, batch: 1)
        let density = try executable(program, batch: 4 * scales.count)
        var rng = RNG(seed: seed)
        var worst = 0.0, used = 0
        do {
            for _ in 0..<(10 * points) where used < points {
                let theta = (0..<d).map { _ in rng.normal() }
                var direction = (0..<d).map { _ in rng.normal() }
                let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
                direction = direction.map { $0 / norm }
                gradient.input("theta").update(from: theta)
                try gradient.run()
                let slope = zip(gradient.output("grad.theta"), direction).reduce(0) { $0 + $1.0 * $1.1 }
                let buffer = density.input("theta")
                for (k, m) in offsets(scales).enumerated() {
                    for j in 0..<d { buffer[k * d + j] = theta[j] + m * direction[j] }
                }
                try density.run()
                let f = (0..<(4 * scales.count)).map { density.output("target", particle: $0)[0] }
                let estimates = scales.indices.map { k in richardson(Array(f[(4 * k)..<(4 * k + 4)]), scales[k]) }
                guard slope.isFinite, estimates.allSatisfy(\.isFinite) else { continue }
                let fd = estimates.last!
                let consistent = zip(estimates, estimates.dropFirst()).contains { abs($0 - $1) <= 1e-7 * max(1, abs(fd)) }
                guard consistent else { continue }
                worst = max(worst, abs(slope - fd) / max(1, abs(fd)))
                used += 1
            }
        } catch {
            throw PPLError(error, otherwise: .computation)
        }
        return worst
    }

    /// Step sizes tried; the derivative keeps the pair of estimates that agree best.
    static let scales = [1e-2, 2e-3, 4e-4]

    /// +h, -h, +h/2, -h/2 for each step h.
    static func offsets(_ scales: [Double]) -> [Double] {
        scales.flatMap { [$0, -$0, $0 / 2, -$0 / 2] }
    }

    /// Richardson-extrapolated central differences at several steps (values in the order of
    /// `offsets`); of successive estimates, the pair closest together gives the result —
    /// large steps suffer truncation, small ones rounding.
    static func derivative(_ f: [Double], _ steps: [Double]) -> Double {
        let estimates = steps.indices.map { k in richardson(Array(f[(4 * k)..<(4 * k + 4)]), steps[k]) }
        var best = estimates.last!, gap = Double.infinity
        for k in 0..<(estimates.count - 1) where abs(estimates[k] - estimates[k + 1]) < gap {
            gap = abs(estimates[k] - estimates[k + 1])
            best = estimates[k + 1]
        }
        return best
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
