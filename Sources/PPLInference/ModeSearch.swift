import COpenBLAS
import Foundation
import PPLEngine
import PPLIR

/// The mode of a log density over the unconstrained space and its curvature there, by a
/// damped Newton method (Hessians differenced from the exact gradient; at the mode, the
/// exact Hessian: one Hessian-vector product per coordinate, all in one batched evaluation). Newton's method is affine-invariant: predictors on scales
/// from 1 to 10⁴, or strongly correlated coefficients, cost it nothing, where first-order
/// methods crawl. Its stopping rule, the Newton decrement gᵀH⁻¹g / 2 (the predicted
/// distance to the optimum, in nats), is affine-invariant too.
public struct ModeSearch {
    /// Largest dimension searched: the Hessian is dense (d² numbers, d³ to factor).
    public static let largestDimension = 400

    public struct Mode: Sendable {
        public let location: [Double]
        public let logDensity: Double
        /// L with L Lᵀ = H, H = −∇² log p at the mode, row-major lower triangle.
        public let curvatureFactor: [Double]
        public let iterations: Int

        public init(location: [Double], logDensity: Double, curvatureFactor: [Double], iterations: Int) {
            (self.location, self.logDensity, self.curvatureFactor, self.iterations) = (location, logDensity, curvatureFactor, iterations)
        }
    }

    public enum Outcome: Sendable {
        case found(Mode)
        /// Why there is no mode to start from (a density that grows without bound, a
        /// saddle, a dimension too large).
        case none(String)
        /// A line along which the log density stays constant: the posterior is improper
        /// (params the model does not identify, such as μ and ν in y ~ normal(μ + ν, 1)
        /// without priors). `direction` is a unit vector of θ.
        case flat(direction: [Double])
    }

    let gradient: Executable
    let hessian: Executable
    let d: Int
    /// For a rank of a sharded fit: the sum over the ranks of its part's value, gradient and
    /// curvature, so that every rank searches alike.
    let ranks: RankSum?

    /// `gradient` has input `theta` and outputs `target` and `grad.theta`; `hessianVector`
    /// also input `tangent.theta` and output `hvp.theta`. The Hessian's columns are computed
    /// as many at once as fit in `bufferBytes` of buffers: at a million rows of data, all 21
    /// of logistic_big's at once took 3.4 GB.
    public init(gradient: Program, hessianVector: Program, data: [String: Tensor], dimension d: Int,
                bufferBytes: Int = 256 << 20, ranks: RankSum? = nil) throws {
        self.d = d
        self.ranks = ranks
        self.gradient = try Executable(gradient, varying: ["theta"], data: data)
        let columns = try Executable.batch(hessianVector, varying: ["theta", "tangent.theta"], data: data, upTo: max(1, d),
                                           bytes: bufferBytes)
        hessian = try Executable(hessianVector, varying: ["theta", "tangent.theta"], data: data, batch: columns)
    }

    /// Searches from `start`, until the Newton decrement is below `tolerance` nats.
    public func run(from start: [Double], maxIterations: Int = 100, tolerance: Double = 1e-9) -> Outcome {
        guard d <= ModeSearch.largestDimension else {
            return .none("the dimension \(d) is above \(ModeSearch.largestDimension), where the dense curvature is not formed")
        }
        guard d > 0 else { return .none("the model has no parameters") }
        var theta = start
        guard var (f, g) = evaluate(theta), f.isFinite else {
            return .none("the log density is not finite at the starting point")
        }
        var lastFinite: (theta: [Double], f: Double, h: [Double])?
        for iteration in 1...maxIterations {
            guard let h = differencedHessian(theta, g) else {
                // Far down a hierarchy's neck the curvature overflows: look for a flat line
                // where it was last finite.
                guard let (t, ft, ht) = lastFinite else { return .none("the curvature is not finite") }
                return flatOr("the curvature is not finite", t, ft, ht)
            }
            lastFinite = (theta, f, h)
            // Newton direction from (H + λI) δ = g, with λ raised until the system is
            // positive definite (Levenberg–Marquardt damping, for where H is not yet).
            var lambda = 0.0
            var factor = ModeSearch.cholesky(h, d)
            let scale = max(1e-300, (0..<d).map { abs(h[$0 * d + $0]) }.max() ?? 1)
            while factor == nil {
                lambda = lambda == 0 ? 1e-8 * scale : lambda * 10
                guard lambda < 1e12 * scale else {
                    return flatOr("no positive-definite curvature near the iterate", theta, f, h)
                }
                var damped = h
                for i in 0..<d { damped[i * d + i] += lambda }
                factor = ModeSearch.cholesky(damped, d)
            }
            let delta = ModeSearch.solve(factor!, g, d)
            let decrement = zip(g, delta).reduce(0) { $0 + $1.0 * $1.1 }
            if lambda > 0, decrement / 2 < tolerance, let v = flatDirection(theta, f, h) {
                return .flat(direction: v)
            }
            if lambda == 0, decrement / 2 < tolerance {
                // The frame takes the exact curvature at the mode.
                // Differencing can round a singular curvature to a positive-definite one.
                let exact = negativeHessian(theta)
                guard let exact, let l = ModeSearch.cholesky(exact, d) else {
                    return flatOr("the exact curvature at the mode is not positive definite", theta, f, exact)
                }
                return .found(Mode(location: theta, logDensity: f, curvatureFactor: l, iterations: iteration))
            }
            // Within a millionth of a nat of the quadratic model's peak, the density's rounding
            // (a sum over many rows is known to about 1e-12 of itself) can hide the rise of a
            // step: the full Newton step is taken on the gradient's word, which it does not
            // hide. Else backtracking until the density rises enough (Armijo) and stays finite.
            let nearPeak = lambda == 0 && decrement / 2 < 1e-6
            var t = 1.0
            var accepted = false
            for _ in 0..<60 {
                let trial = zip(theta, delta).map { $0 + t * $1 }
                if let (ft, gt) = evaluate(trial), ft.isFinite, nearPeak || ft >= f + 1e-4 * t * decrement {
                    (theta, f, g) = (trial, ft, gt)
                    accepted = true
                    break
                }
                t *= 0.5
            }
            guard accepted else { return flatOr("the Newton steps stopped making progress", theta, f, h) }
        }
        let h = differencedHessian(theta, g)
        return flatOr("no mode within \(maxIterations) Newton iterations: the log density keeps rising", theta, f, h)
    }

    /// Where the search ends without a mode, the posterior may still be improper by a flat
    /// direction (a non-identified sum beside a hierarchy whose density rises without bound
    /// as its scale shrinks): `.flat` if `flatDirection` finds one at θ, else `.none(reason)`.
    private func flatOr(_ reason: String, _ theta: [Double], _ f: Double, _ h: [Double]?) -> Outcome {
        guard let h, let v = flatDirection(theta, f, h) else { return .none(reason) }
        return .flat(direction: v)
    }

    /// Largest change of the log density, in nats, along a line of length `flatReach` either
    /// side of a stationary point for the line to count as flat. A proper prior of sd s moves
    /// it by flatReach² / 2s² there: 5·10⁻⁵ nats for s = 10⁴, so only a direction that nothing
    /// in the model constrains (or a prior wider than ~10⁵) counts.
    public static let flatTolerance = 1e-6
    public static let flatReach = 100.0

    /// A direction along which the log density is constant, if there is one: an eigenvector
    /// of the curvature `h` at θ whose eigenvalue is zero to the differencing's accuracy,
    /// checked by evaluating the density out to ±`flatReach` along the line through θ and
    /// along two lines beside it (a density constant along every such line is invariant
    /// under the shift, so its integral diverges).
    private func flatDirection(_ theta: [Double], _ f: Double, _ h: [Double]) -> [Double]? {
        guard let (values, vectors) = ModeSearch.eigen(h, d) else { return nil }
        let largest = values.map(abs).max() ?? 0
        var rng = RNG(seed: 0xF1A7)
        let beside = (0..<2).map { _ in theta.map { $0 + 0.1 * rng.normal() } }
        let starts = [(theta, f)] + beside.compactMap { p in evaluate(p).map { (p, $0.0) } }
        guard starts.count == 3, starts.allSatisfy({ $0.1.isFinite }) else { return nil }
        for k in 0..<d where abs(values[k]) <= 1e-6 * max(largest, 1e-300) {
            let v = Array(vectors[(k * d)..<(k * d + d)])
            let flat = starts.allSatisfy { point, value in
                [-1.0, -0.1, -0.01, 0.01, 0.1, 1].allSatisfy { fraction in
                    let t = fraction * ModeSearch.flatReach
                    guard let (ft, _) = evaluate(zip(point, v).map { $0 + t * $1 }), ft.isFinite else { return false }
                    return abs(ft - value) <= ModeSearch.flatTolerance + 1e-12 * abs(value)
                }
            }
            if flat { return v }
        }
        return nil
    }

    /// The eigenvalues (ascending) and unit eigenvectors (one after another) of the
    /// symmetric matrix `a`, by LAPACK's dsyev; nil if it fails.
    static func eigen(_ a: [Double], _ n: Int) -> (values: [Double], vectors: [Double])? {
        var matrix = a, values = [Double](repeating: 0, count: n)
        var (jobz, uplo) = (CChar(UInt8(ascii: "V")), CChar(UInt8(ascii: "U")))
        var (size, lwork, info) = (Int32(n), Int32(-1), Int32(0))
        var query = 0.0
        dsyev_(&jobz, &uplo, &size, &matrix, &size, &values, &query, &lwork, &info)
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jobz, &uplo, &size, &matrix, &size, &values, &work, &lwork, &info)
        // Column-major eigenvectors of a row-major symmetric matrix: the same numbers, so
        // eigenvector k is the k-th run of n.
        return info == 0 ? (values, matrix) : nil
    }

    private func evaluate(_ theta: [Double]) -> (Double, [Double])? {
        _ = gradient.input("theta").update(fromContentsOf: theta)
        let ran = (try? gradient.run()) != nil
        guard ran || ranks != nil else { return nil }
        // A rank whose part failed sends NaNs, so that every rank sees the failure.
        var parts = ran ? [gradient.output("target")[0]] + Array(gradient.output("grad.theta")) : Array(repeating: .nan, count: d + 1)
        ranks?(&parts)
        let g = Array(parts[1...])
        guard g.allSatisfy(\.isFinite) else { return nil }
        return (parts[0], g)
    }

    /// −∇² log p at θ for the Newton steps, symmetrised, row-major: column j is the central
    /// difference of the exact gradient along e_j, step 1e-5 · max(1, |θ_j|) (exact where
    /// the density is quadratic; 2d gradient evaluations). The batched second-order program
    /// costs about 60 gradients per column on a model whose loop carries a vector element
    /// by element (stochastic volatility, T = 100: 15 s of Newton iterations against 1 s for
    /// the fit), so it is evaluated once, at the mode.
    private func differencedHessian(_ theta: [Double], _ g: [Double]) -> [Double]? {
        var h = [Double](repeating: 0, count: d * d)
        var point = theta
        for j in 0..<d {
            let step = 1e-5 * max(1, abs(theta[j]))
            point[j] = theta[j] + step
            guard let (_, up) = evaluate(point) else { return nil }
            point[j] = theta[j] - step
            guard let (_, down) = evaluate(point) else { return nil }
            point[j] = theta[j]
            for i in 0..<d { h[i * d + j] = -(up[i] - down[i]) / (2 * step) }
        }
        for i in 0..<d { for j in 0..<i { let s = 0.5 * (h[i * d + j] + h[j * d + i]); h[i * d + j] = s; h[j * d + i] = s } }
        return h.allSatisfy(\.isFinite) ? h : nil
    }

    /// −∇² log p at θ, symmetrised, row-major: column j is the product with e_j, as many
    /// columns per batched evaluation as the executable's batch holds.
    private func negativeHessian(_ theta: [Double]) -> [Double]? {
        let points = hessian.input("theta"), tangents = hessian.input("tangent.theta")
        var h = [Double](repeating: 0, count: d * d)
        for first in stride(from: 0, to: d, by: hessian.batch) {
            let count = min(hessian.batch, d - first)
            for k in 0..<hessian.batch {
                for i in 0..<d {
                    points[k * d + i] = theta[i]
                    tangents[k * d + i] = i == first + k ? 1 : 0
                }
            }
            let ran = (try? hessian.run()) != nil
            guard ran || ranks != nil else { return nil }
            for k in 0..<count {
                let column = hessian.output("hvp.theta", particle: k)
                for i in 0..<d { h[i * d + first + k] = ran ? -column[i] : .nan }
            }
        }
        ranks?(&h)
        for i in 0..<d { for j in 0..<i { let s = 0.5 * (h[i * d + j] + h[j * d + i]); h[i * d + j] = s; h[j * d + i] = s } }
        return h.allSatisfy(\.isFinite) ? h : nil
    }

    /// The lower-triangular L with L Lᵀ = A (row-major), or nil when A is not positive
    /// definite.
    static func cholesky(_ a: [Double], _ n: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: n * n)
        for j in 0..<n {
            var s = a[j * n + j]
            for k in 0..<j { s -= l[j * n + k] * l[j * n + k] }
            guard s > 0, s.isFinite else { return nil }
            let pivot = s.squareRoot()
            l[j * n + j] = pivot
            for i in (j + 1)..<max(j + 1, n) {
                var t = a[i * n + j]
                for k in 0..<j { t -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = t / pivot
            }
        }
        return l
    }

    /// x with L Lᵀ x = b.
    static func solve(_ l: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<max(i + 1, n) { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }
}
