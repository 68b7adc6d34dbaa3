import ArgumentParser
import Foundation
import PPLDriver
import PPLInference
import PPLSema
import PPLSyntax

/// Set by SIGINT during a fit: the fit stops at the end of the step and reports.
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

struct Fit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fit a variational approximation to the posterior; print a summary, save draws.")

    @Argument(help: "The model file (.ppl).")
    var file: String

    @Option(help: "Data (Stan-style JSON); default MODEL.data.json beside the model.")
    var data: String?

    @Option(help: "A guide block of the model, or a family: meanfield, fullrank, ...")
    var guide: String?

    @OptionGroup(title: "Fit options (they override the guide block's keys)") var options: FitFlags

    @OptionGroup var output: DrawOutput

    @Option(help: ArgumentHelp("Write a report of the fit to this HTML file: diagnostics and plots, self-contained.",
                               valueName: "file.html"))
    var report: String?

    @Option(help: "Save the fitted guide to this JSON file (for --init and ppl sample).")
    var save: String?

    @Option(help: "Start from a guide saved with --save.")
    var `init`: String?

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: ArgumentHelp("Under mpirun: split the rows along the int data N over the ranks, each reading its own rows "
                               + "of the .npz data; the ranks' parts of the density are summed (MPI_Allreduce).",
                               valueName: "N"))
    var shard: String?

    func run() throws {
        let dataPath = data ?? defaultDataPath(file)
        // Each rank of a sharded fit joins the job before anything else; rank 0 alone prints and writes.
        let ranks = try shard.map { _ in try Terminal.run { () throws(PPLError) in try Ranks() } }
        defer { ranks?.finish() }
        let speaks = (ranks?.rank ?? 0) == 0
        let split = shard.map { Shard(size: $0, rank: ranks!.rank, ranks: ranks!.count) }
        // Not after an hour of fitting.
        try Sharded.run(ranks) { () throws(PPLError) in
            let inputs = [("the model", file)] + (dataPath.map { [("the data", $0)] } ?? [])
            for path in [output.draws, output.summaryJSON, report, save].compactMap({ $0 }) { try OutputFile.check(path, inputs: inputs) }
        }
        // A guide to start from lives in the frame it was fitted in, which this fit then keeps.
        let saved = try Sharded.run(ranks) { () throws(PPLError) in try self.`init`.map(FitReports.readSaved) }
        // The data first, which a rank alone can fail to read; then the session, whose search
        // for the frame sums over the ranks.
        let (runtime, selection) = try Sharded.run(ranks) { () throws(PPLError) in
            let runtime = try ModelRuntime(modelPath: file, dataPath: dataPath, shard: split.map { ($0, ranks!.rankSum) })
            // Before the frame search and the fit.
            return (runtime, try output.selection(runtime.model))
        }
        let session = try Sharded.run(ranks) { () throws(PPLError) in
            try FitSession(runtime: runtime, guide: guide, settings: options.settings + output.settings,
                           frame: saved.map { .given($0.frame) } ?? .search)
        }
        try Sharded.run(ranks) { () throws(PPLError) in
            guard session.options.draws == 0 else { return }
            let wanted = [output.draws.map { ("--draws", $0) }, report.map { ("--report", $0) }].compactMap { $0 }
            if let (flag, path) = wanted.first {
                throw .user("\(flag) \(path): with draws = 0 the fit draws nothing to write or plot; give --draws-n 10 or more")
            }
        }
        let initial: [Double]? = try Sharded.run(ranks) { () throws(PPLError) in
            guard let saved, let path = self.`init` else { return nil }
            try session.check(saved, from: path)
            return saved.phi
        }
        let bar = ProgressBar(enabled: speaks && !quiet && isatty(2) == 1, total: session.settings.steps)
        let epochs = session.batches.flatMap { b in
            speaks && session.options.epochs > 0 && !quiet ? EpochProgress(rows: b.rows, batch: b.batch, epochs: session.options.epochs) : nil
        }
        // Ranks would see an interrupt at different steps: under mpirun, it ends the job.
        if ranks == nil { signal(SIGINT) { _ in interruptRequested = 1 } }
        defer { signal(SIGINT, SIG_DFL) }
        defer { bar.finish() }
        var (result, sampled) = try Sharded.run(ranks) { () throws(PPLError) in
            let result = try session.fit(initial: initial, progress: epochs?.update ?? bar.update,
                                         interrupted: { interruptRequested != 0 })
            bar.finish()
            return (result, try session.sample(session.options.draws, result: result))
        }
        if let ranks, let split { session.shardNote = Sharded.note(split, ranks, session.runtime) }
        if result.failure == nil { result.failure = FitReports.nonFinite(sampled) }
        // An interrupted fit's files are written, to go on from, but it did not finish.
        let failed = FitReports.failure(result) != nil || !result.elbo.isFinite || result.interrupted
        // Every rank holds the same fit; rank 0 reports it.
        guard speaks else {
            if failed { throw Terminal.failed(.computation) }
            return
        }
        print(FitReports.header(session, result, model: file))
        Terminal.warn(FitReports.warnings(session, result))
        if !sampled.rows.isEmpty { print(FitReports.table(sampled, selection, points: Set(session.options.point))) }
        print(FitReports.diagnostics(session, draws: sampled.rows.count), terminator: "")
        // The summary says when the fit failed; a failed fit's draws and guide are not
        // written, so nothing downstream takes them for an answer.
        try Terminal.run { () throws(PPLError) in
            if let path = output.summaryJSON {
                try OutputFile.write(FitReports.summaryJSON(session, result, sampled, selection), to: path)
            }
            // A failed fit's report shows how it failed.
            if let report {
                let fit = HTMLReport.Fit(session: session, result: result, traces: HTMLReport.traces(result), draws: sampled, model: file)
                try OutputFile.write(HTMLReport.render(fit), to: report)
            }
            let unwritten = [output.draws, save].compactMap { $0 }
            if let failure = FitReports.failure(result), !unwritten.isEmpty {
                throw .computation("the fit failed (\(failure)), so "
                                   + unwritten.map { "'\($0)'" }.joined(separator: " and ") + " \(unwritten.count == 1 ? "is" : "are") not written")
            }
            if let draws = output.draws { try OutputFile.write(FitReports.csv(session, sampled, model: file), to: draws) }
            if let save {
                try OutputFile.write(try FitReports.savedFit(session, result, model: file, data: dataPath, to: save), to: save)
            }
        }
        if failed { throw Terminal.failed(.computation) }
    }
}

/// Where the draws and the summary go, for `fit` and `sample`.
struct DrawOutput: ParsableArguments {
    @Option(name: .customLong(FitOptions.Key.draws.flag), help: FitOptions.Key.draws.argumentHelp)
    var drawsCount: String?

    @Option(help: "Write the draws to this CSV file.")
    var draws: String?

    @Option(name: .customLong("summary-json"), help: "Write the summary as JSON to this file.")
    var summaryJSON: String?

    @Option(help: ArgumentHelp("Show only these params and derived quantities (every component of each) in the table and the summary JSON.",
                               valueName: "names"))
    var params: String?

    /// What the table and the summary JSON show: `--params`, checked against the model.
    func selection(_ model: CheckedModel) throws(PPLError) -> ParamSelection {
        try params.map { text throws(PPLError) in try ParamSelection(text, model: model) } ?? ParamSelection(model: model)
    }

    /// `--draws-n`, as a setting over the guide block's `draws`.
    var settings: [(key: FitOptions.Key, value: GuideValue)] {
        drawsCount.map { [(.draws, GuideValue(text: $0))] } ?? []
    }
}

/// A one-line progress bar on stderr: step, ELBO, steps per second.
final class ProgressBar {
    let enabled: Bool
    let total: Int
    let start = DispatchTime.now().uptimeNanoseconds
    var last: UInt64 = 0
    var shown = false

    init(enabled: Bool, total: Int) {
        self.enabled = enabled
        self.total = total
    }

    func update(_ step: Int, _ elbo: Double) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now - last > 100_000_000 else { return }
        last = now
        let rate = Double(step) / (Double(now - start) / 1e9)
        let line = String(format: "\r  step %6d  ELBO %12.4g  %8.0f steps/s ", step, elbo, rate)
        Terminal.error(line)
        shown = true
    }

    func finish() {
        if shown { Terminal.error("\r" + String(repeating: " ", count: 60) + "\r") }
        shown = false
    }
}

/// A line on stderr per pass over the rows of a minibatched fit with `epochs`: the mean of
/// its steps' ELBO estimates per row (the training ELBO), rows per second, and the time the
/// epochs left would take at the rate so far.
final class EpochProgress {
    let rows: Int, batch: Int, epochs: Int
    let steps: Int
    let start = DispatchTime.now().uptimeNanoseconds
    var sum = 0.0, count = 0, epoch = 0

    init(rows: Int, batch: Int, epochs: Int) {
        (self.rows, self.batch, self.epochs) = (rows, batch, epochs)
        steps = (rows + batch - 1) / batch
    }

    func update(_ step: Int, _ elbo: Double) {
        sum += elbo
        count += 1
        guard step % steps == 0 else { return }
        epoch = step / steps
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rate = Double(step * batch) / seconds
        let left = seconds / Double(epoch) * Double(max(0, epochs - epoch))
        Terminal.error(String(format: "epoch %d/%d: train ELBO %.2f per row, %.0f rows/s, ETA %@\n", epoch, epochs,
                              sum / Double(count) / Double(rows), rate, Self.duration(left)))
        (sum, count) = (0, 0)
    }

    /// `1h 02m`, `3m 07s`, `12s`.
    static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t >= 3600 { return String(format: "%dh %02dm", t / 3600, t % 3600 / 60) }
        if t >= 60 { return String(format: "%dm %02ds", t / 60, t % 60) }
        return "\(t)s"
    }
}
