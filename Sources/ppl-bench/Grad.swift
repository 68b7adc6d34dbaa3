import ArgumentParser
import Foundation
import PPLDriver
import PPLEngine

/// Gradient evaluations per second of every bench model at S = 1 and S = 32 particles,
/// beside NumPyro's jitted gradient of the potential on the same model and data.
struct Grad: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Gradient throughput beside NumPyro.")

    @OptionGroup var setup: BenchSetup

    @Option(help: "Seconds of timing per configuration.")
    var seconds = 2.0

    /// ppl ÷ NumPyro gradients per second that the project aims for at S = 1.
    static let targets: [String: Double] = [
        "eight_schools": 5, "funnel": 5, "banana": 5, "mixture": 3, "hier_linear": 3, "linreg": 3, "logistic": 2,
    ]

    func run() throws {
        print("OpenBLAS core: \(OpenBLASSetup.coreName)")
        if !setup.numpyroAvailable {
            print("NumPyro: not available (set up \(setup.python) as ../shared/bench/README.md says); timing ppl only")
        }
        print(pad("model", 14) + pad("S", 4) + pad("ppl µs/call", 13) + pad("ppl grad/s", 13) + pad("NumPyro grad/s", 16)
              + pad("ratio", 8) + "target")
        for name in setup.models {
            let runtime = try setup.runtime(name)
            let program = try runtime.gradientProgram()
            for s in [1, 32] {
                let e = try runtime.executable(program, batch: s)
                var rng = RNG(seed: 1)
                let theta = e.input("theta")
                for i in 0..<theta.count { theta[i] = rng.normal() }
                let (calls, elapsed) = try timed(seconds: seconds) { try e.run() }
                let perCall = elapsed / Double(calls) * 1e6
                let ours = Double(calls * s) / elapsed
                var theirs: Double?
                if setup.numpyroAvailable {
                    let r = setup.numpyro("grad_numpyro.py", ["--model", name, "--batch", String(s), "--seconds", "3"])
                    theirs = r?["grads_per_s"] as? Double
                }
                let ratio = theirs.map { ours / $0 }
                let target = s == 1 ? Grad.targets[name] ?? 1 : 1
                let verdict = ratio.map { $0 >= target ? "≥ \(fmt(target)) met" : "≥ \(fmt(target)) MISSED" } ?? "≥ \(fmt(target))"
                print(pad(name, 14) + pad(String(s), 4) + pad(fmt(perCall), 13) + pad(fmt(ours), 13)
                      + pad(theirs.map(fmt) ?? "-", 16) + pad(ratio.map { fmt($0) } ?? "-", 8) + verdict)
            }
        }
    }
}

func pad(_ s: String, _ n: Int) -> String { s + String(repeating: " ", count: max(1, n - s.count)) }

func fmt(_ x: Double) -> String {
    if x >= 1e5 { return String(format: "%.3g", x) }
    if x >= 100 { return String(format: "%.0f", x) }
    if x >= 10 { return String(format: "%.1f", x) }
    return String(format: "%.2f", x)
}
