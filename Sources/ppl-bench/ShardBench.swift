import ArgumentParser
import Foundation
import PPLDriver

/// A sharded fit (`ppl fit --shard N` under mpirun) of the million-row logistic regression
/// on 1 and 2 ranks, interleaved: time per step of full-data mean-field steps (the fit's own
/// seconds over its steps, data loading apart), the speed-up, each rank's peak memory, and
/// the latency of the step's MPI_Allreduce measured alone (`ppl-bench allreduce` under
/// mpirun). From those, the time per step of 10⁹ rows on 64 ranks: the per-row cost of one
/// rank's part times its rows, plus the allreduce's latency over log₂ R rounds.
struct ShardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shard", abstract: "Sharded fits under mpirun: 1 and 2 ranks on the million-row logistic regression.")

    @Option(help: "The model.")
    var model = "models/logistic_big.ppl"

    @Option(help: "Its data, an .npz archive (python3 models/make_logistic_big.py writes it).")
    var data = "models/big/logistic_big.data.npz"

    @Option(help: "The int data the rows are split along.")
    var size = "N"

    @Option(parsing: .upToNextOption, help: "Rank counts to time.")
    var ranks: [Int] = [1, 2]

    @Option(help: "Steps of each fit.")
    var steps = 200

    @Option(help: "Interleaved rounds (one fit per rank count each); medians are reported.")
    var rounds = 3

    @Option(help: "mpirun.")
    var mpirun = "/usr/bin/mpirun"

    /// The ppl and ppl-bench binaries beside this one.
    var folder: String { URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path }

    struct Measured {
        var perStep: [Double] = []
        var wall: [Double] = []
        var memory = ""
        var elbo = Double.nan
    }

    /// What the fit's header says: N and the unconstrained dimension.
    struct Header {
        var rows = 0
        var dimension = 0

        /// `MODEL: guide 'g' (meanfield), 21 unconstrained dimensions` and `shard: N = 1000000 rows over ...`.
        init(_ out: String) {
            for line in out.split(separator: "\n") {
                let words = line.split(separator: " ")
                if let at = words.firstIndex(of: "unconstrained"), at > 0 { dimension = Int(words[at - 1]) ?? 0 }
                if line.hasPrefix("shard: "), words.count > 3 { rows = Int(words[3]) ?? 0 }
            }
        }
    }

    func launch(_ count: Int, _ arguments: [String]) throws -> (status: Int32, out: String, seconds: Double) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: mpirun)
        p.arguments = ["--oversubscribe", "--allow-run-as-root", "-np", "\(count)"] + arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        let start = Date()
        try p.run()
        let bytes = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: bytes, as: UTF8.self), Date().timeIntervalSince(start))
    }

    func run() throws {
        guard FileManager.default.isExecutableFile(atPath: mpirun) else {
            throw ValidationError("\(mpirun) is not installed: .ci/setup installs openmpi-bin")
        }
        guard FileManager.default.fileExists(atPath: data) else {
            throw ValidationError("\(data) is missing: python3 models/make_logistic_big.py writes it")
        }
        let summary = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-shard-\(getpid()).json").path
        defer { try? FileManager.default.removeItem(atPath: summary) }
        var measured = Dictionary(uniqueKeysWithValues: ranks.map { ($0, Measured()) })
        var header = Header("")
        for round in 1...rounds {
            for r in ranks {
                let (status, out, wall) = try launch(r, [folder + "/ppl", "fit", model, "--data", data, "--shard", size,
                                                         "--guide", "meanfield", "--minibatch", "off", "--no-precondition",
                                                         "--runs", "1", "--steps", "\(steps)", "--draws-n", "10", "--quiet",
                                                         "--summary-json", summary])
                guard status == 0 else { throw ValidationError("the fit on \(r) ranks failed (exit \(status)):\n\(out)") }
                let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
                guard let seconds = json?["seconds"] as? Double, let taken = json?["steps"] as? Int, taken > 0 else {
                    throw ValidationError("no seconds or steps in the summary of the fit on \(r) ranks")
                }
                measured[r]!.perStep.append(seconds / Double(taken))
                measured[r]!.wall.append(wall)
                measured[r]!.elbo = json?["elbo"] as? Double ?? .nan
                header = Header(out)
                if let line = out.split(separator: "\n").first(where: { $0.hasPrefix("shard: ") }),
                   let memory = line.range(of: "peak memory per rank ") {
                    measured[r]!.memory = String(line[memory.upperBound...])
                }
                FileHandle.standardError.write(Data(("round \(round), \(r) rank\(r == 1 ? "" : "s"): "
                                                     + String(format: "%.2f ms per step\n", 1000 * seconds / Double(taken))).utf8))
            }
        }
        let rows = header.rows
        guard rows > 0, header.dimension > 0 else { throw ValidationError("the fit's header names no rows or dimension") }
        let one = Interleaved.median(measured[ranks.min()!]!.perStep)
        print("\(model), \(rows) rows: mean-field steps on all the rows (8 draws each), \(steps) steps a fit, "
              + "\(rounds) interleaved rounds (median, spread):")
        for r in ranks {
            let m = measured[r]!
            let t = Interleaved.median(m.perStep)
            print(String(format: "  %d rank%@  %8.2f ms/step (%.2f–%.2f)  speed-up %.2f×  process %.1f s  ELBO %.6g  peak memory per rank %@",
                         r, r == 1 ? " " : "s", 1000 * t, 1000 * m.perStep.min()!, 1000 * m.perStep.max()!, one / t,
                         Interleaved.median(m.wall), m.elbo, m.memory))
        }
        // The step's sum: the mean-field guide's gradient (2 per dimension) and the 8 particles' targets.
        let count = 2 * header.dimension + 8
        let (status, out, _) = try launch(2, [folder + "/ppl-bench", "allreduce", "--count", "\(count)"])
        guard status == 0, let latency = Double(out.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ValidationError("the allreduce probe failed (exit \(status)): \(out)")
        }
        print(String(format: "  MPI_Allreduce of %d doubles over 2 ranks (shared memory): %.2f µs (median of 20,000)", count, latency * 1e6))
        let perRow = one / Double(rows)
        let local = perRow * 1e9 / 64
        let rounds = 6.0 // log₂ 64 rounds of recursive doubling
        let bytesPerRow = Double((try? FileManager.default.attributesOfItem(atPath: data)[.size] as? Int) ?? 0) / Double(rows)
        print(String(format: "estimate, 10⁹ rows on 64 ranks: %.3g s per row × 1.5625e7 rows a rank = %.2f s, plus the allreduce "
                     + "over log₂ 64 = 6 rounds: %.0f µs at this machine's latency, %.0f–%.0f µs at 2–10 µs a round between hosts; "
                     + "%.2f s per step, the sum a fraction %.1e of it. Each rank holds 1.5625e7 rows of %.0f bytes (the data file's "
                     + "per row) = %.1f GB.",
                     perRow, local, rounds * latency * 1e6, rounds * 2, rounds * 10, local + rounds * 10e-6,
                     rounds * 10e-6 / local, bytesPerRow, 1.5625e7 * bytesPerRow / 1e9))
    }
}

/// Run by `ppl-bench shard` under mpirun: the median time of an MPI_Allreduce of `count`
/// doubles, rank 0 printing it in seconds.
struct AllreduceProbe: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allreduce", shouldDisplay: false)

    @Option var count = 50
    @Option var times = 20000

    func run() throws {
        let ranks = try Ranks()
        defer { ranks.finish() }
        var buffer = [Double](repeating: 1, count: count)
        var seconds: [Double] = []
        for _ in 0..<times {
            let start = DispatchTime.now().uptimeNanoseconds
            buffer.withUnsafeMutableBufferPointer { ranks.sum($0) }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            for i in buffer.indices { buffer[i] = 1 }
        }
        if ranks.rank == 0 { print(Interleaved.median(seconds)) }
    }
}
