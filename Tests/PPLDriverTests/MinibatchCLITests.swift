import CLITestSupport
import Foundation
import XCTest

/// `ppl fit --minibatch N=M` as a user runs it: the models it refuses, with the statement at
/// fault, and a fit that agrees with the full data's.
final class MinibatchCLITests: XCTestCase {
    static let header = """
        data N: int<lower=1>
        data y: vector[N]
        param mu: real
        param sigma: real<lower=0>
        mu ~ normal(0, 5)
        sigma ~ half_normal(2)

        """

    /// Writes `body` after the header as `m.ppl` with ten rows of data and fits it with a batch of 4.
    func fit(_ body: String, flags: [String] = ["--minibatch", "N=4"]) throws -> CLI.Run {
        let d = try CLI.temporaryFolder("ppl-minibatch")
        try (Self.header + body).write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let y = (1...10).map { String(Double($0) / 4) }.joined(separator: ", ")
        try "{\"N\": 10, \"y\": [\(y)]}".write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        return try CLI.run(["fit", "m.ppl", "--quiet", "--runs", "1", "--steps", "200"] + flags, in: d)
    }

    func assertRefused(_ body: String, line: Int, column: Int, _ why: String, file: StaticString = #filePath,
                       at callLine: UInt = #line) throws {
        let r = try fit(body)
        XCTAssertEqual(r.status, 65, r.stderr, file: file, line: callLine)
        XCTAssertTrue(r.stderr.hasPrefix("m.ppl:\(line):\(column): error: minibatching along N: "), r.stderr, file: file, line: callLine)
        XCTAssertTrue(r.stderr.contains(why), r.stderr, file: file, line: callLine)
        XCTAssertEqual(r.stdout, "", file: file, line: callLine)
    }

    func testModelsWhereABatchIsBiasedAreRefusedAtTheStatement() throws {
        // A row read at a given position.
        try assertRefused("y ~ normal(mu, sigma)\ny[1] ~ normal(0, 10)\n", line: 8, column: 1,
                          "this term reads the rows of N at given positions (as y[1] does)")
        // A sum over the rows inside a nonlinear function.
        try assertRefused("y ~ normal(mu, sigma)\ntarget += log(sum(exp(y - mu)))\n", line: 8, column: 1,
                          "this term puts a sum over the rows of N inside 'log'")
        // A loop that carries a value from one row to the next.
        try assertRefused("""
            let m: real = 0
            for n in 1:N {
              y[n] ~ normal(mu + 0.5 * m, sigma)
              m = y[n]
            }

            """, line: 8, column: 1, "this term runs a loop over the rows of N that carries state from one row to the next")
        // A lagged read: the vectorised loop reads a range of the rows.
        try assertRefused("for n in 2:N {\n  y[n] ~ normal(mu * y[n - 1], sigma)\n}\n", line: 7, column: 1,
                          "this term works on a part or a rearrangement of the rows of N")
        // A param with N elsewhere than its rows, and a local param with bounds read from the data.
        let r = try fit("param z: matrix[2, N]\nto_vector(z) ~ normal(0, 1)\ny ~ normal(mu + z[1]', sigma)\n")
        XCTAssertEqual(r.status, 65, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("m.ppl:7:7: error: minibatching along N: param 'z' has N in its shape (matrix[2, N]) "
                                         + "other than as its first dimension"), r.stderr)
        let bounded = try fit("param z: vector<lower=y>[N]\nz ~ normal(0, 1)\ny ~ normal(mu, sigma)\n")
        XCTAssertEqual(bounded.status, 65, bounded.stderr)
        XCTAssertTrue(bounded.stderr.hasPrefix("m.ppl:7:7: error: minibatching along N: local param 'z' has bounds that are not "
                                               + "constants (vector<lower=y>[N])"), bounded.stderr)
        // A local param: its rows are the batch's, each row with its own guide.
        let local = try fit("param z: vector[N]\nz ~ normal(0, 1)\ny ~ normal(mu + z, sigma)\n")
        XCTAssertEqual(local.status, 0, local.stderr)
        XCTAssertTrue(local.stdout.contains("\nminibatch: 4 of 10 rows per step ('y', and local 'z'), its sums over the rows "
                                            + "scaled by N/M = 2.5;"), local.stdout)
        XCTAssertTrue(local.stdout.contains("\nframe: none (local params 'z': the mode's curvature over every row is not formed)\n"),
                      local.stdout)
    }

    /// An amortized guide's keys name a local param and the data its encoder reads: each way
    /// of getting them wrong is an error naming the key, before anything is fitted.
    func testAmortizedGuidesNameALocalParamAndItsInput() throws {
        let body = "param z: vector[N]\nz ~ normal(0, 1)\ny ~ normal(mu + z, sigma)\n"
        let cases: [(String, [String], String)] = [
            ("guide enc = amortized { local = zz, input = y }", [],
             "'local' of the amortized guide 'enc' names 'zz', which is not a param of the model; did you mean 'z'?"),
            ("guide enc = amortized { local = mu, input = y }", [],
             "'local' of the amortized guide 'enc' is 'mu' (real), whose first dimension is not an int data"),
            ("guide enc = amortized { local = z, input = w }", [],
             "'input' of the amortized guide 'enc' names 'w', which is not data the model's density reads; "
                + "data with a row per row of N: y"),
            ("guide enc = amortized { local = z, input = y, point = [z] }", [],
             "'point' of the amortized guide 'enc' names 'z', its local param"),
            ("guide enc = amortized { local = z, input = y }", ["--runs", "4"],
             "runs = 4: a fit with local params is one run"),
        ]
        for (guide, flags, message) in cases {
            let r = try fit(body + guide + "\n", flags: flags)
            XCTAssertEqual(r.status, 65, "\(guide): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("ppl: error: " + message), "\(guide): \(r.stderr)")
        }
        let none = try fit("y ~ normal(mu, sigma)\nguide enc = amortized\n", flags: [])
        XCTAssertEqual(none.status, 65, none.stderr)
        XCTAssertTrue(none.stderr.hasPrefix("ppl: error: the amortized guide 'enc' guides a local param, and the model has none"),
                      none.stderr)
        // Unnamed, the local param and the input are the first ones there are.
        let good = try fit(body + "guide enc = amortized\n", flags: ["--minibatch", "N=5"])
        XCTAssertEqual(good.status, 0, good.stderr)
        XCTAssertTrue(good.stdout.hasPrefix("m.ppl: guide 'enc' (amortized), 12 unconstrained dimensions\n"), good.stdout)
    }

    func testOptionsThatCannotApplyAreRefused() throws {
        let body = "y ~ normal(mu, sigma)\n"
        let cases: [([String], String)] = [
            (["--minibatch", "Q=4"], "ppl: error: minibatch names 'Q', which is not an int data of the model; its int data are 'N'\n"),
            (["--minibatch", "N=11"], "ppl: error: minibatch N=11: a batch of 11 rows, but 'N' is 10 with these data\n"),
            (["--minibatch", "N=0"], "ppl: error: 'minibatch' must be [SIZE, M], an int data and the rows of a batch "
                + "(--minibatch N=256), or off\n"),
            (["--minibatch", "N=4", "--objective", "iwae"],
             "ppl: error: minibatch needs objective elbo: a batch's scaled density is unbiased, but the iwae bound of it is not\n"),
            (["--minibatch", "N=4", "--guide", "hvi"], "ppl: error: 'minibatch' does not apply to a hvi guide; "),
        ]
        for (flags, message) in cases {
            let r = try fit(body, flags: flags)
            XCTAssertEqual(r.status, 65, "\(flags): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix(message), "\(flags): \(r.stderr)")
        }
        // The guide block's spelling, and off.
        let block = try fit(body + "guide g = meanfield { minibatch = [N, 4] }\n", flags: [])
        XCTAssertEqual(block.status, 0, block.stderr)
        XCTAssertTrue(block.stdout.contains("\nminibatch: 4 of 10 rows per step ('y'), its sums over the rows scaled by N/M = 2.5, "
                                                  + "with a control variate at the posterior mode;"),
                      block.stdout)
        // Without the frame's search there is no mode to anchor the control variate at.
        let plain = try fit(body, flags: ["--minibatch", "N=4", "--no-precondition"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("scaled by N/M = 2.5; the ELBO is the batches' estimate;"), plain.stdout)
        let off = try fit(body + "guide g = meanfield { minibatch = [N, 4] }\n", flags: ["--minibatch", "off"])
        XCTAssertEqual(off.status, 0, off.stderr)
        XCTAssertFalse(off.stdout.contains("minibatch"), off.stdout)
    }

    /// A logistic regression on 1,000 rows fitted with batches of 50 (scaled by 20) and with
    /// all the data: the posteriors agree (means within 0.15 sd, sds within 15%), where an
    /// unscaled batch's would be √20 times as wide.
    func testAMinibatchFitAgreesWithTheFullDataFit() throws {
        let d = try CLI.temporaryFolder("ppl-minibatch-fit")
        try """
            data N: int<lower=1>
            data X: matrix[N, 2]
            data y: array[N] int<lower=0, upper=1>
            param alpha: real
            param beta: vector[2]
            alpha ~ normal(0, 2.5)
            beta ~ normal(0, 2.5)
            y ~ bernoulli_logit(alpha + X * beta)
            """.write(toFile: d + "/lr.ppl", atomically: true, encoding: .utf8)
        // Deterministic rows: predictors spread over (-2, 2), outcomes by a fixed threshold.
        let n = 1000
        func spread(_ i: Int, _ a: Int, _ m: Int) -> Double { Double((i * a) % m) / Double(m) }
        let x: [[Double]] = (0..<n).map { i in [4 * spread(i, 37, 101) - 2, 4 * spread(i, 59, 97) - 2] }
        let y: [Int] = (0..<n).map { i in
            let eta: Double = 0.3 + x[i][0] - 0.5 * x[i][1]
            return spread(i, 71, 89) < 1 / (1 + exp(-eta)) ? 1 : 0
        }
        let rows = x.map { "[\($0[0]), \($0[1])]" }.joined(separator: ", ")
        try "{\"N\": \(n), \"X\": [\(rows)], \"y\": \(y)}".write(toFile: d + "/lr.data.json", atomically: true, encoding: .utf8)
        func summary(_ flags: [String]) throws -> [String: [String: Double]] {
            let r = try CLI.run(["fit", "lr.ppl", "--quiet", "--runs", "1", "--no-precondition", "--summary-json", "s.json"] + flags,
                                in: d)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as! [String: Any]
            return json["params"] as! [String: [String: Double]]
        }
        let full = try summary([]), batched = try summary(["--minibatch", "N=50"])
        for name in ["alpha", "beta[1]", "beta[2]"] {
            let (a, b) = (full[name]!, batched[name]!)
            XCTAssertLessThan(abs(a["mean"]! - b["mean"]!), 0.15 * a["sd"]!, "\(name): \(a) vs \(b)")
            XCTAssertLessThan(abs(log(a["sd"]! / b["sd"]!)), 0.15, "\(name): \(a) vs \(b)")
        }
    }
}
