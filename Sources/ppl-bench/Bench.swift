import ArgumentParser
import Foundation
import PPLDriver

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl-bench",
        abstract: "Benchmarks of ppl beside NumPyro on the same machine, in the same run.",
        subcommands: [Grad.self, FitBench.self, LeapfrogBench.self, HVICostBench.self, LoopBench.self, MinibatchBench.self, DiscreteBench.self,
                      ShardBench.self, AllreduceProbe.self]
    )

    static func main() {
        OpenBLASSetup.reexecIfNeeded()
        main(nil)
    }
}

/// The bench models and where to find them and NumPyro.
struct BenchSetup: ParsableArguments {
    @Option(help: "The shared bench folder.")
    var bench = "../shared/bench"

    @Option(help: "Python with numpyro and jax (see ../shared/bench/README.md).")
    var python = ".venv-anchors/bin/python"

    @Flag(help: "Time ppl only.")
    var noNumpyro = false

    static let allModels = ["eight_schools", "funnel", "banana", "mixture", "hier_linear", "linreg", "logistic"]

    @Option(parsing: .upToNextOption, help: "Models to run (default: all bench models).")
    var models: [String] = allModels

    var numpyroAvailable: Bool {
        !noNumpyro && FileManager.default.isExecutableFile(atPath: python)
            && FileManager.default.fileExists(atPath: bench + "/anchors/grad_numpyro.py")
    }

    /// A bench model with its data, if it has any.
    func runtime(_ name: String) throws -> ModelRuntime {
        try ModelRuntime(modelPath: bench + "/models/\(name).ppl", dataPath: dataPath(name))
    }

    func dataPath(_ name: String) -> String? {
        let data = bench + "/data/\(name).json"
        return FileManager.default.fileExists(atPath: data) ? data : nil
    }

    /// Runs a NumPyro anchor script (or, with `path`, a script at that path, such as
    /// scripts/numpyro_toolbox.py) and returns its one JSON line.
    func numpyro(_ script: String, path: String? = nil, _ args: [String]) -> [String: Any]? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [path ?? bench + "/anchors/" + script] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0,
              let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last,
              let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return obj
    }

    /// NumPyro kept alive on one model for alternating timings, if it is available.
    func worker(_ model: String) -> NumPyroWorker? {
        numpyroAvailable ? NumPyroWorker(python: python, bench: bench, model: model) : nil
    }
}

/// scripts/numpyro_worker.py on one model: NumPyro compiles once and then times on request,
/// so its runs can alternate with ppl's without its compile repeated every time.
final class NumPyroWorker {
    private let process = Process()
    private let requests = Pipe(), answers = Pipe()
    private var pending = Data()

    init?(python: String, bench: String, model: String) {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["scripts/numpyro_worker.py", "--bench", bench, "--model", model]
        process.standardInput = requests
        process.standardOutput = answers
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
    }

    deinit {
        try? requests.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// One request line (see the script) and its JSON answer; nil if the worker failed.
    func request(_ line: String) -> [String: Any]? {
        guard process.isRunning, (try? requests.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8))) != nil else {
            return nil
        }
        while !pending.contains(UInt8(ascii: "\n")) {
            let chunk = answers.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            pending.append(chunk)
        }
        let end = pending.firstIndex(of: UInt8(ascii: "\n"))!
        let line = pending[pending.startIndex..<end]
        pending = Data(pending[(end + 1)...])
        guard let obj = try? JSONSerialization.jsonObject(with: line) as? [String: Any], obj["error"] == nil else { return nil }
        return obj
    }
}

/// The figures of runs that alternate between the systems: each run's rate (higher is
/// faster), reported as the median with the spread of the ratio over the runs.
struct Interleaved {
    var ours: [Double] = []
    var theirs: [Double] = []

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    var ourMedian: Double? { ours.isEmpty ? nil : Interleaved.median(ours) }
    var theirMedian: Double? { theirs.isEmpty ? nil : Interleaved.median(theirs) }

    /// Run by run, ours ÷ theirs (both were measured one after the other).
    var ratios: [Double] { zip(ours, theirs).map { $0 / $1 } }

    /// "2.31 (2.10–2.52)": the median ratio and its smallest and largest over the runs.
    var ratioText: String {
        let r = ratios
        guard !r.isEmpty else { return "-" }
        return "\(fmt(Interleaved.median(r))) (\(fmt(r.min()!))–\(fmt(r.max()!)))"
    }

    var medianRatio: Double? { ratios.isEmpty ? nil : Interleaved.median(ratios) }
}

func timed(seconds: Double, _ body: () throws -> Void) rethrows -> (calls: Int, seconds: Double) {
    for _ in 0..<20 { try body() }
    let start = DispatchTime.now().uptimeNanoseconds
    var calls = 0
    var elapsed = 0.0
    repeat {
        for _ in 0..<10 { try body() }
        calls += 10
        elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    } while elapsed < seconds
    return (calls, elapsed)
}
