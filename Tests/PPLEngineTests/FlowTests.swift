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

    func testLogDensityOfEveryFamilyMatchesTheJacobianOfItsDrawMap() throws {
        var checked: [GuideFamily] = []
        for f in GuideFamily.allCases {
            guard let family = Families.make(f, options: GuideOptions(family: f, name: f.rawValue)) else { continue }
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
                    var jacobian = [[Double]](repeating: [Double](repeating: 0, count: d), count: d)
                    for j in 0..<d {
                        let h = 1e-6
                        var up = eps, down = eps
                        up[j] += h
                        down[j] -= h
                        let zu = try draw(up), zd = try draw(down)
                        for i in 0..<d { jacobian[i][j] = (zu[i] - zd[i]) / (2 * h) }
                    }
                    let base = -0.5 * eps.reduce(0) { $0 + $1 * $1 } - 0.5 * Double(d) * log(2 * Double.pi)
                    XCTAssertEqual(logq, base - logAbsDeterminant(jacobian), accuracy: 1e-5, "\(f) d=\(d)")
                }
            }
            checked.append(f)
        }
        XCTAssertEqual(Set(checked), Set(GuideFamily.allCases.filter { $0 != .hvi }), "every family but hvi is implemented")
    }
}
