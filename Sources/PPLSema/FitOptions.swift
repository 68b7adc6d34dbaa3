import PPLSyntax

/// The options of one fit, typed: the guide, and the value of every option — the table's
/// default for the guide's family unless a guide block, a flag or `:set` gave one.
///
/// This file is the one table of options. `Key` has a row per option: its name (a guide
/// block's key and the REPL's `:set` key), its flag, the values it takes and one line of
/// help; the defaults are the initial values of the fields below, per family where they
/// differ; `GuideFamily.keys` says which family takes which of its own keys. The type
/// checker, `ppl fit`'s flags and the REPL's `:set` all go through `set(_:_:)`, so they
/// take the same values and give the same messages.
public struct FitOptions: Sendable, Equatable {
    /// The guide block's name, or the family's for a family used without a block.
    public let guide: String
    public let family: GuideFamily

    public private(set) var steps = 20_000
    public private(set) var lr: Double
    public private(set) var samples = 8
    public private(set) var seed: UInt64 = 1
    public private(set) var stl: Bool
    public private(set) var draws = 1000
    /// Fit the guide in the frame of the posterior mode's curvature (`Frame`).
    public private(set) var precondition = true
    /// Independent fits from dispersed starting points, run in parallel, whose agreement is
    /// checked (`RunAgreement`) and whose agreeing draws are pooled.
    public private(set) var runs = 4
    public private(set) var psisResample = true
    public private(set) var objective = Objective.elbo
    /// How the gradient for the continuous params is estimated.
    public private(set) var gradient = GradientEstimator.reparam
    /// The Rényi bound's α.
    public private(set) var alpha = 0.5
    /// Each step reads a batch of the data's rows along a size (`MinibatchedDensity`); nil: all of them.
    public private(set) var minibatch: Minibatch?
    /// With `minibatch`, a fit of this many passes over the rows: they set the steps, and the
    /// convergence test cannot end the fit before them; 0 (`off`): the steps are a cap.
    public private(set) var epochs = 0
    public private(set) var layers = 2
    /// The widths of the hidden layers of a flow's conditioner networks (HVI's reverse
    /// model's); empty (it cannot be given so): one layer of max(16, 2d) for dimension d
    /// (`hiddenWidths`).
    public private(set) var hidden: [Int] = []
    public private(set) var activation = Activation.leaky_relu
    /// What a flow bends (meanfield), or what HVI's dynamics start from (iaf).
    public private(set) var base: GuideFamily
    public private(set) var transitions = 1
    public private(set) var leapfrog = 4
    public private(set) var stepSize = 0.01
    /// HVI as uncorrected Hamiltonian annealing (`HamiltonianVI+Annealing`).
    public private(set) var anneal = false
    /// The columns of a low-rank guide's factor; 0 (it cannot be given so): ⌈√d⌉ for
    /// dimension d (`rank(_:)`).
    public private(set) var rank = 0
    /// SVGD's particles.
    public private(set) var particles = 100
    /// A mixture guide's components, and their family.
    public private(set) var components = 3
    public private(set) var of = GuideFamily.meanfield
    /// Params fitted as point estimates inside the family (`PointEstimates`).
    public private(set) var point: [String] = []
    /// An amortized guide's local param, whose rows an encoder maps from `input`'s; "" unset
    /// (the first param whose first dimension is an int data).
    public private(set) var local = ""
    /// The data whose rows condition an amortized guide's `local`; "" unset (the first data
    /// the density reads with a row per row of it).
    public private(set) var input = ""
    /// What bends each row's Gaussian of an amortized guide further (`refine = hvi { ... }`);
    /// nil: nothing.
    public private(set) var refine: GuideRefinement?
    /// The options set explicitly, in the order given: a guide block's keys, then flags or `:set`.
    public private(set) var given: [Key] = []

    /// Every option at its default for `family`.
    public init(guide: String, family: GuideFamily) {
        self.guide = guide
        self.family = family
        switch family {
        case .meanfield, .fullrank, .lowrank, .laplace, .map, .svgd, .mixture: lr = 0.05
        // An encoder network, fitted as the flows' networks are.
        case .amortized: lr = 0.01
        // HVI starts from a fitted base, which a larger step throws off (funnel, iaf base:
        // ELBO -5.4 at 0.01 where 0.003 reaches -0.09).
        case .hvi: lr = 0.003
        // Networks with many parameters: a smaller step, explored for longer (the family's
        // minimum exploration).
        case .planar, .radial, .realnvp, .maf, .iaf: lr = 0.01
        // Every change of volume but NICE's last layer's comes from unbounded shifts: at 0.01
        // they diverged on hier_linear (d = 105; ELBO -2e270), where 0.003 converges (k̂ 0.68)
        // and still fits banana (sd(z2) 1.46).
        case .nice: lr = 0.003
        }
        // Sticking the landing (Roeder et al. 2017) removes the score term's noise, but its
        // path term needs ∇_z log q, which for a dense factor L is a solve with L and explodes
        // when L is ill-conditioned (seen in 105 dimensions): mean-field only.
        stl = family == .meanfield || family == .amortized
        // HVI's dynamics run in its base's latent space, which a flow makes close to a
        // standard normal even where a Gaussian cannot (a funnel's neck).
        base = family == .hvi ? .iaf : .meanfield
        // A guide placed at the mode is one deterministic Newton search; SVGD's particles
        // start spread out and interact: neither has independent runs.
        if !family.fittingKeys.contains(.runs) { runs = 1 }
        // An encoder's fit is one: runs from dispersed starts would each learn their own
        // network, whose draws of the local params cannot be pooled.
        if family == .amortized { runs = 1 }
        // SVGD has no convergence test: it runs its steps, the second half with a decaying
        // step size.
        if family.isParticles { steps = 2000 }
        switch family {
        case .nice, .realnvp: layers = 4
        case .planar, .radial: layers = 8
        case .meanfield, .fullrank, .lowrank, .laplace, .map, .svgd, .iaf, .maf, .hvi, .amortized, .mixture: break
        }
    }

    /// The options of a guide of `family` whose fit another guide runs first (HVI's base):
    /// the family's own defaults, with `other`'s steps, samples and seed.
    public init(family: GuideFamily, under other: FitOptions) {
        self.init(guide: family.rawValue, family: family)
        (steps, samples, seed) = (other.steps, other.samples, other.seed)
    }

    /// The hidden widths for dimension d: as given, else one layer of max(16, 2d).
    public func hiddenWidths(_ d: Int) -> [Int] { hidden.isEmpty ? [max(16, 2 * d)] : hidden }

    /// The rank for dimension d: as given, else ⌈√d⌉ (at least 1).
    public func rank(_ d: Int) -> Int {
        if rank > 0 { return rank }
        var r = max(1, Int(Double(d).squareRoot().rounded(.up)))
        while r > 1 && (r - 1) * (r - 1) >= d { r -= 1 }
        return r
    }

    /// Fails where an option given is out of range for dimension d (a rank above it) or
    /// has nothing to shape (hvi's reverse-model widths when it anneals without one).
    public func check(dimension d: Int) throws(Invalid) {
        if family == .hvi, anneal, given.contains(.hidden) {
            throw Invalid(message: "'hidden' of guide '\(guide)' (hvi) shapes its reverse model, which it has not "
                          + "with anneal = on: the annealed bound reverses the momentum's refresh instead",
                          help: nil, aboutKey: false)
        }
        guard family.allKeys.contains(.rank), rank > d else { return }
        throw Invalid(message: "'rank' of guide '\(guide)' (\(family.rawValue)) must be at most the dimension \(d)",
                      help: nil, aboutKey: false)
    }

    /// Sets `key` from a guide block's value (a flag's or `:set`'s text is read as one by
    /// `GuideValue(text:)`); a later value replaces an earlier one.
    public mutating func set(_ key: Key, _ value: GuideValue) throws(Invalid) {
        guard family.allKeys.contains(key) else { throw Invalid.key(key.rawValue, family: family) }
        try key.row.set(value, in: &self)
        given.removeAll { $0 == key }
        given.append(key)
        // Point estimates are one fit: runs from dispersed starts would each find their own
        // estimates, whose draws cannot be pooled.
        if key == .point, !point.isEmpty, !given.contains(.runs) { runs = 1 }
        // A minibatched fit is one: its data are large, and its local params' table is per fit.
        if key == .minibatch, minibatch != nil, !given.contains(.runs) { runs = 1 }
    }

    /// Sets each of `settings` in turn.
    public mutating func set(_ settings: [(key: Key, value: GuideValue)]) throws(Invalid) {
        for (key, value) in settings { try set(key, value) }
    }

    /// A continued fit draws fresh noise: the seed moved on by the steps already taken.
    public mutating func advanceSeed(by steps: Int) { seed = seed &+ UInt64(steps) }

    /// The value of `key` as a guide block would write it: `0.01`, `[32, 32]`, `on`.
    public func text(_ key: Key) -> String { key.row.text(in: self) }

    /// `{ layers = 2, hidden = [32, 32] }`: `keys` as a guide block's body; empty for none.
    public func bodyText(_ keys: [Key]) -> String {
        keys.isEmpty ? "" : "{ " + keys.map { "\($0.rawValue) = \(text($0))" }.joined(separator: ", ") + " }"
    }
}

extension FitOptions {
    /// The options, one row each.
    public enum Key: String, CaseIterable, Sendable {
        case steps, lr, samples, seed, stl, draws, precondition, runs, psis_resample, objective, alpha, minibatch, epochs
        case layers, hidden, activation, base
        case transitions, leapfrog, step_size, anneal
        case rank, particles
        case components, of
        case gradient
        case point
        case local, input, refine

        /// The options every guide fitted by optimisation takes (`GuideFamily.fittingKeys`);
        /// the others are the families' own (`GuideFamily.keys`).
        public static let fitting: [Key] = [.steps, .lr, .samples, .seed, .stl, .draws, .precondition, .runs, .psis_resample,
                                            .objective, .alpha, .minibatch, .epochs]

        var row: any OptionRow {
            switch self {
            case .steps: Row(self, \.steps, .count(atLeast: 1), "the most optimisation steps; a fit stops earlier when it has converged")
            case .lr: Row(self, \.lr, .positive, "Adam's step size while exploring; the refinement decays it 100-fold")
            case .samples: Row(self, \.samples, .count(atLeast: 1), "draws of the guide per step")
            case .seed: Row(self, \.seed, .seed, "the random seed: the same seed gives the same numbers")
            case .stl: Row(self, \.stl, .onOff, "the sticking-the-landing gradient (off: the full reparameterisation gradient)")
            case .draws: Row(self, \.draws, .drawCount,
                             "draws of the fitted guide (of each run) for the summary and the diagnostics; 0: none (a fit to save and score)")
            case .precondition: Row(self, \.precondition, .onOff, "fit in the frame of the posterior mode's curvature, where a usable mode exists")
            case .runs: Row(self, \.runs, .count(atLeast: 1, atMost: 64),
                            "independent fits from dispersed starts, in parallel: their agreement is checked and their draws pooled")
            case .psis_resample: Row(self, \.psisResample, .onOff,
                                     "resample the draws by their Pareto-smoothed importance weights where k̂ < 0.7")
            case .objective: Row(self, \.objective, .objective,
                                 "what the fit maximises: the ELBO, or the IWAE or Rényi bound of each step's samples together")
            case .alpha: Row(self, \.alpha, .renyiAlpha, "the Rényi bound's alpha (0: the IWAE bound; towards 1: the ELBO)")
            case .minibatch: Row(self, \.minibatch, .minibatch,
                                 "each step reads M random rows of the data along the int data N, its sums over them scaled by N/M")
            case .epochs: Row(self, \.epochs, .epochs,
                              "with minibatch: passes over the rows, which set the steps (epochs × ceil(N/M)); off: the steps' cap and the convergence test")
            case .layers: Row(self, \.layers, .count(atLeast: 1), "the layers of a flow")
            case .hidden: Row(self, \.hidden, .widths, "the widths of the hidden layers of a flow's conditioner networks (hvi: of its reverse model)")
            case .activation: Row(self, \.activation, .activation, "the activation of a flow's conditioner networks")
            case .base: Row(self, \.base, .base, "the Gaussian a flow bends (hvi: the guide of its first draw)")
            case .transitions: Row(self, \.transitions, .count(atLeast: 1), "hvi's transitions: a fresh momentum, then leapfrog steps")
            case .leapfrog: Row(self, \.leapfrog, .count(atLeast: 0), "hvi's leapfrog steps per transition (0: the base alone)")
            case .step_size: Row(self, \.stepSize, .positive, "hvi's leapfrog step sizes at the start of the fit, which learns them")
            case .anneal: Row(self, \.anneal, .onOff, "hvi as uncorrected Hamiltonian annealing from the base to the posterior, with a learned schedule and partial momentum refresh, instead of a reverse model")
            case .rank: Row(self, \.rank, .rank, "the columns of a low-rank guide's covariance factor, from 1 to the dimension")
            case .particles: Row(self, \.particles, .count(atLeast: 2, atMost: 10_000), "svgd's particles, which are its draws")
            case .gradient: Row(self, \.gradient, .gradientEstimator,
                                "reparam: the reparameterisation gradient; score: the score function estimator with a leave-one-out "
                                + "baseline (what discrete params use), for comparison")
            case .components: Row(self, \.components, .count(atLeast: 2, atMost: 64), "a mixture guide's components")
            case .of: Row(self, \.of, .mixtureComponent, "the family of a mixture guide's components")
            case .point: Row(self, \.point, .names,
                             "params fitted as point estimates: maximum marginal likelihood without a prior, MAP with one")
            case .local: Row(self, \.local, .name(unset: "the first param whose first dimension is an int data"),
                             "amortized: the param with a row per row of the data that the encoder guides")
            case .input: Row(self, \.input, .name(unset: "the first data the density reads with a row per row of it"),
                             "amortized: the data whose row n the encoder maps to the guide of row n of 'local'")
            case .refine: Row(self, \.refine, .refinement,
                              "amortized: what bends each row's Gaussian further, hvi { transitions, leapfrog, step_size, hidden } "
                              + "or iaf { layers, hidden }")
            }
        }

        public var help: String { row.help }

        /// The flag of `ppl fit`: the name with `-` for `_`; `--draws-n` for draws, since
        /// `--draws FILE` writes them.
        public var flag: String {
            self == .draws ? "draws-n" : String(rawValue.map { $0 == "_" ? "-" : $0 })
        }

        /// What the flag's value is called in the usage: `n`, `x`, `widths`, ...
        public var valueName: String { row.valueName }

        /// What a value must be, for a guide of `family`: "a positive integer".
        public func expected(for family: GuideFamily) -> String { row.expected(family) }

        public var isFitting: Bool { Key.fitting.contains(self) }

        /// The default of every family that takes the option: `20000`, or per family where
        /// they differ (`8 for planar, radial; 4 for nice, realnvp; 2 for maf, iaf`).
        public var defaultText: String {
            perFamily { FitOptions(guide: $0.rawValue, family: $0).text(self) }
        }

        /// What a value must be, per family where it differs.
        public var expectedText: String { perFamily(expected) }

        /// `text` of every family that takes the option, said once where they agree.
        private func perFamily(_ text: (GuideFamily) -> String) -> String {
            var groups: [(text: String, families: [GuideFamily])] = []
            for f in GuideFamily.allCases where f.allKeys.contains(self) {
                let t = text(f)
                if let i = groups.firstIndex(where: { $0.text == t }) { groups[i].families.append(f) } else { groups.append((t, [f])) }
            }
            if groups.count == 1 { return groups[0].text }
            return groups.map { "\($0.text) for " + $0.families.map(\.rawValue).joined(separator: ", ") }.joined(separator: "; ")
        }
    }

    /// An option that cannot be set as asked; the text is the same from a guide block, a
    /// flag and `:set`.
    public struct Invalid: Error, CustomStringConvertible, Sendable {
        public let message: String
        public let help: String?
        /// The key is the problem (unknown, or not taken by the guide's family), not its value.
        public let aboutKey: Bool

        /// The message with its help, on one line.
        public var description: String { message + (help.map { "; " + $0 } ?? "") }

        /// `name` is not a key, or not one of the family's.
        public static func key(_ name: String, family: GuideFamily) -> Invalid {
            let allowed = family.allKeys.map(\.rawValue)
            let help = closest(to: name, in: allowed).map { "did you mean '\($0)'?" }
                ?? "\(family.rawValue) takes " + allowed.joined(separator: ", ")
            let known = Key(rawValue: name) != nil
            return Invalid(message: known ? "'\(name)' does not apply to a \(family.rawValue) guide" : "unknown guide key '\(name)'",
                           help: help, aboutKey: true)
        }

        static func value(_ key: Key, _ value: GuideValue, in options: FitOptions) -> Invalid {
            let expected = key.expected(for: options.family)
            if key == .refine {
                do { _ = try GuideRefinement.read(value) } catch {
                    return Invalid(message: "'refine' of guide '\(options.guide)': " + error.message, help: error.help, aboutKey: false)
                }
            }
            guard key == .base else { return Invalid(message: "'\(key.rawValue)' must be \(expected)", help: nil, aboutKey: false) }
            var help: String?
            if case .name(let b) = value { help = closest(to: b, in: options.family.bases.map(\.rawValue)).map { "did you mean '\($0)'?" } }
            return Invalid(message: "'base' of guide '\(options.guide)' (\(options.family.rawValue)) must be \(expected)",
                           help: help, aboutKey: false)
        }
    }
}

/// A row of the table with the field's type erased, so the rows can be listed.
protocol OptionRow {
    var help: String { get }
    var valueName: String { get }
    func expected(_ family: GuideFamily) -> String
    func set(_ value: GuideValue, in options: inout FitOptions) throws(FitOptions.Invalid)
    func text(in options: FitOptions) -> String
}

extension FitOptions {
    /// An option's field, the values it takes and its help.
    struct Row<Value>: OptionRow {
        let key: Key
        let field: WritableKeyPath<FitOptions, Value>
        let kind: ValueKind<Value>
        let help: String

        init(_ key: Key, _ field: WritableKeyPath<FitOptions, Value>, _ kind: ValueKind<Value>, _ help: String) {
            self.key = key
            self.field = field
            self.kind = kind
            self.help = help
        }

        var valueName: String { kind.valueName }
        func expected(_ family: GuideFamily) -> String { kind.expected(family) }

        func set(_ value: GuideValue, in options: inout FitOptions) throws(Invalid) {
            guard let v = kind.read(value, options.family) else { throw Invalid.value(key, value, in: options) }
            options[keyPath: field] = v
        }

        func text(in options: FitOptions) -> String { kind.text(options[keyPath: field]) }
    }

    /// The values an option takes: how a guide block's value is read as one (nil: not one
    /// of them), what they are in words, and how one is written back.
    struct ValueKind<Value> {
        let expected: (GuideFamily) -> String
        let valueName: String
        let read: (GuideValue, GuideFamily) -> Value?
        let text: (Value) -> String
    }
}

extension FitOptions.ValueKind where Value == Int {
    /// A whole number of at least `minimum` (and at most `maximum`); `steps = 1e4` is one
    /// written as a real.
    static func count(atLeast minimum: Int, atMost maximum: Int = 1_000_000_000_000) -> Self {
        Self(expected: { _ in
                 if maximum < 1_000_000_000_000 { return "an integer from \(minimum) to \(maximum)" }
                 return minimum == 1 ? "a positive integer" : minimum == 0 ? "a non-negative integer" : "an integer of at least \(minimum)"
             },
             valueName: "n",
             read: { v, _ in
                 switch v {
                 case .int(let n): return n >= minimum && n <= maximum ? n : nil
                 case .real(let x): return x >= Double(minimum) && x == x.rounded() && x <= Double(maximum) ? Int(x) : nil
                 case .name, .list, .block: return nil
                 }
             },
             text: { String($0) })
    }
}

extension FitOptions.ValueKind where Value == Int {
    /// Draws of a fitted guide: at least 10, for its quantiles and k̂, or 0 for none — a fit
    /// whose draws would be of no use, as a VAE's over every image's latents, and whose
    /// guide is saved to be evaluated (`ppl score`).
    static var drawCount: Self {
        let some = count(atLeast: 10)
        return Self(expected: { _ in "0 (no draws) or an integer of at least 10" }, valueName: "n",
                    read: { v, f in
                        switch v {
                        case .int(0), .real(0): return 0
                        default: return some.read(v, f)
                        }
                    }, text: some.text)
    }
}

extension FitOptions.ValueKind where Value == Int {
    /// A positive integer, or `off` (0).
    static var epochs: Self {
        let positive = count(atLeast: 1)
        return Self(expected: { _ in "a positive integer, or off" }, valueName: "n|off",
                    read: { v, f in
                        if case .name("off") = v { return 0 }
                        return positive.read(v, f)
                    }, text: { $0 == 0 ? "off" : String($0) })
    }
}

extension FitOptions.ValueKind where Value == Int {
    /// A positive integer; unset (0), ⌈√d⌉. That it is at most the dimension is checked
    /// when the dimension is known (`FitOptions.checkRank`).
    static var rank: Self {
        let positive = count(atLeast: 1)
        return Self(expected: positive.expected, valueName: "n", read: positive.read,
                    text: { $0 == 0 ? "ceil(sqrt(d))" : String($0) })
    }
}

extension FitOptions.ValueKind where Value == UInt64 {
    static var seed: Self {
        Self(expected: { _ in "a non-negative integer" }, valueName: "n",
             read: { v, _ in
                 switch v {
                 case .int(let n): return n >= 0 ? UInt64(n) : nil
                 case .real(let x): return x >= 0 && x == x.rounded() && x < 0x1p64 ? UInt64(x) : nil
                 case .name, .list, .block: return nil
                 }
             },
             text: { String($0) })
    }
}

extension FitOptions.ValueKind where Value == Double {
    static var positive: Self {
        Self(expected: { _ in "a positive number" }, valueName: "x",
             read: { v, _ in
                 switch v {
                 case .int(let n): return n > 0 ? Double(n) : nil
                 case .real(let x): return x > 0 && x.isFinite ? x : nil
                 case .name, .list, .block: return nil
                 }
             },
             text: { String($0) })
    }
}

extension FitOptions.ValueKind where Value == Bool {
    static var onOff: Self {
        Self(expected: { _ in "on or off" }, valueName: "on|off",
             read: { v, _ in
                 guard case .name(let s) = v else { return nil }
                 return ["on": true, "true": true, "off": false, "false": false][s]
             },
             text: { $0 ? "on" : "off" })
    }
}

extension FitOptions.ValueKind where Value == Double {
    /// A Rényi α: non-negative and not 1, where the bound is the ELBO.
    static var renyiAlpha: Self {
        Self(expected: { _ in "a non-negative number other than 1 (objective = elbo is alpha 1)" }, valueName: "x",
             read: { v, _ in
                 switch v {
                 case .int(let n): return n >= 0 && n != 1 ? Double(n) : nil
                 case .real(let x): return x >= 0 && x != 1 && x.isFinite ? x : nil
                 case .name, .list, .block: return nil
                 }
             },
             text: { String($0) })
    }
}

extension FitOptions.ValueKind where Value == GradientEstimator {
    static var gradientEstimator: Self {
        Self(expected: { _ in "one of " + GradientEstimator.allCases.map(\.rawValue).joined(separator: ", ") }, valueName: "name",
             read: { v, _ in if case .name(let s) = v { return GradientEstimator(rawValue: s) } else { return nil } },
             text: { $0.rawValue })
    }
}

extension FitOptions.ValueKind where Value == Objective {
    static var objective: Self {
        Self(expected: { _ in "one of " + Objective.allCases.map(\.rawValue).joined(separator: ", ") }, valueName: "name",
             read: { v, _ in if case .name(let s) = v { return Objective(rawValue: s) } else { return nil } },
             text: { $0.rawValue })
    }
}

extension FitOptions.ValueKind where Value == Minibatch? {
    /// A guide block's `[N, 256]`: an int data and the rows of a batch; a flag's `N=256`
    /// too; or `off`.
    static var minibatch: Self {
        Self(expected: { _ in "[SIZE, M], an int data and the rows of a batch (--minibatch N=256), or off" },
             valueName: "N=m",
             read: { v, _ in
                 switch v {
                 case .name("off"): return .some(nil)
                 case .name(let s): return Minibatch(text: s).map { .some($0) }
                 case .list(let items):
                     guard items.count == 2, case .name(let n) = items[0], case .int(let m) = items[1] else { return nil }
                     return Minibatch(text: "\(n)=\(m)").map { .some($0) }
                 case .int, .real, .block: return nil
                 }
             },
             text: { $0.map { "[\($0.size), \($0.batch)]" } ?? "off" })
    }
}

extension FitOptions.ValueKind where Value == [Int] {
    /// `[32, 32]`; a single width is one layer.
    static var widths: Self {
        Self(expected: { _ in "a list of positive integers, e.g. [32, 32]" }, valueName: "widths",
             read: { v, _ in
                 switch v {
                 case .int(let n): return n >= 1 ? [n] : nil
                 case .list(let xs) where !xs.isEmpty:
                     let widths = xs.compactMap { x -> Int? in if case .int(let n) = x, n >= 1 { return n } else { return nil } }
                     return widths.count == xs.count ? widths : nil
                 case .list, .real, .name, .block: return nil
                 }
             },
             text: { $0.isEmpty ? "[max(16, 2d)]" : "[" + $0.map(String.init).joined(separator: ", ") + "]" })
    }
}

extension FitOptions.ValueKind where Value == [String] {
    /// `[W, b]`; a single name is one.
    static var names: Self {
        Self(expected: { _ in "a list of param names, e.g. [W, b]" }, valueName: "names",
             read: { v, _ in
                 switch v {
                 case .name(let s): return [s]
                 case .list(let xs):
                     let names = xs.compactMap { x -> String? in if case .name(let s) = x { return s } else { return nil } }
                     return names.count == xs.count ? names : nil
                 case .int, .real, .block: return nil
                 }
             },
             text: { "[" + $0.joined(separator: ", ") + "]" })
    }
}

extension FitOptions.ValueKind where Value == String {
    /// One name; "" (it cannot be given so) is unset, which means `unset`.
    static func name(unset: String) -> Self {
        Self(expected: { _ in "a name" }, valueName: "name",
             read: { v, _ in if case .name(let s) = v { return s } else { return nil } },
             text: { $0.isEmpty ? unset : $0 })
    }
}

extension FitOptions.ValueKind where Value == Activation {
    static var activation: Self {
        Self(expected: { _ in "one of " + Activation.allCases.map(\.rawValue).joined(separator: ", ") }, valueName: "name",
             read: { v, _ in if case .name(let s) = v { return Activation(rawValue: s) } else { return nil } },
             text: { $0.rawValue })
    }
}

extension FitOptions.ValueKind where Value == GuideFamily {
    /// One of the families a mixture's components may be (`GuideFamily.mixtureComponents`).
    static var mixtureComponent: Self {
        Self(expected: { _ in "one of " + GuideFamily.mixtureComponents.map(\.rawValue).joined(separator: ", ") },
             valueName: "family",
             read: { v, _ in
                 guard case .name(let s) = v, let f = GuideFamily(rawValue: s), GuideFamily.mixtureComponents.contains(f) else { return nil }
                 return f
             },
             text: { $0.rawValue })
    }

    /// One of the families the guide's family may build on (`GuideFamily.bases`).
    static var base: Self {
        Self(expected: { "one of " + $0.bases.map(\.rawValue).joined(separator: ", ") }, valueName: "family",
             read: { v, family in
                 guard case .name(let s) = v, let f = GuideFamily(rawValue: s), family.bases.contains(f) else { return nil }
                 return f
             },
             text: { $0.rawValue })
    }
}

/// What bends each row's Gaussian of an amortized guide further, with the same keys and
/// defaults as the family's own guide (`transitions`, `leapfrog`, `step_size`, `hidden` for
/// hvi; `layers`, `hidden` for iaf).
public struct GuideRefinement: Sendable, Equatable {
    public let family: GuideFamily
    public let transitions: Int, leapfrog: Int, stepSize: Double
    public let layers: Int
    /// The hidden widths of hvi's reverse model or of iaf's networks; empty: one layer of
    /// max(16, 2k) for a row of k coordinates (`hiddenWidths`).
    public let hidden: [Int]
    /// The block's text: the family and the keys given.
    public let text: String

    /// The families that can refine a row's Gaussian.
    public static let families: [GuideFamily] = [.hvi, .iaf]
    /// The keys each takes.
    public static func keys(_ family: GuideFamily) -> [FitOptions.Key] {
        family == .hvi ? [.transitions, .leapfrog, .step_size, .hidden] : [.layers, .hidden]
    }

    /// `hvi`, or `hvi { leapfrog = 8 }`, read with the family's own keys and defaults; nil
    /// for a value that is not one of `families`. Throws what is wrong inside the block — a
    /// key the family does not take, or a value out of range — as the family's own guide
    /// block would say it.
    static func read(_ value: GuideValue) throws(FitOptions.Invalid) -> GuideRefinement? {
        let name: String, entries: [(key: String, value: GuideValue)]
        switch value {
        case .name(let s): (name, entries) = (s, [])
        case .block(let s, let e): (name, entries) = (s, e)
        case .int, .real, .list: return nil
        }
        guard let family = GuideFamily(rawValue: name), families.contains(family) else { return nil }
        var options = FitOptions(guide: name, family: family)
        // The steps are learned with the encoder from its start, where at hvi's own 0.01 one
        // leapfrog step's effect on the bound, second order in the step, gives their
        // gradient almost nothing to follow (factor analysis, 3,000 steps: the bound of
        // leapfrog = 1 gained nothing from 0.01, 0.76 nats from 0.1).
        if family == .hvi { try options.set(.step_size, .real(0.1)) }
        for (k, v) in entries {
            guard let key = FitOptions.Key(rawValue: k), keys(family).contains(key) else {
                let allowed = keys(family).map(\.rawValue)
                throw FitOptions.Invalid(message: "\(name) takes " + allowed.joined(separator: ", ") + ", not '\(k)'",
                                         help: closest(to: k, in: allowed).map { "did you mean '\($0)'?" }, aboutKey: false)
            }
            try options.set(key, v)
        }
        let body = options.bodyText(options.given.filter { entries.map(\.key).contains($0.rawValue) })
        return GuideRefinement(family: family, options: options, text: name + (body.isEmpty ? "" : " " + body))
    }

    private init(family: GuideFamily, options: FitOptions, text: String) {
        self.family = family
        (transitions, leapfrog, stepSize) = (options.transitions, options.leapfrog, options.stepSize)
        (layers, hidden) = (options.layers, options.hidden)
        self.text = text
    }

    /// The hidden widths for rows of k coordinates: as given, else one layer of max(16, 2k).
    public func hiddenWidths(_ k: Int) -> [Int] { hidden.isEmpty ? [max(16, 2 * k)] : hidden }
}

extension FitOptions.ValueKind where Value == GuideRefinement? {
    static var refinement: Self {
        Self(expected: { _ in "off, or a family that refines a row's Gaussian with its keys: hvi { transitions = T, leapfrog = L, "
                 + "step_size = h, hidden = [w] } or iaf { layers = n, hidden = [w] }" },
             valueName: "family",
             read: { v, _ in
                 if case .name("off") = v { return .some(nil) }
                 return (try? GuideRefinement.read(v))?.map { .some($0) }
             },
             text: { $0?.text ?? "off" })
    }
}

extension GuideValue {
    /// A value typed after a flag or `:set`, read as a guide block's: a number, a name, or a
    /// list `[32, 32]` (on the command line the brackets may be left out: `32,32`).
    public init(text: String) {
        let t = GuideValue.trimmed(Substring(text))
        if let open = t.firstIndex(of: "{"), t.hasSuffix("}") {
            self = .block(String(GuideValue.trimmed(t[..<open])), GuideValue.entries(t[t.index(after: open)..<t.index(before: t.endIndex)]))
            return
        }
        let bracketed = t.count >= 2 && t.hasPrefix("[") && t.hasSuffix("]")
        guard bracketed || t.contains(",") else {
            self = GuideValue.scalar(t)
            return
        }
        let inner = bracketed ? t.dropFirst().dropLast() : t
        let items = inner.split(separator: ",", omittingEmptySubsequences: false).map { GuideValue.trimmed($0) }
        self = .list(items == [""] ? [] : items.map(GuideValue.scalar))
    }

    /// `leapfrog = 4, hidden = [32, 32]`: split at the commas outside brackets and braces;
    /// an entry without `=` is one whose key is empty, which no family takes.
    private static func entries(_ text: Substring) -> [(key: String, value: GuideValue)] {
        var parts: [Substring] = [], depth = 0, start = text.startIndex
        for i in text.indices {
            switch text[i] {
            case "[", "{": depth += 1
            case "]", "}": depth -= 1
            case "," where depth == 0:
                parts.append(text[start..<i])
                start = text.index(after: i)
            default: break
            }
        }
        parts.append(text[start...])
        return parts.map(trimmed).filter { !$0.isEmpty }.map { part in
            guard let eq = part.firstIndex(of: "=") else { return ("", GuideValue(text: String(part))) }
            return (String(trimmed(part[..<eq])), GuideValue(text: String(part[part.index(after: eq)...])))
        }
    }

    private static func scalar(_ s: Substring) -> GuideValue {
        if let n = Int(s) { return .int(n) }
        if let x = Double(s) { return .real(x) }
        return .name(String(s))
    }

    private static func trimmed(_ text: Substring) -> Substring {
        var s = text
        while s.first == " " || s.first == "\t" { s.removeFirst() }
        while s.last == " " || s.last == "\t" { s.removeLast() }
        return s
    }
}
