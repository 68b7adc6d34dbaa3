import Foundation
import PPLDriver
import PPLEngine
import PPLSema
import XCTest

/// The check every fit runs first: a gradient that is not the density's is caught, along
/// two directions, whatever the dimension.
final class GradientCheckTests: XCTestCase {
    static func runtime(_ source: String) throws -> ModelRuntime {
        let model = try XCTUnwrap(Compilation.compile(file: .init(path: "t.ppl", text: source)).model)
        return try ModelRuntime(model: model, data: [:])
    }

    func testTheDensitysOwnGradientPasses() throws {
        let r = try Self.runtime("param x: vector[50]\nparam s: real<lower=0>\nx ~ normal(0, s)\ns ~ lognormal(0, 1)\n")
        XCTAssertLessThan(try GradientCheck.alongDirections(runtime: r), 1e-6)
    }

    /// Another density's gradient (a scale of 1.05 where the model says 1, in one of 50
    /// coordinates) is caught.
    func testAWrongGradientIsCaught() throws {
        let model = "param x: vector[50]\nx[1:49] ~ normal(0, 1)\nx[50] ~ normal(0, "
        let r = try Self.runtime(model + "1)\n")
        let wrong = try Self.runtime(model + "1.05)\n").gradientProgram()
        XCTAssertGreaterThan(try GradientCheck.alongDirections(runtime: r, gradient: wrong), 1e-3)
    }
}
