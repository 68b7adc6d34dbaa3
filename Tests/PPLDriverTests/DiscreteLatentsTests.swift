import CLITestSupport
import Foundation
import PPLDiff
import PPLDriver
import PPLEngine
import PPLInference
import PPLIR
import PPLSema
import PPLSyntax
import XCTest

/// Discrete latent variables (`param z: int<lower=a, upper=b>[N]`): their categorical guide
/// (`DiscreteLatents`), the score function gradient with its leave-one-out baseline, and the
/// messages for what a fit with them cannot do.
final class DiscreteLatentsTests: XCTestCase {
    static let folder = CLI.root + "/Tests/Data/discrete"

    func ppl(_ args: [String]) throws -> CLI.Run { try CLI.run(args) }

    /// The summary JSON and the printed report of a one-run fit of `model` on the mixture data.
    func fit(_ model: String, _ extra: [String] = []) throws -> (summary: [String: Any], stdout: String) {
        let d = try CLI.temporaryFolder("ppl-discrete")
        let r = try ppl(["fit", Self.folder + "/" + model, "--data", Self.folder + "/mixture.json", "--runs", "1",
                         "--summary-json", d + "/summary.json"] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/summary.json")))
        return (try XCTUnwrap(json as? [String: Any]), r.stdout)
    }

    /// A mixture whose points' clusters are explicit discrete params has the same posterior
    /// over the other params as the mixture with them summed out (`log_mix`), and the same
    /// p(data): Σ_z p(y, z | θ) is the marginalised likelihood. At three seeds. The guide
    /// is mean-field between z and the other params, which narrows their sds (measured over
    /// eight seeds: 4–30% below the marginalised fit's, means within 0.21 sd); the bounds
    /// allow that and no more.
    func testExplicitAssignmentsGiveTheMarginalisedMixturesPosterior() throws {
        let marginalised = try fit("marginalised.ppl")
        let m = try XCTUnwrap(marginalised.summary["params"] as? [String: [String: Double]])
        let logZ = try XCTUnwrap(marginalised.summary["log_z"] as? Double)
        let data = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/mixture.json")))
        let y = try XCTUnwrap((data as? [String: Any])?["y"] as? [Double])
        for seed in 1...3 {
            let explicit = try fit("explicit.ppl", ["--seed", String(seed)])
            let e = try XCTUnwrap(explicit.summary["params"] as? [String: [String: Double]])
            for name in ["mu[1]", "mu[2]", "p"] {
                let (a, b) = (try XCTUnwrap(e[name]), try XCTUnwrap(m[name]))
                XCTAssertLessThan(abs(a["mean"]! - b["mean"]!), 0.35 * b["sd"]!, "\(name), seed \(seed)")
                XCTAssertLessThan(abs(log(a["sd"]! / b["sd"]!)), 0.4, "\(name), seed \(seed)")
            }
            XCTAssertEqual(try XCTUnwrap(explicit.summary["log_z"] as? Double), logZ, accuracy: 0.5, "seed \(seed)")
            // The clusters of the points far from the other cluster's centre are all but certain.
            for (n, v) in y.enumerated() where abs(v) > 2.5 {
                let z = try XCTUnwrap(e["z[\(n + 1)]"]?["mean"])
                XCTAssertEqual(z, v > 0 ? 1 : 0, accuracy: 0.05, "y[\(n + 1)] = \(v), seed \(seed)")
            }
        }
    }

    /// The header reports the score function term's variance at the fit with and without the
    /// leave-one-out baseline, and with the whole log weight as every element's signal
    /// instead of its row's own terms, measured on the same draws: each cuts it several-fold.
    func testTheVarianceReductionsAreReported() throws {
        let out = try fit("explicit.ppl").stdout
        let lines = out.split(separator: "\n")
        XCTAssertTrue(lines.contains("discrete params z: categorical guide, score function gradient; the learning signal of "
                                     + "each element of 'z' is its row's own terms (Rao-Blackwellised over the rows of N)"), out)
        let line = try XCTUnwrap(lines.first { $0.hasPrefix("score function variance at the fit: ") }, out)
        let numbers = line.split(whereSeparator: { " (),×".contains($0) }).compactMap { Double($0) }
        XCTAssertEqual(numbers.count, 5, String(line))
        XCTAssertLessThan(numbers[0] * 5, numbers[1], String(line))
        XCTAssertEqual(numbers[2], numbers[1] / numbers[0], accuracy: 0.01 * numbers[2], String(line))
        XCTAssertLessThan(numbers[0] * 3, numbers[3], String(line))
        XCTAssertEqual(numbers[4], numbers[3] / numbers[0], accuracy: 0.01 * numbers[4], String(line))
    }

    /// The guide's log q of a value is its categorical's log probability, and its draws
    /// follow those probabilities.
    func testCategoricalLogDensitiesAndDraws() throws {
        let discrete = DiscreteLatents(groups: [.init(name: "a", count: 2, lower: -1, categories: 3),
                                                .init(name: "b", count: 1, lower: 4, categories: 2)])
        let logits = [0.3, -1.2, 2.0, 0.5, -0.7]
        func logProbabilities(_ l: [Double]) -> [Double] {
            let all = [0] + l, top = all.max()!
            let norm = top + log(all.reduce(0) { $0 + exp($1 - top) })
            return all.map { $0 - norm }
        }
        let expected = [logProbabilities([0.3, -1.2]), logProbabilities([2.0, 0.5]), logProbabilities([-0.7])]
        let b = Builder()
        let e = Emitter(b)
        let phi = b.inputValue(.vector(Size(5))), values = b.inputValue(.vector(Size(3)))
        let out = discrete.logDensities(e, logits: phi, values: values)
        let (instrs, types) = b.finish()
        let program = Program(name: "q", inputs: [
            Input(name: "phi", value: phi, role: .data, type: .vector(Size(5)), constraint: .none),
            Input(name: "values", value: values, role: .param, type: .vector(Size(3)), constraint: .none),
        ], body: Block(instrs: instrs, yields: [out]), outputNames: ["logq"], types: types)
        let run = try Executable(program, varying: ["values"], data: ["phi": Tensor(vector: logits)], batch: 1)
        for (i, j, k) in [(-1, 0, 4), (0, 1, 5), (1, -1, 4)] {
            _ = run.input("values").update(fromContentsOf: [Double(i), Double(j), Double(k)])
            try run.run()
            let got = Array(run.output("logq"))
            XCTAssertEqual(got[0], expected[0][i + 1], accuracy: 1e-12)
            XCTAssertEqual(got[1], expected[1][j + 1], accuracy: 1e-12)
            XCTAssertEqual(got[2], expected[2][k - 4], accuracy: 1e-12)
        }
        var rng = RNG(seed: 3)
        var counts = [[Int]](repeating: [0, 0, 0], count: 3)
        let draws = 40_000
        var value = [Double](repeating: 0, count: 3)
        for _ in 0..<draws {
            logits.withUnsafeBufferPointer { l in
                value.withUnsafeMutableBufferPointer { discrete.draw(logits: l, into: $0, rng: &rng) }
            }
            counts[0][Int(value[0]) + 1] += 1
            counts[1][Int(value[1]) + 1] += 1
            counts[2][Int(value[2]) - 4] += 1
        }
        for (element, probabilities) in expected.enumerated() {
            XCTAssertEqual(counts[element].reduce(0, +), draws)
            for (c, lp) in probabilities.enumerated() {
                let p = exp(lp), se = (p * (1 - p) / Double(draws)).squareRoot()
                XCTAssertEqual(Double(counts[element][c]) / Double(draws), p, accuracy: 4 * se + 1e-9, "\(element) \(c)")
            }
        }
    }

    /// `gradient = score` fits a Gaussian guide by the score function estimator alone: on a
    /// conjugate normal mean it reaches the exact posterior, as the reparameterisation
    /// gradient does, and the header reports the estimator's variance.
    func testTheScoreFunctionGradientFitsAContinuousGuide() throws {
        let d = try CLI.temporaryFolder("ppl-discrete")
        let path = d + "/normal.ppl"
        try "data N: int<lower=1>\ndata y: vector[N]\nparam mu: real\nparam c: real\nmu ~ normal(0, 10)\nc ~ normal(1, 1)\ny ~ normal(mu, 2)\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        let data = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.folder + "/mixture.json")))
        let y = try XCTUnwrap((data as? [String: Any])?["y"] as? [Double])
        let precision = 1 / 100 + Double(y.count) / 4
        let (mean, sd) = (y.reduce(0, +) / 4 / precision, (1 / precision).squareRoot())
        let r = try ppl(["fit", path, "--data", Self.folder + "/mixture.json", "--gradient", "score", "--runs", "1",
                         "--summary-json", d + "/s.json", "--no-psis-resample"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("gradient = score: the meanfield guide's parameters get the score function gradient"), r.stdout)
        XCTAssertTrue(r.stdout.contains("score function variance at the fit: "), r.stdout)
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as? [String: Any]
        let mu = try XCTUnwrap((summary?["params"] as? [String: [String: Double]])?["mu"])
        XCTAssertEqual(mu["mean"]!, mean, accuracy: 0.1 * sd)
        XCTAssertEqual(mu["sd"]!, sd, accuracy: 0.1 * sd)
        let point = try ppl(["fit", path, "--data", Self.folder + "/mixture.json", "--gradient", "score", "--point", "c"])
        XCTAssertEqual(point.status, 65)
        XCTAssertTrue(point.stderr.contains("gradient = score: point estimates have no density to score"), point.stderr)
    }

    func testWhatAFitWithDiscreteParamsCannotDoIsRefused() throws {
        let d = try CLI.temporaryFolder("ppl-discrete")
        func model(_ declaration: String) throws -> String {
            let path = d + "/m\(UUID().uuidString.prefix(8)).ppl"
            try ("data N: int<lower=1>\ndata y: vector[N]\nparam mu: real\n\(declaration)\nmu ~ normal(0, 1)\n"
                 + "y ~ normal(mu + k, 1)\n").write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let data = Self.folder + "/mixture.json"
        let lowerOnly = try ppl(["check", try model("param k: int<lower=0>")])
        XCTAssertEqual(lowerOnly.status, 65)
        XCTAssertTrue(lowerOnly.stderr.contains("an int param needs both a lower and an upper bound"), lowerOnly.stderr)
        let computed = try ppl(["check", try model("param k: int<lower=0, upper=mu>")])
        XCTAssertEqual(computed.status, 65)
        XCTAssertTrue(computed.stderr.contains("a bound of an int param may depend on data only"), computed.stderr)
        let ok = try model("param k: int<lower=-1, upper=1>")
        for (guide, why) in [("hvi", "hvi moves its draws along the density's gradient"),
                             ("laplace", "a laplace guide sits at the mode"), ("svgd", "svgd moves its particles")] {
            let r = try ppl(["fit", ok, "--data", data, "--guide", guide])
            XCTAssertEqual(r.status, 65, guide)
            XCTAssertTrue(r.stderr.contains("the model has discrete params ('k'): " + why), r.stderr)
        }
        let iwae = try ppl(["fit", ok, "--data", data, "--objective", "iwae"])
        XCTAssertEqual(iwae.status, 65)
        XCTAssertTrue(iwae.stderr.contains("objective iwae is not supported with them"), iwae.stderr)
        let batch = try ppl(["fit", ok, "--data", data, "--minibatch", "N=10"])
        XCTAssertEqual(batch.status, 65)
        XCTAssertTrue(batch.stderr.contains("fit without minibatch or local params"), batch.stderr)
        // A fit of k alone beside mu: y's mean is near -0.3, so k = 0 is the most likely value.
        let r = try ppl(["fit", ok, "--data", data, "--runs", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\nk "), r.stdout)
    }
}

extension DiscreteLatentsTests {
    /// The row-weighted density (`MinibatchedDensity.rowWeighted`) is the model's at weights
    /// of 1, and its gradient with respect to the weights is each row's own terms.
    func testRowWeightsGradientIsEachRowsOwnTerms() throws {
        let model = try XCTUnwrap(Compilation.compile(file: SourceFile(path: "m.ppl", text: """
            data N: int<lower=1>
            data y: vector[N]
            param z: int<lower=0, upper=1>[N]
            param mu: real
            param sigma: real<lower=0>
            mu ~ normal(0, 3)
            sigma ~ lognormal(0, 1)
            z ~ bernoulli(0.3)
            y ~ normal(mu + 2 * z, sigma)
            """)).model)
        let weighted = try MinibatchedDensity.rowWeighted(model: model, size: "N")
        let gradient = try Differentiator.gradient(weighted, wrt: [MinibatchedDensity.rowWeightInput])
        let y = [0.3, -1.2, 2.5, 1.1], z = [0.0, 1, 1, 0], mu = 0.4, sigma = 1.7
        var data: [String: Tensor] = ["N": Tensor(scalar: 4), "y": Tensor(vector: y), "mu": Tensor(scalar: mu),
                                      "sigma": Tensor(scalar: sigma), "z": Tensor(vector: z),
                                      MinibatchedDensity.rowWeightInput: Tensor(vector: [1, 1, 1, 1])]
        let run = try Executable(gradient, varying: [], data: data)
        try run.run()
        let plain = try Executable(model.logDensity, varying: [], data: data)
        try plain.run()
        XCTAssertEqual(run.output("target")[0], plain.output("target")[0], accuracy: 1e-12)
        let rows = Array(run.output("grad." + MinibatchedDensity.rowWeightInput))
        for n in 0..<4 {
            let r = (y[n] - mu - 2 * z[n]) / sigma
            let own = -0.5 * r * r - log(sigma) - 0.5 * log(2 * Double.pi) + (z[n] == 1 ? log(0.3) : log(0.7))
            XCTAssertEqual(rows[n], own, accuracy: 1e-12, "row \(n + 1)")
        }
        // Weights other than 1 scale each row's terms.
        data[MinibatchedDensity.rowWeightInput] = Tensor(vector: [2, 0, 1, 1])
        let scaled = try Executable(weighted, varying: [], data: data)
        try scaled.run()
        XCTAssertEqual(scaled.output("target")[0], plain.output("target")[0] + rows[0] - rows[1], accuracy: 1e-10)
    }
}
