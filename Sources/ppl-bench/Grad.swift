import ArgumentParser
import Foundation
import PPLDriver
import PPLEngine

/// Gradient evaluations per second of every bench model at S = 1 and S = 32 particles,
/// beside NumPyro's jitted gradient of the potential on the same model and data. Each figure
/// is the median of `repeats` runs that alternate: ppl on one thread, ppl on every core,
/// NumPyro; the ratios are of runs made one after the other, with their smallest and largest.
struct Grad: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Gradient throughput beside NumPyro.")

    @OptionGroup var setup: BenchSetup

    @Option(help: "Seconds of timing per run and system.")
    var seconds = 0.5

    @Option(help: "Alternating runs per configuration (each figure is their median).")
    var repeats = 3

    /// ppl ÷ NumPyro gradients per second that the project aims for (issue 19).
    static func target(_ s: Int) -> Double { s == 1 ? 3 : 2 }

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard seconds > 0 else { throw ValidationError("--seconds must be positive") }
    }

    func run() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        print("OpenBLAS core: \(OpenBLASSetup.coreName); \(cores) cores; median of \(repeats) alternating runs of "
              + "\(seconds) s each; ratio: median (min–max) over the runs")
        if !setup.numpyroAvailable {
            print("NumPyro: not available (set up \(setup.python) as ../shared/bench/README.md says); timing ppl only")
        }
        print(pad("model", 14) + pad("S", 4) + pad("ppl 1t grad/s", 15) + pad("ppl \(cores)t grad/s", 15)
              + pad("NumPyro grad/s", 16) + pad("ratio 1t", 20) + pad("ratio \(cores)t", 20) + "target")
        defer { EngineThreads.limit = cores }
        for name in setup.models {
            let runtime = try setup.runtime(name)
            let program = try runtime.gradientProgram()
            let worker = setup.worker(name)
            for s in [1, 32] {
                let e = try runtime.executable(program, batch: s)
                var rng = RNG(seed: 1)
                let theta = e.input("theta")
                for i in 0..<theta.count { theta[i] = rng.normal() }
                var single = Interleaved(), all = Interleaved()
                for _ in 0..<repeats {
                    for (threads, figures) in [(1, 0), (cores, 1)] {
                        EngineThreads.limit = threads
                        let (calls, elapsed) = try timed(seconds: seconds) { try e.run() }
                        let rate = Double(calls * s) / elapsed
                        if figures == 0 { single.ours.append(rate) } else { all.ours.append(rate) }
                    }
                    if let r = worker?.request("grad \(s) \(seconds)"), let theirs = r["grads_per_s"] as? Double {
                        single.theirs.append(theirs)
                        all.theirs.append(theirs)
                    }
                }
                let target = Grad.target(s)
                let best = [single.medianRatio, all.medianRatio].compactMap { $0 }.max()
                let verdict = best.map { $0 >= target ? "≥ \(fmt(target)) met" : "≥ \(fmt(target)) MISSED" } ?? "≥ \(fmt(target))"
                print(pad(name, 14) + pad(String(s), 4) + pad(fmt(single.ourMedian!), 15) + pad(fmt(all.ourMedian!), 15)
                      + pad(single.theirMedian.map(fmt) ?? "-", 16) + pad(single.ratioText, 20) + pad(all.ratioText, 20)
                      + verdict)
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
