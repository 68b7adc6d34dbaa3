import ArgumentParser
import PPLSema
import PPLSyntax

/// The options table (`FitOptions.Key`) as `ppl fit`'s flags, one per row but `draws`
/// (`--draws-n`, with the outputs in `DrawOutput`): each flag's name and help are the
/// table's, and its value is read as a guide block's would be, so the two take the same
/// values and give the same messages. A test checks that every row has its flag.
struct FitFlags: ParsableArguments {
    @Option(name: .customLong(Key.steps.flag), help: Key.steps.argumentHelp) var steps: String?
    @Option(name: .customLong(Key.lr.flag), help: Key.lr.argumentHelp) var lr: String?
    @Option(name: .customLong(Key.samples.flag), help: Key.samples.argumentHelp) var samples: String?
    @Option(name: .customLong(Key.seed.flag), help: Key.seed.argumentHelp) var seed: String?
    @Flag(name: .customLong(Key.stl.flag), inversion: .prefixedNo, help: Key.stl.argumentHelp) var stl: Bool?
    @Flag(name: .customLong(Key.precondition.flag), inversion: .prefixedNo, help: Key.precondition.argumentHelp)
    var precondition: Bool?
    @Option(name: .customLong(Key.runs.flag), help: Key.runs.argumentHelp) var runs: String?
    @Flag(name: .customLong(Key.psis_resample.flag), inversion: .prefixedNo, help: Key.psis_resample.argumentHelp)
    var psisResample: Bool?
    @Option(name: .customLong(Key.objective.flag), help: Key.objective.argumentHelp) var objective: String?
    @Option(name: .customLong(Key.alpha.flag), help: Key.alpha.argumentHelp) var alpha: String?
    @Option(name: .customLong(Key.minibatch.flag), help: Key.minibatch.argumentHelp) var minibatch: String?
    @Option(name: .customLong(Key.epochs.flag), help: Key.epochs.argumentHelp) var epochs: String?
    @Option(name: .customLong(Key.layers.flag), help: Key.layers.argumentHelp) var layers: String?
    @Option(name: .customLong(Key.hidden.flag), help: Key.hidden.argumentHelp) var hidden: String?
    @Option(name: .customLong(Key.activation.flag), help: Key.activation.argumentHelp) var activation: String?
    @Option(name: .customLong(Key.base.flag), help: Key.base.argumentHelp) var base: String?
    @Option(name: .customLong(Key.transitions.flag), help: Key.transitions.argumentHelp) var transitions: String?
    @Option(name: .customLong(Key.leapfrog.flag), help: Key.leapfrog.argumentHelp) var leapfrog: String?
    @Option(name: .customLong(Key.step_size.flag), help: Key.step_size.argumentHelp) var stepSize: String?
    @Flag(name: .customLong(Key.anneal.flag), inversion: .prefixedNo, help: Key.anneal.argumentHelp) var anneal: Bool?
    @Option(name: .customLong(Key.rank.flag), help: Key.rank.argumentHelp) var rank: String?
    @Option(name: .customLong(Key.particles.flag), help: Key.particles.argumentHelp) var particles: String?
    @Option(name: .customLong(Key.components.flag), help: Key.components.argumentHelp) var components: String?
    @Option(name: .customLong(Key.gradient.flag), help: Key.gradient.argumentHelp) var gradient: String?
    @Option(name: .customLong(Key.of.flag), help: Key.of.argumentHelp) var of: String?
    @Option(name: .customLong(Key.point.flag), help: Key.point.argumentHelp) var point: String?
    @Option(name: .customLong(Key.local.flag), help: Key.local.argumentHelp) var local: String?
    @Option(name: .customLong(Key.input.flag), help: Key.input.argumentHelp) var input: String?
    @Option(name: .customLong(Key.refine.flag), help: Key.refine.argumentHelp) var refine: String?

    typealias Key = FitOptions.Key

    /// The flags given, as settings over the guide block's keys.
    var settings: [(key: Key, value: GuideValue)] {
        let given: [(Key, String?)] = [
            (.steps, steps), (.lr, lr), (.samples, samples), (.seed, seed), (.stl, stl.map { $0 ? "on" : "off" }),
            (.precondition, precondition.map { $0 ? "on" : "off" }), (.runs, runs),
            (.psis_resample, psisResample.map { $0 ? "on" : "off" }), (.objective, objective), (.alpha, alpha),
            (.minibatch, minibatch), (.epochs, epochs), (.layers, layers), (.hidden, hidden), (.activation, activation), (.base, base),
            (.transitions, transitions), (.leapfrog, leapfrog), (.step_size, stepSize), (.anneal, anneal.map { $0 ? "on" : "off" }), (.rank, rank),
            (.particles, particles), (.components, components), (.of, of), (.gradient, gradient), (.point, point), (.local, local), (.input, input), (.refine, refine),
        ]
        return given.compactMap { key, text in text.map { (key, GuideValue(text: $0)) } }
    }
}

extension FitOptions.Key {
    /// The row's help and defaults, for `--help`.
    var argumentHelp: ArgumentHelp {
        ArgumentHelp(help.prefix(1).uppercased() + help.dropFirst() + " (default \(defaultText)).", valueName: valueName)
    }
}
