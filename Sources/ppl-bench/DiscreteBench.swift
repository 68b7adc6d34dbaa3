import ArgumentParser
import Foundation

/// A mixture with explicit discrete assignments (`Tests/Data/discrete/explicit.ppl`): ppl's
/// fit (a categorical guide per point, the score function gradient with Rao-Blackwellised
/// signals and the leave-one-out baseline) beside NumPyro's SVI of the same model under
/// TraceGraph_ELBO (its score function estimator, Rao-Blackwellised by the plate), in the
/// same run, interleaved; and ppl's fit of the marginalised form. Accuracy against NUTS on
/// the marginalised model (NumPyro, 4,000 draws): per param of mu[1], mu[2], p,
/// |mean − ref| / ref sd and |log(sd / ref sd)|, averaged.
struct DiscreteBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "discrete", abstract: "Explicit discrete latents: ppl's score function fit beside NumPyro's TraceGraph_ELBO.")

    @Option(help: "Python with numpyro and jax.")
    var python = ".venv-anchors/bin/python"

    @Option(help: "Interleaved rounds; medians are reported.")
    var rounds = 3

    @Option(help: "Steps of NumPyro's fit.")
    var numpyroSteps = 3000

    var folder: String { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path }
    let data = "Tests/Data/discrete/mixture.json"

    typealias Summary = (params: [String: (mean: Double, sd: Double)], seconds: Double, steps: Int)

    func launch(_ path: String, _ arguments: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw ValidationError("\(path) \(arguments.joined(separator: " ")) failed") }
        return String(decoding: bytes, as: UTF8.self)
    }

    func numpyro(_ method: String) throws -> Summary {
        let out = try launch(python, ["scripts/numpyro_discrete.py", "--data", data, "--method", method,
                                      "--steps", String(numpyroSteps)])
        guard let line = out.split(separator: "\n").last,
              let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: [String: Any]],
              let fit = json.values.first else { throw ValidationError("no result from NumPyro's \(method)") }
        var params: [String: (Double, Double)] = [:]
        for name in ["mu[1]", "mu[2]", "p"] {
            guard let v = fit[name] as? [Double], v.count == 2 else { throw ValidationError("NumPyro gave no \(name)") }
            params[name] = (v[0], v[1])
        }
        return (params, fit["seconds"] as? Double ?? .nan, fit["steps"] as? Int ?? 0)
    }

    func ppl(_ model: String) throws -> Summary {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-bench-discrete-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try launch(folder + "/ppl", ["fit", model, "--data", data, "--runs", "1", "--quiet", "--summary-json", dir + "/s.json"])
        guard let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/s.json"))) as? [String: Any],
              let params = json["params"] as? [String: [String: Double]] else { throw ValidationError("no summary from ppl") }
        var out: [String: (Double, Double)] = [:]
        for name in ["mu[1]", "mu[2]", "p"] { out[name] = (params[name]?["mean"] ?? .nan, params[name]?["sd"] ?? .nan) }
        return (out, json["seconds"] as? Double ?? .nan, json["steps"] as? Int ?? 0)
    }

    func run() throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ValidationError("\(python) is missing: python3 -m venv .venv-anchors && .venv-anchors/bin/pip install numpyro jax jaxlib")
        }
        let reference = try numpyro("nuts").params
        var fits: [String: [Summary]] = [:]
        let methods = ["ppl explicit", "NumPyro TraceGraph_ELBO explicit", "ppl marginalised"]
        for _ in 0..<rounds {
            fits[methods[0], default: []].append(try ppl("Tests/Data/discrete/explicit.ppl"))
            fits[methods[1], default: []].append(try numpyro("tracegraph"))
            fits[methods[2], default: []].append(try ppl("Tests/Data/discrete/marginalised.ppl"))
        }
        func median(_ x: [Double]) -> Double { x.sorted()[x.count / 2] }
        print("Two-cluster mixture, 80 points, z[n] explicit; reference: NUTS on the marginalised model (4,000 draws).")
        print("Medians of \(rounds) interleaved rounds; ppl: defaults, one run; NumPyro: AutoNormal + a Bernoulli guide per point, "
              + "TraceGraph_ELBO(8 particles), Adam 0.05, \(numpyroSteps) steps (the jitted loop's second run).")
        print("method                            steps   fit s    µs/step  mean err/sd  log-sd err")
        for m in methods {
            let runs = fits[m]!
            let meanError = median(runs.map { r in
                reference.keys.reduce(0) { $0 + abs(r.params[$1]!.mean - reference[$1]!.mean) / reference[$1]!.sd } / 3 })
            let sdError = median(runs.map { r in reference.keys.reduce(0) { $0 + abs(log(r.params[$1]!.sd / reference[$1]!.sd)) } / 3 })
            let seconds = median(runs.map(\.seconds)), steps = median(runs.map { Double($0.steps) })
            print(m.padding(toLength: 32, withPad: " ", startingAt: 0)
                  + String(format: "  %6.0f  %6.2f  %9.1f  %11.3f  %10.3f", steps, seconds, 1e6 * seconds / steps, meanError, sdError))
        }
    }
}
