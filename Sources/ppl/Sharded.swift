import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema

/// The steps of a sharded fit (`ppl fit --shard N` under mpirun), which every rank takes
/// together.
enum Sharded {
    /// Runs `body` on every rank, then agrees on its outcome: when it failed on some rank,
    /// the lowest such rank prints its error (naming itself, unless it is rank 0) and every
    /// rank exits with that error's status — a shard that cannot be read ends the job, not
    /// the one rank while the others wait. Without ranks, `Terminal.run`.
    static func run<T>(_ ranks: Ranks?, _ body: () throws(PPLError) -> T) throws -> T {
        guard let ranks, ranks.count > 1 else { return try Terminal.run(body) }
        let outcome: Result<T, PPLError>
        do {
            outcome = .success(try body())
        } catch {
            outcome = .failure(error)
        }
        var failure: PPLError?
        if case .failure(let e) = outcome { failure = e }
        let codes = ranks.gather(Double(failure?.kind.exitCode ?? 0))
        guard let first = codes.firstIndex(where: { $0 != 0 }) else { return try outcome.get() }
        if first == ranks.rank, let failure {
            Terminal.error(failure.text(prefix: ranks.rank == 0 ? "ppl: " : "ppl: rank \(ranks.rank) of \(ranks.count): ",
                                        color: Terminal.stderrColor))
        }
        throw ExitCode(Int32(codes[first]))
    }

    /// The header's line: N, the rows each rank held, and each rank's peak memory.
    static func note(_ split: Shard, _ ranks: Ranks, _ runtime: ModelRuntime) -> String {
        let rows = ranks.gather(runtime.values[split.size]?.values[0] ?? 0).map { Int($0) }
        let memory = ranks.gather(Double(peakResidentBytes()))
        let total = rows.reduce(0, +)
        let shares = Set(rows).count == 1 ? "\(rows[0]) each" : rows.map(String.init).joined(separator: ", ")
        return "\(split.size) = \(total) rows over \(ranks.count) rank\(ranks.count == 1 ? "" : "s") (\(shares)); "
            + "peak memory per rank " + memory.map { String(format: "%.0f MB", $0 / 1e6) }.joined(separator: ", ")
            + (runtime.generatedWithheld.map { "\ngenerate: not run, since \($0); save the fit (--save FIT.json) and draw "
                + "them in one process with ppl sample FIT.json" } ?? "")
    }

    /// This process's peak resident set (VmHWM), in bytes; 0 where /proc does not say.
    static func peakResidentBytes() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
