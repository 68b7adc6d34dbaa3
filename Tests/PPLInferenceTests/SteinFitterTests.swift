import Foundation
import PPLDriver
import PPLEngine
import PPLIR
@testable import PPLInference
import PPLSema
import XCTest

/// SVGD: its direction from the differentiated kernel program against the closed form, and
/// particles that fit a Gaussian posterior they start far from.
final class SteinFitterTests: XCTestCase {
    /// K G − ∂E/∂X, as `SteinFitter` computes it, is Σⱼ k(xⱼ, xᵢ) gⱼ + Σⱼ (2/h)(xᵢ − xⱼ) k(xⱼ, xᵢ).
    func testTheKernelProgramGivesTheSteinDirection() throws {
        let n = 4, d = 3, h = 1.3
        let program = try SteinFitter.kernelGradient(n, d)
        XCTAssertEqual(Verifier.verify(program), [])
        let e = try Executable(program, varying: ["X", "G", "h"], data: [:])
        var rng = RNG(seed: 8)
        let x = (0..<(n * d)).map { _ in rng.normal() }, g = (0..<(n * d)).map { _ in rng.normal() }
        _ = e.input("X").update(fromContentsOf: x)
        _ = e.input("G").update(fromContentsOf: g)
        e.input("h")[0] = h
        try e.run()
        let drive = e.output("drive"), repulsion = e.output("grad.X")
        for i in 0..<n {
            for c in 0..<d {
                var expected = 0.0
                for j in 0..<n {
                    let k = exp(-(0..<d).reduce(0) { $0 + pow(x[i * d + $1] - x[j * d + $1], 2) } / h)
                    expected += k * g[j * d + c] + 2 / h * (x[i * d + c] - x[j * d + c]) * k
                }
                XCTAssertEqual(drive[i * d + c] - repulsion[i * d + c], expected, accuracy: 1e-12, "particle \(i), coordinate \(c)")
            }
        }
    }

    /// mu ~ N(1, 2), b ~ N(mu, 0.5), in the model's own coordinates (no frame), from particles
    /// drawn from N(0, I): they move to the posterior's means (1, 1) and spread to its sds
    /// (2, √4.25); the summary is over the particles, and k̂ and log p(data) are not defined.
    func testParticlesFitAGaussianPosterior() throws {
        let checked = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: """
            param mu: real
            param b: real
            mu ~ normal(1, 2)
            b ~ normal(mu, 0.5)
            """)).model)
        let s = try FitSession(runtime: try ModelRuntime(model: checked, data: [:]), guide: "svgd",
                               settings: [(.particles, .int(60)), (.steps, .int(1500)), (.precondition, .name("off"))])
        let r = try s.fit()
        XCTAssertNil(r.failure)
        XCTAssertEqual(r.phi.count, 120)
        let draws = try s.sample(1000, result: r)
        XCTAssertEqual(draws.rows.count, 60, "the draws are the particles")
        XCTAssertEqual(draws.rows.map { $0[0] }, (0..<60).map { r.phi[2 * $0] })
        let st = draws.summaries()
        XCTAssertEqual(st[0].mean, 1, accuracy: 0.15)
        XCTAssertEqual(st[1].mean, 1, accuracy: 0.15)
        XCTAssertEqual(st[0].sd, 2, accuracy: 0.2)
        XCTAssertEqual(st[1].sd, 4.25.squareRoot(), accuracy: 0.2)
        XCTAssertTrue(s.khat.isNaN)
        XCTAssertTrue(s.logEvidence.estimate.isNaN)
    }
}
