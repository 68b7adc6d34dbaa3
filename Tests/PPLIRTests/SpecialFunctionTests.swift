import Foundation
import PPLIR
import XCTest

/// Every scalar function against high-precision values (mpmath at 50 digits, computed once
/// by Tests/Data/make_reference.py and kept as data).
final class SpecialFunctionTests: XCTestCase {
    struct Case: Decodable {
        let fn: String
        let x: [Double]
        let value: Double
    }

    static func cases() throws -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/special_functions.json")
        struct File: Decodable { let cases: [Case] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    /// Points where the function is ill-conditioned, so double arithmetic (glibc's lgamma,
    /// a trig argument of 1e22) cannot reach the reference: compared more loosely.
    static func tolerance(_ c: Case) -> Double {
        switch c.fn {
        case "lgamma" where abs(c.x[0] - 1) < 1e-6 || abs(c.x[0] - 2) < 1e-6: return 1e-6
        case "sin", "cos", "tan" where abs(c.x[0]) > 1e6: return .infinity
        case "lchoose" where c.x[0] > 1e8: return 1e-6
        case "lchoose" where c.x[0] > 1e4: return 1e-10
        case "digamma" where abs(c.value) < 1e-10: return .infinity
        // The continued fraction's first term cancels near the mean of a beta with a large
        // shape (1.7e-11 at a = 5e5); a derivative in a shape also carries polygamma's errors.
        case let fn where incomplete(fn) != nil: return 1e-10
        default: return 1e-12
        }
    }

    /// `inc_beta`, or `inc_beta_d101` (∂²/∂a∂x): the function and the orders of the partial
    /// derivative, as `Op.incomplete` prints them.
    static func incomplete(_ name: String) -> (IncompleteFn, orders: [Int])? {
        for f in IncompleteFn.allCases {
            if name == f.rawValue { return (f, [Int](repeating: 0, count: f.arity)) }
            if name.hasPrefix(f.rawValue + "_d") {
                let digits = name.dropFirst(f.rawValue.count + 2).compactMap { $0.wholeNumberValue }
                if digits.count == f.arity { return (f, digits) }
            }
        }
        return nil
    }

    func testEveryScalarFunctionAgainstReferenceValues() throws {
        let cases = try Self.cases()
        XCTAssertGreaterThan(cases.count, 200)
        var seen = Set<String>()
        for c in cases {
            let actual: Double
            if c.fn == "polygamma" {
                actual = ScalarMath.polygamma(Int(c.x[0]), c.x[1])
            } else if let f = UnaryFn(rawValue: c.fn) {
                actual = ScalarMath.apply(f, c.x[0])
            } else if let f = BinaryFn(rawValue: c.fn) {
                actual = ScalarMath.apply(f, c.x[0], c.x[1])
            } else if let (f, orders) = Self.incomplete(c.fn) {
                actual = ScalarMath.incomplete(f, c.x, orders: orders)
            } else {
                XCTFail("no function \(c.fn)")
                continue
            }
            seen.insert(c.fn)
            let tol = Self.tolerance(c)
            if tol.isInfinite { continue }
            let error = abs(actual - c.value) / max(abs(c.value), 1e-300)
            XCTAssertTrue(error <= tol || abs(actual - c.value) < 1e-15, "\(c.fn)(\(c.x)) = \(actual), expected \(c.value) (rel. error \(error))")
        }
        XCTAssertGreaterThan(seen.count, 30)
    }
}
