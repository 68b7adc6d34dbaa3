import Foundation
import PPLDriver
import PPLEngine
import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// The `_rng` functions of the standard library, run as a `generate` block over many
/// posterior draws at a fixed seed: each continuous distribution's draws pushed through its
/// own cdf are uniform (a Kolmogorov–Smirnov test), and the discrete and multivariate ones
/// have their closed-form means, variances and covariances.
final class RandomDrawTests: XCTestCase {
    static let n = 20_000

    /// The generated values of `lets` (the body of a generate block) over `n` draws.
    func generate(_ lets: String, data: [String: Tensor] = [:], declarations: String = "",
                  seed: UInt64 = 7) throws -> [String: [[Double]]] {
        let source = declarations + "\nparam mu: real\nmu ~ normal(0, 1)\ngenerate {\n" + lets + "\n}\n"
        let compiled = Compilation.compile(file: SourceFile(path: "rng.ppl", text: source))
        let model = try XCTUnwrap(compiled.model, compiled.renderDiagnostics(color: false) + "\n" + source)
        let draws = PosteriorDraws(names: ["mu"], rows: [[Double]](repeating: [0], count: Self.n),
                                   logDensities: [Double](repeating: 0, count: Self.n),
                                   logGuideDensities: [Double](repeating: 0, count: Self.n))
        let runtime = try ModelRuntime(model: model, data: data)
        let generated = try draws.generating(model.generated, data: runtime.values, seed: seed)
        var columns: [String: [[Double]]] = [:]
        for (j, name) in generated.names.enumerated() {
            let base = String(name.prefix { $0 != "[" })
            columns[base, default: []].append(generated.rows.map { $0[j] })
        }
        return columns
    }

    static func mean(_ x: [Double]) -> Double { x.reduce(0, +) / Double(x.count) }
    static func variance(_ x: [Double]) -> Double {
        let m = mean(x)
        return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
    }
    static func covariance(_ x: [Double], _ y: [Double]) -> Double {
        let mx = mean(x), my = mean(y)
        return zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) } / Double(x.count - 1)
    }

    /// The Kolmogorov–Smirnov distance of `u` from the uniform on (0, 1).
    static func ksDistance(_ u: [Double]) -> Double {
        let s = u.sorted(), n = Double(u.count)
        var d = 0.0
        for (i, x) in s.enumerated() { d = max(d, abs(x - Double(i) / n), abs(Double(i + 1) / n - x)) }
        return d
    }

    /// A draw pushed through the distribution's own cdf is uniform; D below 1.95/√n is the
    /// test at level 0.001. Every continuous distribution with scalar parameters is here.
    func testContinuousDrawsAreUniformUnderTheirCdf() throws {
        let cases = [
            ("normal", "1, 2"), ("std_normal", ""), ("lognormal", "0, 0.5"), ("student_t", "5, 1, 2"),
            ("cauchy", "0, 1"), ("double_exponential", "1, 2"), ("logistic", "1, 2"), ("gumbel", "1, 2"),
            ("exponential", "2"), ("gamma", "3, 2"), ("gamma", "0.4, 2"), ("inv_gamma", "3, 2"),
            ("chi_square", "3"), ("inv_chi_square", "3"), ("weibull", "2, 3"), ("rayleigh", "2"),
            ("pareto", "1, 3"), ("beta", "2, 3"), ("beta", "0.5, 0.7"), ("uniform", "-1, 3"),
            ("half_normal", "2"), ("half_cauchy", "2"),
        ]
        let table = try DistributionTests.distributions()
        let continuous = table.filter { !$0.value.discrete && $0.value.hasCdf }.keys
        XCTAssertEqual(Set(cases.map(\.0)), Set(continuous), "every continuous distribution with a cdf is tested")
        let lets = cases.enumerated().map { k, c in
            let args = c.1.isEmpty ? "" : " | " + c.1
            return "  let u\(k) = \(c.0)_cdf(\(c.0)_rng(\(c.1))\(args))"
        }.joined(separator: "\n")
        let columns = try generate(lets)
        for (k, c) in cases.enumerated() {
            let u = try XCTUnwrap(columns["u\(k)"]?.first)
            XCTAssertTrue(u.allSatisfy { $0 >= 0 && $0 <= 1 }, "\(c.0)(\(c.1)): cdf values outside [0, 1]")
            let d = Self.ksDistance(u)
            XCTAssertLessThan(d, 1.95 / Double(Self.n).squareRoot(), "\(c.0)(\(c.1)): KS distance \(d) from uniform")
        }
    }

    /// Means and variances of the discrete distributions (every branch of the binomial and
    /// Poisson samplers), each within 4.5 standard errors for the mean and 8% for the variance.
    func testDiscreteMeansAndVariances() throws {
        let cases: [(call: String, mean: Double, variance: Double)] = [
            ("bernoulli_rng(0.3)", 0.3, 0.21),
            ("bernoulli_logit_rng(0.5)", p(0.5), p(0.5) * (1 - p(0.5))),
            ("binomial_rng(10, 0.3)", 3, 2.1),
            ("binomial_rng(400, 0.3)", 120, 84),
            ("binomial_rng(60, 0.9)", 54, 5.4),
            ("binomial_logit_rng(10, 0.5)", 10 * p(0.5), 10 * p(0.5) * (1 - p(0.5))),
            ("beta_binomial_rng(10, 2, 3)", 4, 6),
            ("poisson_rng(3.5)", 3.5, 3.5),
            ("poisson_rng(250)", 250, 250),
            ("poisson_log_rng(1)", exp(1), exp(1)),
            ("neg_binomial_2_rng(3, 2)", 3, 3 + 9.0 / 2),
            ("neg_binomial_2_log_rng(1, 2)", exp(1), exp(1) + exp(2) / 2),
            ("neg_binomial_rng(3, 2)", 1.5, 3.0 / 4 * 3),
            ("categorical_rng([0.2, 0.3, 0.5]')", 2.3, 0.2 + 1.2 + 4.5 - 2.3 * 2.3),
            ("ordered_logistic_rng(0.5, [-1, 0, 1]')", 1 + p(1.5) + p(0.5) + p(-0.5),
             ordinalVariance([p(1.5), p(0.5), p(-0.5)])),
        ]
        let lets = cases.enumerated().map { "  let k\($0) = \($1.call)" }.joined(separator: "\n")
        let columns = try generate(lets)
        for (k, c) in cases.enumerated() {
            let x = try XCTUnwrap(columns["k\(k)"]?.first)
            XCTAssertTrue(x.allSatisfy { $0 == $0.rounded() && $0 >= 0 }, "\(c.call): not counts")
            let m = Self.mean(x), v = Self.variance(x)
            XCTAssertLessThan(abs(m - c.mean), 4.5 * (c.variance / Double(Self.n)).squareRoot(), "\(c.call): mean \(m), expected \(c.mean)")
            XCTAssertLessThan(abs(v / c.variance - 1), 0.08, "\(c.call): variance \(v), expected \(c.variance)")
        }
        XCTAssertEqual(try XCTUnwrap(columns["k13"]?.first).max(), 3)
    }

    private func p(_ x: Double) -> Double { 1 / (1 + exp(-x)) }

    /// The variance of 1 + Σ_k [y > k] given the survival probabilities P(y > k).
    private func ordinalVariance(_ survival: [Double]) -> Double {
        let probabilities = (0...survival.count).map { k -> Double in
            (k == 0 ? 1 : survival[k - 1]) - (k == survival.count ? 0 : survival[k])
        }
        let mean = probabilities.enumerated().reduce(0) { $0 + Double($1.0 + 1) * $1.1 }
        return probabilities.enumerated().reduce(0) { $0 + pow(Double($1.0 + 1) - mean, 2) * $1.1 }
    }

    /// The multivariate distributions, the multinomials and the GLMs: means and covariances.
    func testMultivariateMoments() throws {
        let x: [[Double]] = [[1, 0.5], [-1, 2], [0.3, -0.7]]
        let columns = try generate("""
              let d = dirichlet_rng([1, 2, 3]')
              let mn = multi_normal_rng([1, 2]', [[1, 0.5], [0.5, 2]])
              let mc = multi_normal_cholesky_rng([0, 1]', [[2, 0], [1, 1]])
              let m = multinomial_rng([0.2, 0.3, 0.5]', 10)
              let ml = multinomial_logit_rng(log([0.2, 0.3, 0.5]'), 10)
              let omega = lkj_corr_rng(4, 2)
              let l = lkj_corr_cholesky_rng(3, 0.5)
              let g = normal_id_glm_rng(X, 1, [2, -1]', 0.5)
              let pg = poisson_log_glm_rng(X, 0.5, [0.2, 0.1]')
              let bg = bernoulli_logit_glm_rng(X, 0, [1, -1]')
            """, data: ["X": Tensor(matrix: x)], declarations: "data X: matrix[3, 2]")
        func close(_ a: Double, _ b: Double, _ tolerance: Double, _ what: String) {
            XCTAssertLessThan(abs(a - b), tolerance, "\(what): \(a), expected \(b)")
        }
        let se = 1 / Double(Self.n).squareRoot()
        let d = try XCTUnwrap(columns["d"])
        for (k, a) in [1.0, 2, 3].enumerated() {
            close(Self.mean(d[k]), a / 6, 4.5 * se, "dirichlet mean \(k + 1)")
            close(Self.variance(d[k]), a * (6 - a) / (36 * 7), 0.08 * a * (6 - a) / (36 * 7), "dirichlet variance \(k + 1)")
        }
        XCTAssertTrue((0..<Self.n).allSatisfy { abs(d[0][$0] + d[1][$0] + d[2][$0] - 1) < 1e-12 }, "dirichlet draws sum to 1")
        let mn = try XCTUnwrap(columns["mn"]), mc = try XCTUnwrap(columns["mc"])
        close(Self.mean(mn[0]), 1, 4.5 * se, "multi_normal mean 1")
        close(Self.mean(mn[1]), 2, 4.5 * 1.5 * se, "multi_normal mean 2")
        close(Self.variance(mn[1]), 2, 0.08 * 2, "multi_normal variance 2")
        close(Self.covariance(mn[0], mn[1]), 0.5, 0.06, "multi_normal covariance")
        // L = [[2, 0], [1, 1]]: covariance L L' = [[4, 2], [2, 2]].
        close(Self.variance(mc[0]), 4, 0.08 * 4, "multi_normal_cholesky variance 1")
        close(Self.covariance(mc[0], mc[1]), 2, 0.12, "multi_normal_cholesky covariance")
        for (name, columnsOf) in [("multinomial", "m"), ("multinomial_logit", "ml")] {
            let m = try XCTUnwrap(columns[columnsOf])
            XCTAssertTrue((0..<Self.n).allSatisfy { m[0][$0] + m[1][$0] + m[2][$0] == 10 }, "\(name) draws sum to N")
            for (k, p) in [0.2, 0.3, 0.5].enumerated() {
                close(Self.mean(m[k]), 10 * p, 4.5 * (10 * p * (1 - p)).squareRoot() * se, "\(name) mean \(k + 1)")
                close(Self.variance(m[k]), 10 * p * (1 - p), 0.08 * 10 * p * (1 - p), "\(name) variance \(k + 1)")
            }
        }
        // LKJ(eta) on K×K: each correlation is 2 Beta(b, b) - 1 with b = eta - 1 + K/2,
        // variance 1 / (2b + 1); here b = 3.
        let omega = try XCTUnwrap(columns["omega"])
        for i in 0..<4 {
            for j in 0..<4 {
                let r = omega[i * 4 + j]
                if i == j {
                    XCTAssertTrue(r.allSatisfy { abs($0 - 1) < 1e-12 }, "lkj_corr diagonal")
                } else {
                    close(Self.mean(r), 0, 4.5 * (1.0 / 7).squareRoot() * se, "lkj_corr mean [\(i + 1),\(j + 1)]")
                    close(Self.variance(r), 1.0 / 7, 0.08 / 7, "lkj_corr variance [\(i + 1),\(j + 1)]")
                }
            }
        }
        // K = 3, eta = 0.5: b = 1, variance 1/3; the rows of L have unit length.
        let l = try XCTUnwrap(columns["l"])
        for i in 0..<3 {
            let norms = (0..<Self.n).map { s in (0..<3).reduce(0) { $0 + l[i * 3 + $1][s] * l[i * 3 + $1][s] } }
            XCTAssertTrue(norms.allSatisfy { abs($0 - 1) < 1e-12 }, "row \(i + 1) of an lkj_corr_cholesky draw has unit length")
        }
        close(Self.variance(l[3]), 1.0 / 3, 0.08 / 3, "lkj_corr_cholesky L[2,1] variance")
        let g = try XCTUnwrap(columns["g"]), pg = try XCTUnwrap(columns["pg"]), bg = try XCTUnwrap(columns["bg"])
        for r in 0..<3 {
            close(Self.mean(g[r]), 1 + 2 * x[r][0] - x[r][1], 4.5 * 0.5 * se, "normal_id_glm mean \(r + 1)")
            close(Self.variance(g[r]), 0.25, 0.08 * 0.25, "normal_id_glm variance \(r + 1)")
            let rate = exp(0.5 + 0.2 * x[r][0] + 0.1 * x[r][1])
            close(Self.mean(pg[r]), rate, 4.5 * rate.squareRoot() * se, "poisson_log_glm mean \(r + 1)")
            let q = p(x[r][0] - x[r][1])
            close(Self.mean(bg[r]), q, 4.5 * (q * (1 - q)).squareRoot() * se, "bernoulli_logit_glm mean \(r + 1)")
        }
    }

    /// Draws are independent across the elements of a vectorised call, the iterations of a
    /// loop, the sites of a block and the posterior draws; the same seed gives the same
    /// draws, another seed others.
    func testDrawsAreIndependentAndReproducible() throws {
        let lets = """
              let v = normal_rng([0, 0, 0]', 1)
              let w: vector[3]
              for i in 1:3 {
                w[i] = std_normal_rng()
              }
              let a = std_normal_rng()
              let b = std_normal_rng()
            """
        let columns = try generate(lets)
        let v = try XCTUnwrap(columns["v"]), w = try XCTUnwrap(columns["w"])
        let a = try XCTUnwrap(columns["a"]?.first), b = try XCTUnwrap(columns["b"]?.first)
        let pairs = [(v[0], v[1]), (v[1], v[2]), (w[0], w[1]), (w[0], w[2]), (a, b), (v[0], w[0]), (a, v[0]),
                     (Array(a.dropFirst()), Array(a.dropLast()))]
        for (k, (x, y)) in pairs.enumerated() {
            let r = Self.covariance(x, y) / (Self.variance(x) * Self.variance(y)).squareRoot()
            XCTAssertLessThan(abs(r), 4.5 / Double(Self.n).squareRoot(), "pair \(k): correlation \(r)")
        }
        for x in v + w + [a, b] { XCTAssertLessThan(abs(Self.variance(x) - 1), 0.06) }
        let again = try generate(lets)
        XCTAssertEqual(again["w"]?[1], w[1], "the same seed gives the same draws")
        let other = try generate(lets, seed: 8)
        XCTAssertNotEqual(other["w"]?[1], w[1], "another seed gives other draws")
    }
}
