import Foundation
import PPLIR
import XCTest

/// Every elementwise function against an independent value (closed forms, or scipy
/// values typed in from its documentation).
final class ScalarMathTests: XCTestCase {
    func testUnaryFunctionsAgainstKnownValues() {
        let cases: [(UnaryFn, Double, Double)] = [
            (.neg, 2, -2), (.not, 0, 1), (.exp, 1, M_E), (.log, M_E, 1), (.log1p, 1e-10, 1e-10 - 5e-21),
            (.expm1, 1e-10, 1e-10 + 5e-21), (.log1m, 0.5, -log(2)), (.sqrt, 4, 2), (.square, -3, 9), (.inv, 4, 0.25),
            (.inv_logit, 0, 0.5), (.logit, 0.5, 0), (.log_inv_logit, -800, -800), (.log1m_inv_logit, 800, -800),
            (.log1p_exp, 800, 800), (.log1m_exp, -1e-20, log(1e-20)), (.lgamma, 5, log(24)),
            (.digamma, 1, -0.5772156649015329), (.trigamma, 1, Double.pi * Double.pi / 6),
            (.sin, Double.pi / 2, 1), (.cos, 0, 1), (.tan, Double.pi / 4, 1), (.tanh, 0, 0), (.abs, -2, 2), (.sign, -3, -1),
            (.erf, 1, 0.8427007929497149), (.erfc, 1, 0.15729920705028513), (.Phi, 1.959963984540054, 0.975),
            (.floor, 2.7, 2), (.ceil, 2.1, 3), (.log_erfc, 1, log(0.15729920705028513)), (.atan, 1, Double.pi / 4),
        ]
        XCTAssertEqual(Set(cases.map(\.0)), Set(UnaryFn.allCases), "every unary function has a case")
        for (f, x, expected) in cases {
            XCTAssertEqual(ScalarMath.apply(f, x), expected, accuracy: 1e-12 * max(1, abs(expected)), "\(f)(\(x))")
        }
    }

    func testDigammaAndTrigammaAwayFromOne() {
        // digamma(0.5) = -gamma - 2 log 2; trigamma(0.5) = pi^2 / 2; digamma(-0.5) = digamma(0.5) + 2.
        XCTAssertEqual(ScalarMath.digamma(0.5), -0.5772156649015329 - 2 * log(2), accuracy: 1e-13)
        XCTAssertEqual(ScalarMath.trigamma(0.5), Double.pi * Double.pi / 2, accuracy: 1e-12)
        XCTAssertEqual(ScalarMath.digamma(-0.5), ScalarMath.digamma(0.5) + 2, accuracy: 1e-12)
        XCTAssertEqual(ScalarMath.digamma(100), 4.600161852738087, accuracy: 1e-13)
    }

    func testBinaryFunctionsAgainstKnownValues() {
        let cases: [(BinaryFn, Double, Double, Double)] = [
            (.add, 1, 2, 3), (.sub, 1, 2, -1), (.mul, 2, 3, 6), (.div, 1, 4, 0.25), (.pow, 2, 10, 1024),
            (.fmin, 1, 2, 1), (.fmax, 1, 2, 2), (.log_sum_exp, 1000, 1000, 1000 + log(2)),
            (.log_diff_exp, log(3), log(1), log(2)), (.lbeta, 2, 3, log(1.0 / 12)), (.lchoose, 5, 2, log(10)),
            (.lt, 1, 2, 1), (.le, 2, 2, 1), (.gt, 1, 2, 0), (.ge, 1, 2, 0), (.eq, 1, 1, 1), (.ne, 1, 1, 0),
            (.and, 1, 0, 0), (.or, 1, 0, 1), (.atan2, 1, -1, 3 * Double.pi / 4),
        ]
        XCTAssertEqual(Set(cases.map(\.0)), Set(BinaryFn.allCases), "every binary function has a case")
        for (f, a, b, expected) in cases {
            XCTAssertEqual(ScalarMath.apply(f, a, b), expected, accuracy: 1e-12 * max(1, abs(expected)), "\(f)(\(a), \(b))")
        }
    }

    /// log(exp(a) + exp(b)) at infinities and NaN, in either order.
    func testLogSumExpAtSpecialValues() {
        let cases: [(Double, Double, Double)] = [
            (.infinity, .infinity, .infinity), (-.infinity, -.infinity, -.infinity), (.infinity, 1, .infinity),
            (-.infinity, 1, 1), (.nan, -.infinity, .nan), (.nan, .infinity, .nan), (.nan, 1, .nan),
        ]
        for (a, b, expected) in cases {
            for (x, y) in [(a, b), (b, a)] {
                let got = ScalarMath.apply(.log_sum_exp, x, y)
                XCTAssertTrue(got == expected || got.isNaN && expected.isNaN, "log_sum_exp(\(x), \(y)) = \(got)")
            }
        }
    }
}
