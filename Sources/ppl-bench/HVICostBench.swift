import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema

/// What Hamiltonian VI costs per step against T·L, the leapfrog steps a draw takes: each
/// needs the model's gradient in the draw and its derivative in the step's gradient, so a
/// step should cost about a fixed part (the base, the momenta, the reverse model) plus
/// T·L times a second-order gradient. Steps of the HVI fit alone, from the guide's
/// starting point (no base fit), the median of `repeats` timings per row.
struct HVICostBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hvi-cost", abstract: "Hamiltonian VI: time per step against transitions × leapfrog steps.")

    @OptionGroup var setup: BenchSetup

    @Option(parsing: .upToNextOption, help: "Transitions, one row each.")
    var transitions: [Int] = [1, 2]

    @Option(parsing: .upToNextOption, help: "Leapfrog steps per transition, one row each.")
    var leapfrog: [Int] = [0, 1, 2, 4, 8]

    @Option(help: "Steps timed per row.")
    var steps = 300

    @Option(help: "Timings per row; the median is printed.")
    var repeats = 3

    @Option(help: "The base family.")
    var base = "iaf"

    @Option(help: "Particles per step (1 is AutoDAIS's).")
    var samples = 8

    @Flag(help: "Annealed HVI (anneal = on), AutoDAIS's form.")
    var anneal = false

    func run() throws {
        print("HVI\(anneal ? " (annealed)" : ""), base \(base), \(samples) particle\(samples == 1 ? "" : "s"): µs per step (median of \(repeats) × \(steps) steps) against T·L; "
              + "the last column is (µs/step − the L = 0 row's) / (T·L).")
        print(pad("model", 14) + pad("d", 5) + pad("T", 3) + pad("L", 3) + pad("T·L", 5) + pad("µs/step", 10) + "µs per leapfrog step")
        for name in setup.models {
            let runtime = try setup.runtime(name)
            var fixed: Double?
            for t in transitions {
                for l in leapfrog where !(l == 0 && t > 1) {
                    var options = FitOptions(guide: "hvi", family: .hvi)
                    try options.set([(.transitions, .int(t)), (.leapfrog, .int(l)), (.base, .name(base)), (.runs, .int(1)),
                                     (.steps, .int(steps)), (.samples, .int(samples)),
                                     (.anneal, .name(anneal ? "on" : "off"))])
                    let session = try FitSession(runtime: runtime, options: options)
                    let start = session.family.initialParameters(runtime.dimension)
                    var times: [Double] = []
                    for _ in 0..<repeats {
                        let r = try session.fit(initial: start)
                        times.append(r.seconds / Double(max(1, r.steps)) * 1e6)
                    }
                    let median = times.sorted()[times.count / 2]
                    if l == 0 { fixed = median }
                    let perLeapfrog = l == 0 ? "-" : fixed.map { fmt((median - $0) / Double(t * l)) } ?? "-"
                    print(pad(name, 14) + pad(String(runtime.dimension), 5) + pad(String(t), 3) + pad(String(l), 3)
                          + pad(String(t * l), 5) + pad(fmt(median), 10) + perLeapfrog)
                }
            }
        }
    }
}
