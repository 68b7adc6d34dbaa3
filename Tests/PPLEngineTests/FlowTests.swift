import Foundation
import PPLDriver
import PPLEngine
import PPLIR
import PPLInference
import PPLSema
import XCTest

/// Every guide family in the table: log q of its own draws against the base density and a
/// numerical Jacobian of the draw map; and a fit of a 2-D target of known density.
final class FlowTests: XCTestCase {
    /// A density program with no terms: the ELBO program then just draws z and scores log q.
    static func emptyDensity(_ d: Int) -> Program {
        let b = Builder()
        let theta = b.inputValue(.vector(Size(d)))
        let zero = b.constant(0)
        let (instrs, types) = b.finish()
        return Program(name: "flat", inputs: [Input(name: "theta", value: theta, role: .param, type: .vector(Size(d)), constraint: .none)],
                       body: Block(instrs: instrs, yields: [zero]), outputNames: ["target"], types: types)
    }

    /// Every family with its defaults, and every family that takes a base again on a
    /// full-rank one.
    static func variants() throws -> [(family: GuideFamily, label: String, guide: VariationalFamily)] {
        var out: [(GuideFamily, String, VariationalFamily)] = []
        for f in GuideFamily.allCases {
            let family = Families.make(FitOptions(guide: f.rawValue, family: f))
            out.append((f, f.rawValue, family))
            if f.keys.contains(.base) {
                var o = FitOptions(guide: f.rawValue, family: f)
                try o.set(.base, .name("fullrank"))
                out.append((f, f.rawValue + " on a full-rank base", Families.make(o)))
            }
        }
        return out
    }

    /// (A family that also draws auxiliary variables, HVI, scores them with z: its log q is
    /// checked through its importance weights instead, in HamiltonianVITests. Low-rank draws
    /// z from d + r normals, a map with no Jacobian determinant: its log q is checked against
    /// the multivariate normal density below. A mixture draws from every component and keeps
    /// one: its log q is checked against the mixture's density below. A point, map, has no
    /// density.)
    func testLogDensityOfEveryFamilyMatchesTheJacobianOfItsDrawMap() throws {
        var checked: [GuideFamily] = []
        for (f, label, family) in try Self.variants() where family.noiseCount(1) == 1 && f.hasDensity {
            for d in [1, 3] {
                let elbo = try ELBO(density: Self.emptyDensity(d), family: family, dimension: d, stickingTheLanding: false)
                let e = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.constants)
                var rng = RNG(seed: 17)
                // Away from the identity, so every layer does something.
                let phi = family.initialParameters(d).map { $0 + 0.3 * rng.normal() }
                for i in phi.indices { e.input("phi")[i] = phi[i] }
                for _ in 0..<3 {
                    let eps = (0..<d).map { _ in rng.normal() }
                    func draw(_ x: [Double]) throws -> [Double] {
                        for i in 0..<d { e.input("eps")[i] = x[i] }
                        try e.run()
                        return Array(e.output("z"))
                    }
                    _ = try draw(eps)
                    let logq = e.output("logq")[0]
                    let jacobian = try numericalJacobian(draw, at: eps, step: 1e-6)
                    let base = -0.5 * eps.reduce(0) { $0 + $1 * $1 } - 0.5 * Double(d) * log(2 * Double.pi)
                    XCTAssertEqual(logq, base - logAbsDeterminant(jacobian), accuracy: 1e-5, "\(label) d=\(d)")
                }
            }
            checked.append(f)
        }
        XCTAssertEqual(Set(checked), Set(GuideFamily.allCases.filter { ![.hvi, .lowrank, .mixture].contains($0) && $0.hasDensity }))
    }

    /// A mixture's draw is one of its components' and its log q the mixture's density there,
    /// log Σ_k π_k N(z | μ_k, Σ_k), for mean-field and full-rank components; over many draws
    /// each component is chosen with its weight.
    func testMixtureLogDensityIsTheMixturesAndItsDrawsFollowTheWeights() throws {
        for of in GuideFamily.mixtureComponents {
            var options = FitOptions(guide: "m", family: .mixture)
            try options.set(.of, .name(of.rawValue))
            let family = Families.make(options)
            let d = 2, k = options.components, n = of == .fullrank ? d + d * d : 2 * d
            let elbo = try ELBO(density: Self.emptyDensity(d), family: family, dimension: d, stickingTheLanding: false)
            let e = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.constants)
            var rng = RNG(seed: 23)
            let phi = family.initialParameters(d).map { $0 + 0.4 * rng.normal() }
            for i in phi.indices { e.input("phi")[i] = phi[i] }
            let logits = Array(phi[0..<k]), top = logits.max()!
            let weights = logits.map { exp($0 - top) }.map { $0 / logits.reduce(0) { $0 + exp($1 - top) } }
            // Component j's density at z: its mean, and L = diag(exp(ω)) C as `FullRank` builds it.
            func logDensity(_ j: Int, _ z: [Double]) -> Double {
                let c = Array(phi[(k + j * n)..<(k + (j + 1) * n)])
                let mu = Array(c[0..<d])
                var l = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
                for r in 0..<d {
                    for col in 0...r {
                        if of == .meanfield { if r == col { l[r][col] = exp(c[d + r]) } } else {
                            l[r][col] = exp(c[d + r * d + r]) * (r == col ? 1 : c[d + r * d + col])
                        }
                    }
                }
                var x = [Double](repeating: 0, count: d)
                for r in 0..<d { x[r] = (z[r] - mu[r] - (0..<r).reduce(0) { $0 + l[r][$1] * x[$1] }) / l[r][r] }
                return -0.5 * x.reduce(0) { $0 + $1 * $1 } - Double(d) * 0.5 * log(2 * Double.pi) - (0..<d).reduce(0) { $0 + log(l[$1][$1]) }
            }
            var counts = [Int](repeating: 0, count: k)
            let draws = 4000
            for _ in 0..<draws {
                for i in 0..<elbo.noiseCount { e.input("eps")[i] = rng.normal() }
                try e.run()
                let z = Array(e.output("z"))
                let mixture = log((0..<k).reduce(0) { $0 + weights[$1] * exp(logDensity($1, z)) })
                XCTAssertEqual(e.output("logq")[0], mixture, accuracy: 1e-9, of.rawValue)
                // The component drawn: the one whose own draw z is.
                let eps = Array(e.input("eps"))
                let own = (0..<k).first { j in
                    let x = Array(eps[(j * d)..<((j + 1) * d)])
                    return abs(logDensity(j, z) - (-0.5 * x.reduce(0) { $0 + $1 * $1 } - Double(d) * 0.5 * log(2 * Double.pi)
                        - (0..<d).reduce(0) { t, i in t + (of == .meanfield ? phi[k + j * n + d + i] : phi[k + j * n + d + i * d + i]) })) < 1e-9
                }
                counts[try XCTUnwrap(own, of.rawValue)] += 1
            }
            for j in 0..<k {
                let se = (weights[j] * (1 - weights[j]) / Double(draws)).squareRoot()
                XCTAssertEqual(Double(counts[j]) / Double(draws), weights[j], accuracy: 4 * se, "\(of.rawValue) component \(j)")
            }
        }
    }

    /// Low-rank's draw z = μ + D (ε₁ + B̃ ε₂) and its log q (Woodbury, an r × r Cholesky)
    /// against the multivariate normal N(μ, D (I + B̃ B̃ᵀ) D) computed directly (d × d), at
    /// parameters away from the start, for several dimensions and ranks.
    func testLowRankDrawAndLogDensityAreTheMultivariateNormals() throws {
        for (d, rank) in [(1, 1), (3, 1), (3, 2), (5, 3), (4, 4)] {
            var options = FitOptions(guide: "g", family: .lowrank)
            try options.set(.rank, .int(rank))
            let family = LowRank(options)
            XCTAssertEqual(family.noiseCount(d), d + rank)
            let elbo = try ELBO(density: Self.emptyDensity(d), family: family, dimension: d, stickingTheLanding: false)
            let e = try Executable(elbo.program, varying: ["eps"], shared: ["phi"], data: elbo.constants)
            var rng = RNG(seed: 29)
            let phi = family.initialParameters(d).map { $0 + 0.5 * rng.normal() }
            for i in phi.indices { e.input("phi")[i] = phi[i] }
            let mu = Array(phi[0..<d]), scale = phi[d..<(2 * d)].map { exp($0) }
            let factor = Array(phi[(2 * d)...])
            // Σ = D (I + B̃ B̃ᵀ) D.
            var sigma = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
            for i in 0..<d {
                for j in 0..<d {
                    var s = i == j ? 1.0 : 0.0
                    for k in 0..<rank { s += factor[i * rank + k] * factor[j * rank + k] }
                    sigma[i][j] = scale[i] * s * scale[j]
                }
            }
            for _ in 0..<3 {
                let eps = (0..<(d + rank)).map { _ in rng.normal() }
                for i in eps.indices { e.input("eps")[i] = eps[i] }
                try e.run()
                let z = Array(e.output("z"))
                for i in 0..<d {
                    let shift = (0..<rank).reduce(eps[i]) { $0 + factor[i * rank + $1] * eps[d + $1] }
                    XCTAssertEqual(z[i], mu[i] + scale[i] * shift, accuracy: 1e-12, "z d=\(d) r=\(rank)")
                }
                let r = zip(z, mu).map { $0 - $1 }
                let solved = solve(sigma, r)
                let quadratic = zip(r, solved).reduce(0) { $0 + $1.0 * $1.1 }
                let expected = -0.5 * quadratic - 0.5 * logAbsDeterminant(sigma) - 0.5 * Double(d) * log(2 * Double.pi)
                XCTAssertEqual(e.output("logq")[0], expected, accuracy: 1e-9, "log q d=\(d) r=\(rank)")
            }
        }
    }

    /// x with A x = b, by Gaussian elimination with partial pivoting.
    private func solve(_ a: [[Double]], _ b: [Double]) -> [Double] {
        var m = zip(a, b).map { $0 + [$1] }
        let n = b.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(m[$0][col]) < abs(m[$1][col]) }!
            m.swapAt(col, pivot)
            for r in 0..<n where r != col {
                let f = m[r][col] / m[col][col]
                for c in col...n { m[r][c] -= f * m[col][c] }
            }
        }
        return (0..<n).map { m[$0][n] / m[$0][$0] }
    }

    /// Where a family has an inverse, ε → z → ε is exact (to rounding) at parameters away
    /// from the identity; planar flows (whose inverse needs root-finding), HVI (whose draw
    /// also depends on its momenta), low-rank (z from d + r normals) and a point have none.
    func testInverseOfEveryFamilyRoundTrips() throws {
        var withoutInverse = Set<GuideFamily>()
        for (f, label, family) in try Self.variants() {
            for d in [1, 3] {
                let b = Builder()
                let e = Emitter(b)
                let p = family.parameterCount(d)
                let n = family.noiseCount(d)
                let phi = b.inputValue(.vector(Size(p))), eps = b.inputValue(.vector(Size(n)))
                let (constants, constantInputs) = ELBO.constantInputs(b, family.constants(d))
                let inputs = [Input(name: "phi", value: phi, role: .param, type: .vector(Size(p)), constraint: .none),
                              Input(name: "eps", value: eps, role: .param, type: .vector(Size(n)), constraint: .none)]
                    + constantInputs
                let z = try family.sample(e, phi: phi, densityPhi: phi, eps: eps, d: d, constants: constants,
                                          target: TargetDensity(density: Self.emptyDensity(d))).z
                guard let back = family.inverse(e, phi: phi, z: z, d: d, constants: constants) else {
                    withoutInverse.insert(f)
                    break
                }
                let (instrs, types) = b.finish()
                let program = Program(name: "round_trip", inputs: inputs, body: Block(instrs: instrs, yields: [z, back]),
                                      outputNames: ["z", "back"], types: types)
                XCTAssertEqual(Verifier.verify(program), [], label)
                let x = try Executable(program, varying: ["eps"], shared: ["phi"], data: family.constants(d))
                var rng = RNG(seed: 5)
                let start = family.initialParameters(d).map { $0 + 0.3 * rng.normal() }
                for i in start.indices { x.input("phi")[i] = start[i] }
                for _ in 0..<3 {
                    let draw = (0..<d).map { _ in 2 * rng.normal() }
                    for i in 0..<d { x.input("eps")[i] = draw[i] }
                    try x.run()
                    for i in 0..<d { XCTAssertEqual(x.output("back")[i], draw[i], accuracy: 1e-8, "\(label) d=\(d)") }
                }
            }
        }
        XCTAssertEqual(withoutInverse, [.planar, .hvi, .lowrank, .map, .mixture])
    }

    /// Every flow fitted to banana (z1 ~ N(0, 1), z2 ~ N(z1², 0.5): normalised, so
    /// KL(q‖p) = -ELBO) gets far closer than mean-field, whose Gaussian cannot bend.
    func testEveryFlowFitsACurvedTargetBetterThanMeanField() throws {
        let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/bench/models/banana.ppl").standardizedFileURL.path
        func kl(_ guide: String) throws -> Double {
            let session = try FitSession.open(model: model, data: nil, guide: guide, settings: [(.steps, .int(10_000)), (.runs, .int(1))])
            let result = try session.fit()
            XCTAssertNil(result.failure, guide)
            let draws = try session.sample(2000, phi: result.phi)
            return -draws.logWeights.reduce(0, +) / Double(draws.logWeights.count)
        }
        let meanField = try kl("meanfield")
        XCTAssertGreaterThan(meanField, 0.4, "mean-field cannot represent banana")
        var flows = 0
        for f in GuideFamily.allCases {
            guard Families.make(FitOptions(guide: f.rawValue, family: f)) is NormalizingFlow else { continue }
            let flow = try kl(f.rawValue)
            XCTAssertLessThan(flow, meanField / 2, "\(f): KL \(flow) vs mean-field \(meanField)")
            XCTAssertGreaterThan(flow, -0.05, "\(f): a KL estimate cannot be far below 0")
            flows += 1
        }
        XCTAssertEqual(flows, 6)
    }

    /// The fit reads the gradient as a sum over the particles, which the engine computes
    /// on sums (outer products become one matrix product): it must equal the sum of the
    /// particles' own gradients, for every family.
    func testGradientSummedOverParticlesEqualsTheSumOfParticleGradients() throws {
        for f in GuideFamily.allCases {
            let family = Families.make(FitOptions(guide: f.rawValue, family: f))
            let d = 3, batch = 5
            let model = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: """
                param x: vector[3]
                x[1] ~ normal(0, 1)
                x[2] ~ normal(x[1] ^ 2, 0.5)
                x[3] ~ normal(0, exp(x[1] / 2))
                """)).model)
            let density = UnconstrainedDensity(logDensity: model.logDensity).density
            let elbo = try ELBO(density: density, family: family, dimension: d, stickingTheLanding: FitOptions(guide: f.rawValue, family: f).stl)
            let perParticle = try Executable(elbo.gradient, varying: ["eps"], shared: ["phi"], data: elbo.constants, batch: batch)
            let summed = try Executable(elbo.gradient, varying: ["eps"], shared: ["phi"], data: elbo.constants, batch: batch,
                                        summed: ["grad.phi"])
            var rng = RNG(seed: 3)
            let phi = family.initialParameters(d).map { $0 + 0.3 * rng.normal() }
            let eps = (0..<(elbo.noiseCount * batch)).map { _ in rng.normal() }
            for x in [perParticle, summed] {
                _ = x.input("phi").update(fromContentsOf: phi)
                _ = x.input("eps").update(fromContentsOf: eps)
                try x.run()
            }
            let handle = summed.handle("grad.phi")
            let total = Array(summed.summedOutput(handle))
            for i in phi.indices {
                let expected = (0..<batch).reduce(0) { $0 + perParticle.output(handle, particle: $1)[i] }
                XCTAssertEqual(total[i], expected, accuracy: 1e-10 * max(1, abs(expected)), "\(f) grad.phi[\(i)]")
            }
        }
    }
}
