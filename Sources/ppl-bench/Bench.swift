import ArgumentParser
import Foundation
import PPLDriver

@main
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl-bench",
        abstract: "Benchmarks of ppl beside NumPyro on the same machine, in the same run.",
        subcommands: [Grad.self, FitBench.self, LeapfrogBench.self, HVICostBench.self, LoopBench.self, MinibatchBench.self]
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
