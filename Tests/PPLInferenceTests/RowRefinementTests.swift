import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// An amortized guide's refinement of each row's Gaussian (`refine = hvi { ... }` or
/// `refine = iaf { ... }`): the refined draw is a valid importance proposal, its gradient is
/// the derivative of its bound, a batch's bound is unbiased for the full data's, and the
/// refinement tightens the bound where a row's posterior is not a diagonal Gaussian.
final class RowRefinementTests: XCTestCase {
    /// Factor analysis with the loadings known: x_n = z_n W + noise, z_n ~ N(0, I₂). Each
    /// row's posterior is a correlated Gaussian (correlation about −0.4), and
    /// p(x_n) = N(0, WᵀW + σ² I) in closed form.
    static func model(refine: String, extra: String = "") -> String {
        """
        data N: int<lower=1>
        data X: matrix[N, 3]
        data W: matrix[2, 3]
        param z: matrix[N, 2]
        z ~ std_normal()
        X ~ normal(z * W, 0.7)
        guide enc = amortized { local = z, input = X, hidden = [6], refine = \(refine)\(extra) }
        """
    }

    static let loadings = [1, 0.5, -1, 0.8, 1, 0.3]

    /// `rows` rows drawn from the model.
    static func data(rows n: Int, seed: UInt64) -> [String: Tensor] {
        var rng = RNG(seed: seed)
        let w = loadings
        var x: [Double] = []
        for _ in 0..<n {
            let z = [rng.normal(), rng.normal()]
            for j in 0..<3 { x.append(z[0] * w[j] + z[1] * w[3 + j] + 0.7 * rng.normal()) }
        }
        return ["N": Tensor(scalar: Double(n)), "X": Tensor(shape: [n, 3], values: x), "W": Tensor(shape: [2, 3], values: w)]
    }

    /// log p(X) = Σ_n log N(x_n; 0, Σ), Σ = WᵀW + 0.49 I, by its Cholesky factor.
    static func logEvidence(_ x: [Double], rows n: Int) -> Double {
        let w = loadings
        var s = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 { for j in 0..<3 { s[i][j] = w[i] * w[j] + w[3 + i] * w[3 + j] + (i == j ? 0.49 : 0) } }
        var l = [[Double]](repeating: [0, 0, 0], count: 3)
        for i in 0..<3 {
            for j in 0...i {
                let t = s[i][j] - (0..<j).reduce(0) { $0 + l[i][$1] * l[j][$1] }
                l[i][j] = i == j ? t.squareRoot() : t / l[j][j]
            }
        }
        let logDet = 2 * (0..<3).reduce(0) { $0 + log(l[$1][$1]) }
        var total = 0.0
        for r in 0..<n {
            var y = [0.0, 0, 0]
            for i in 0..<3 { y[i] = (x[3 * r + i] - (0..<i).reduce(0) { $0 + l[i][$1] * y[$1] }) / l[i][i] }
            total += -0.5 * y.reduce(0) { $0 + $1 * $1 } - 0.5 * logDet - 1.5 * log(2 * Double.pi)
        }
        return total
    }

    static func session(_ source: String, data: [String: Tensor], settings: [(key: FitOptions.Key, value: GuideValue)] = [])
        throws -> FitSession {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "fa.ppl", text: source)).model)
        return try FitSession(runtime: ModelRuntime(model: checked, data: data), guide: "enc",
                              settings: [(.runs, .int(1))] + settings)
    }

    /// The refined guides' importance weights estimate p(X) without bias, at parameters away
    /// from any optimum (a short fit's, every one then moved at random): hvi's map from the
    /// start and the momenta is volume-preserving and its reverse model a density; iaf's
    /// log-determinant is its map's. A dropped term of either shifts log p̂ by many errors.
    func testRefinedWeightsEstimateTheEvidenceWithoutBias() throws {
        let data = Self.data(rows: 3, seed: 4)
        let exact = Self.logEvidence(data["X"]!.values, rows: 3)
        for refine in ["hvi { transitions = 2, leapfrog = 3, step_size = 0.3, hidden = [5] }", "iaf { layers = 2, hidden = [5] }"] {
            let session = try Self.session(Self.model(refine: refine), data: data, settings: [(.steps, .int(500)), (.lr, .real(0.02))])
            let elbo = session.elbo
            var rng = RNG(seed: 12)
            let phi = try session.fit().phi.map { $0 + 0.2 * rng.normal() }
            let batch = 1000
            let x = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.data(session.runtime.values), batch: batch)
            _ = x.input("phi").update(fromContentsOf: phi)
            var logWeights: [Double] = []
            for _ in 0..<100 {
                let eps = x.input("eps")
                for i in 0..<(batch * elbo.noiseCount) { eps[i] = rng.normal() }
                try x.run()
                for k in 0..<batch { logWeights.append(x.output("target", particle: k)[0]) }
            }
            let (estimate, se) = ParetoSmoothing.logEvidence(logWeights)
            XCTAssertEqual(estimate, exact, accuracy: max(4 * se, 0.02), "\(refine): log p̂ = \(estimate) ± \(se), exact \(exact)")
            let meanBound = logWeights.reduce(0, +) / Double(logWeights.count)
            XCTAssertLessThan(meanBound, exact - 0.05, "\(refine): the bound lies below the evidence")
        }
    }

    /// The gradient with respect to every parameter — the encoder's and the refinement's,
    /// hvi's through the trajectory's second derivatives — against central differences of
    /// the bound at the same noise.
    func testTheGradientIsTheBoundsDerivative() throws {
        let data = Self.data(rows: 4, seed: 5)
        for refine in ["hvi { transitions = 2, leapfrog = 2, step_size = 0.2, hidden = [4] }", "iaf { layers = 2, hidden = [4] }"] {
            let session = try Self.session(Self.model(refine: refine), data: data)
            let elbo = session.elbo
            var rng = RNG(seed: 9)
            let phi = session.family.initialParameters(elbo.dimension).map { $0 + 0.2 * rng.normal() }
            let eps = (0..<elbo.noiseCount).map { _ in rng.normal() }
            let x = try Executable(elbo.gradient, varying: ["eps"], shared: ["phi"], data: elbo.data(session.runtime.values))
            _ = x.input("eps").update(fromContentsOf: eps)
            func run(_ p: [Double]) throws -> (Double, [Double]) {
                _ = x.input("phi").update(fromContentsOf: p)
                try x.run()
                return (x.output("target")[0], Array(x.output("grad.phi")))
            }
            let (_, gradient) = try run(phi)
            let largest = gradient.map(abs).max()!
            for i in phi.indices {
                let h = 1e-5
                var up = phi, down = phi
                up[i] += h
                down[i] -= h
                let difference = (try run(up).0 - run(down).0) / (2 * h)
                XCTAssertEqual(gradient[i], difference, accuracy: 1e-6 * max(1, largest), "\(refine): component \(i) of \(phi.count)")
            }
        }
    }

    /// A batch's refined bound is unbiased for the full data's, exactly: with each row's
    /// noise the same (its start and its momenta), the mean over a partition of 12 rows into
    /// batches of 4 of the batches' bounds and gradients is the full bound's. A row's
    /// dynamics follow its own terms of the density, which a batch counts N/M times.
    func testTheMeanOverAPartitionIsTheFullBound() throws {
        let order = [7, 2, 11, 4, 9, 1, 12, 5, 3, 10, 6, 8]
        let transitions = 2
        let session = try Self.session(Self.model(refine: "hvi { transitions = \(transitions), leapfrog = 2, step_size = 0.3 }"),
                                       data: Self.data(rows: 12, seed: 6), settings: [(.minibatch, GuideValue(text: "N=4"))])
        let full = session.elbo
        let (batch, _) = try XCTUnwrap(session.batchELBO())
        XCTAssertEqual(full.noiseCount, 12 * 2 * (1 + transitions))
        var rng = RNG(seed: 3)
        let phi = session.family.initialParameters(full.dimension).map { $0 + 0.3 * rng.normal() }
        let eps = (0..<full.noiseCount).map { _ in rng.normal() }
        let exact = try LocalLatentsTests.evaluate(full, data: session.runtime.values, phi: phi, eps: eps)
        var target = 0.0, gradient = [Double](repeating: 0, count: phi.count)
        for b in 0..<3 {
            let rows = Array(order[(4 * b)..<(4 * b + 4)])
            // Each block of the noise (the start, then each transition's momenta) with the
            // batch's rows of it, row-major.
            var batchEps: [Double] = []
            for block in 0...transitions {
                for n in rows {
                    let first: Int = 24 * block + (n - 1) * 2
                    batchEps += eps[first..<(first + 2)]
                }
            }
            let part = try LocalLatentsTests.evaluate(batch, data: session.batches!.data, phi: phi, eps: batchEps, rows: rows)
            target += part.target / 3
            for i in gradient.indices { gradient[i] += part.gradient[i] / 3 }
        }
        XCTAssertEqual(target, exact.target, accuracy: 1e-10 * abs(exact.target))
        let scale = exact.gradient.map(abs).max()!
        for (i, (mean, e)) in zip(gradient, exact.gradient).enumerated() {
            XCTAssertEqual(mean, e, accuracy: 1e-9 * scale, "component \(i)")
        }
    }

    /// Salimans et al.'s claim in miniature: where each row's posterior is correlated, which
    /// the encoder's diagonal Gaussian cannot represent, a fitted guide's bound on 20 rows
    /// rises with hvi's leapfrog steps and with iaf, towards the closed-form log p(X).
    func testRefiningTightensTheFittedBound() throws {
        let data = Self.data(rows: 20, seed: 7)
        let exact = Self.logEvidence(data["X"]!.values, rows: 20)
        var bounds: [String: Double] = [:]
        for refine in ["off", "hvi { leapfrog = 1 }", "hvi { leapfrog = 4 }", "iaf"] {
            let session = try Self.session(Self.model(refine: refine), data: data,
                                           settings: [(.steps, .int(3000)), (.lr, .real(0.01))])
            let result = try session.fit()
            XCTAssertNil(result.failure, refine)
            // The bound at the fitted parameters, over 20,000 draws.
            let elbo = session.elbo
            let x = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.data(session.runtime.values), batch: 1000)
            _ = x.input("phi").update(fromContentsOf: result.phi)
            var rng = RNG(seed: 21)
            var total = 0.0
            for _ in 0..<20 {
                let eps = x.input("eps")
                for i in 0..<(1000 * elbo.noiseCount) { eps[i] = rng.normal() }
                try x.run()
                for k in 0..<1000 { total += x.output("target", particle: k)[0] }
            }
            bounds[refine] = total / 20_000
        }
        let gap = exact - bounds["off"]!
        XCTAssertGreaterThan(gap, 0.5, "a diagonal Gaussian per row leaves a gap: \(bounds), exact \(exact)")
        XCTAssertGreaterThan(bounds["hvi { leapfrog = 1 }"]!, bounds["off"]! + 0.2 * gap, "\(bounds), exact \(exact)")
        XCTAssertGreaterThan(bounds["hvi { leapfrog = 4 }"]!, bounds["hvi { leapfrog = 1 }"]! + 0.2 * gap, "\(bounds), exact \(exact)")
        XCTAssertGreaterThan(bounds["iaf"]!, bounds["off"]! + 0.5 * gap, "\(bounds), exact \(exact)")
        for (refine, bound) in bounds { XCTAssertLessThan(bound, exact, "\(refine): a bound") }
    }

    /// `ppl score`'s rows under a refined guide: each row scored alone (a one-row guide with
    /// the fit's parameters, its dynamics on the row's own terms), the importance-weighted
    /// log p(x_n) of 2,000 draws summed over the rows is the closed-form log p(X), and each
    /// row's ELBO lies below its estimate.
    func testScoringRowsOfARefinedGuideEstimatesTheirEvidence() throws {
        let data = Self.data(rows: 10, seed: 8)
        let exact = Self.logEvidence(data["X"]!.values, rows: 10)
        for refine in ["hvi { leapfrog = 2 }", "iaf"] {
            let session = try Self.session(Self.model(refine: refine), data: data, settings: [(.steps, .int(1500)), (.lr, .real(0.01))])
            let phi = try session.fit().phi
            let scores = try session.scoreRows(phi: phi, rows: 10, particles: 2000, seed: 3)
            let total = scores.logMarginal.reduce(0, +)
            XCTAssertEqual(total, exact, accuracy: 0.05, "\(refine): Σ log p̂(x_n) = \(total), exact \(exact)")
            for (elbo, logp) in zip(scores.elbo, scores.logMarginal) { XCTAssertLessThan(elbo, logp, refine) }
        }
    }
}
