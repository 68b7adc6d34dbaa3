import CLITestSupport
import Foundation
import PPLInference
import PPLSema
import XCTest

/// The options table (`FitOptions.Key`) through its three doors: `ppl fit`'s flags, a guide
/// block's keys and `:set` in a piped REPL session. For every row: a value given in each
/// place fits to the same numbers, the table's default given explicitly fits as no value
/// does, and an out-of-range value gets the same message everywhere.
final class FitOptionsTests: XCTestCase {
    /// A value to set, one the option rejects, and the default written out where the
    /// table's text is not a value (`hidden`'s depends on the dimension, here 2); `with`,
    /// another option every fit of the case gives in the same place, where this one needs it
    /// (`alpha` is the Rényi objective's).
    struct Case {
        let family: GuideFamily
        let value: String
        let invalid: String
        var explicitDefault: String?
        var with: (key: FitOptions.Key, value: String)?
    }

    static let cases: [FitOptions.Key: [Case]] = [
        .steps: [Case(family: .meanfield, value: "150", invalid: "0")],
        .lr: [Case(family: .meanfield, value: "0.02", invalid: "0"), Case(family: .iaf, value: "0.02", invalid: "-1")],
        .samples: [Case(family: .meanfield, value: "3", invalid: "0")],
        .seed: [Case(family: .meanfield, value: "7", invalid: "-1")],
        .stl: [Case(family: .meanfield, value: "off", invalid: "maybe"), Case(family: .fullrank, value: "on", invalid: "2")],
        .draws: [Case(family: .meanfield, value: "50", invalid: "5")],
        .precondition: [Case(family: .meanfield, value: "off", invalid: "2")],
        // One run's k̂ on this model is above 0.7, where nothing is resampled; four runs' is below.
        .psis_resample: [Case(family: .realnvp, value: "off", invalid: "maybe", with: (.runs, "4"))],
        .runs: [Case(family: .meanfield, value: "2", invalid: "65"), Case(family: .fullrank, value: "1", invalid: "0")],
        .layers: [Case(family: .iaf, value: "1", invalid: "0"), Case(family: .planar, value: "3", invalid: "1.5")],
        .hidden: [Case(family: .iaf, value: "[8, 8]", invalid: "[8, 0]", explicitDefault: "[16]")],
        .activation: [Case(family: .realnvp, value: "tanh", invalid: "swish")],
        .base: [Case(family: .iaf, value: "fullrank", invalid: "fulrank")],
        .transitions: [Case(family: .hvi, value: "3", invalid: "0")],
        .leapfrog: [Case(family: .hvi, value: "3", invalid: "-1")],
        .step_size: [Case(family: .hvi, value: "0.2", invalid: "0")],
        .anneal: [Case(family: .hvi, value: "on", invalid: "3")],
        .objective: [Case(family: .meanfield, value: "iwae", invalid: "iwea")],
        .alpha: [Case(family: .meanfield, value: "0.2", invalid: "1", with: (.objective, "renyi"))],
        .rank: [Case(family: .lowrank, value: "1", invalid: "0", explicitDefault: "2")],
        .particles: [Case(family: .svgd, value: "20", invalid: "1")],
        .components: [Case(family: .mixture, value: "2", invalid: "1")],
        .gradient: [Case(family: .meanfield, value: "score", invalid: "reinforce")],
        .of: [Case(family: .mixture, value: "fullrank", invalid: "iaf")],
        .point: [Case(family: .meanfield, value: "b", invalid: "[1]"), Case(family: .iaf, value: "[a]", invalid: "2.5")],
        .minibatch: [Case(family: .meanfield, value: "[N, 5]", invalid: "[N, 0]"), Case(family: .iaf, value: "[N, 4]", invalid: "N")],
        .epochs: [Case(family: .meanfield, value: "40", invalid: "0", with: (.minibatch, "[N, 5]"))],
        .local: [Case(family: .amortized, value: "v", invalid: "[1]", explicitDefault: "u")],
        .input: [Case(family: .amortized, value: "w", invalid: "2", explicitDefault: "y")],
        .refine: [Case(family: .amortized, value: "hvi { leapfrog = 2 }", invalid: "nuts"),
                  Case(family: .amortized, value: "iaf { layers = 1 }", invalid: "iaf { leapfrog = 2 }")],
    ]

    var directory = ""

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-options-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// A two-dimensional model whose guide `g` is of `family` with `keys` in its block, and
    /// ten rows of data beside it (to minibatch). For an amortized guide, two local params
    /// and a second data vector with a row per row, which its keys choose among.
    func model(_ family: GuideFamily, _ keys: [String]) throws -> String {
        let stem = directory + "/m\(UUID().uuidString.prefix(8))"
        let block = keys.isEmpty ? "" : " { " + keys.joined(separator: ", ") + " }"
        let locals = family != .amortized ? "" : """
            data w: vector[N]
            param u: vector[N]
            param v: vector[N]
            u ~ normal(0, 1)
            v ~ normal(0, 1)
            w ~ normal(u + v, 1)

            """
        try """
            data N: int<lower=1>
            data y: vector[N]
            param a: real
            param b: real<lower=0>
            a ~ normal(0, 1)
            b ~ exponential(1)
            y ~ normal(a, 2 * b)
            \(locals)guide g = \(family.rawValue)\(block)

            """.write(toFile: stem + ".ppl", atomically: true, encoding: .utf8)
        try #"{"N": 10, "y": [0.3, -0.2, 1.1, 0.8, 0.1, 0.5, -0.4, 0.9, 0.2, 0.6], "w": [1, 0, 2, -1, 0.5, 0.2, 1.5, -0.3, 0, 1]}"#
            .write(toFile: stem + ".data.json", atomically: true, encoding: .utf8)
        return stem + ".ppl"
    }

    /// `--flag=value`, or `--stl` / `--no-stl` for an on/off option.
    func flag(_ key: FitOptions.Key, _ value: String) -> String {
        key.valueName == "on|off" ? (value == "on" ? "--\(key.flag)" : "--no-\(key.flag)") : "--\(key.flag)=\(value)"
    }

    /// What every fit is held to, given in the same place, but for the options under test:
    /// 300 steps (unless epochs set them), and one run (four would fit the same to four
    /// times the time).
    func pins(_ keys: [FitOptions.Key], _ family: GuideFamily) -> [(FitOptions.Key, String)] {
        [(FitOptions.Key.steps, "300"), (.runs, "1")].filter { pin in
            !keys.contains(pin.0) && !(pin.0 == .steps && keys.contains(.epochs)) && family.allKeys.contains(pin.0)
        }
    }

    /// Fits with `key = value` (none: nil) given in one place; returns the run.
    enum Place: CaseIterable { case flag, block, set }
    func fit(_ key: FitOptions.Key, _ value: String?, family: GuideFamily, in place: Place,
             with other: (key: FitOptions.Key, value: String)? = nil) throws -> CLI.Run {
        let given = pins([key] + (other.map { [$0.key] } ?? []), family) + (other.map { [$0] } ?? []) + (value.map { [(key, $0)] } ?? [])
        switch place {
        case .flag:
            let m = try model(family, [])
            return try CLI.run(["fit", m, "--guide", "g", "--quiet"] + given.map { flag($0.0, $0.1) })
        case .block:
            let m = try model(family, given.map { "\($0.0.rawValue) = \($0.1)" })
            return try CLI.run(["fit", m, "--guide", "g", "--quiet"])
        case .set:
            let m = try model(family, [])
            let lines = [":guide g"] + given.map { ":set \($0.0.rawValue) \($0.1)" } + [":fit"]
            return try CLI.run(["repl", m], input: lines.joined(separator: "\n") + "\n")
        }
    }

    /// What a fit reports that depends on its settings: the header without its timing, the
    /// frame it was fitted in, k̂ and log p(data), each to four digits, and whether (and how
    /// well) the draws were importance-resampled.
    func fingerprint(_ r: CLI.Run) -> String {
        r.stdout.split(separator: "\n").compactMap { line -> String? in
            if line.contains(" steps (") { return line.replacingOccurrences(of: #" in [0-9.]+ s, [0-9]+ steps/s"#, with: "", options: .regularExpression) }
            if line.hasPrefix("Pareto k̂") || line.hasPrefix("log p(data)") || line.hasPrefix("frame: ") || line.hasPrefix("draws: ") {
                return String(line)
            }
            return nil
        }.joined(separator: "\n")
    }

    func testEveryOptionHasCases() {
        XCTAssertEqual(Set(Self.cases.keys), Set(FitOptions.Key.allCases), "a row of the options table without a case here")
        for (key, cases) in Self.cases {
            for c in cases { XCTAssertTrue(c.family.allKeys.contains(key), "\(key) on \(c.family)") }
        }
    }

    /// A value and the explicit default, in each place, fit to the same numbers; the value
    /// changes them.
    func testEveryOptionMeansTheSameInEveryPlaceWithTheSameDefault() throws {
        struct Fits {
            var none: CLI.Run?
            var explicitDefault: String = ""
            var defaults: [CLI.Run] = []
            var values: [CLI.Run] = []
            var error: Error?
        }
        let cases = FitOptions.Key.allCases.flatMap { key in (Self.cases[key] ?? []).map { (key, $0) } }
        // The fits are separate processes: as many at a time as there are cores. Each
        // iteration writes its own element, under the lock; the test's methods only read.
        nonisolated(unsafe) var fits = [Fits](repeating: Fits(), count: cases.count)
        nonisolated(unsafe) let test = self
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: cases.count) { i in
            let (key, c) = cases[i]
            var f = Fits()
            do {
                f.none = try test.fit(key, nil, family: c.family, in: .flag, with: c.with)
                f.explicitDefault = c.explicitDefault ?? FitOptions(guide: "g", family: c.family).text(key)
                for place in Place.allCases {
                    f.defaults.append(try test.fit(key, f.explicitDefault, family: c.family, in: place, with: c.with))
                    f.values.append(try test.fit(key, c.value, family: c.family, in: place, with: c.with))
                }
            } catch { f.error = error }
            lock.lock()
            fits[i] = f
            lock.unlock()
        }
        for ((key, c), f) in zip(cases, fits) {
            let label = "\(key) on \(c.family)"
            if let error = f.error { throw error }
            let none = try XCTUnwrap(f.none)
            XCTAssertEqual(none.status, 0, "\(label): \(none.stderr)")
            let reference = fingerprint(none)
            XCTAssertTrue(reference.contains("Pareto k̂"), "\(label): \(none.stdout)")
            var given: String?
            for (place, (d, v)) in zip(Place.allCases, zip(f.defaults, f.values)) {
                XCTAssertEqual(d.status, 0, "\(label) = \(f.explicitDefault) in \(place): \(d.stderr)")
                XCTAssertEqual(fingerprint(d), reference, "\(label): the default \(f.explicitDefault) in \(place)")
                XCTAssertEqual(v.status, 0, "\(label) = \(c.value) in \(place): \(v.stderr)")
                let fv = fingerprint(v)
                XCTAssertNotEqual(fv, reference, "\(label) = \(c.value) in \(place) changes nothing")
                if let given { XCTAssertEqual(fv, given, "\(label) = \(c.value) in \(place)") } else { given = fv }
            }
        }
    }

    /// An out-of-range value: the guide block's located message, word for word from the flag
    /// and from `:set`; all three exit 65.
    func testAnOutOfRangeValueGetsTheSameMessageEverywhere() throws {
        for key in FitOptions.Key.allCases {
            for c in Self.cases[key] ?? [] {
                let label = "\(key) = \(c.invalid) on \(c.family)"
                let check = try CLI.run(["check", try model(c.family, ["\(key.rawValue) = \(c.invalid)"])])
                XCTAssertEqual(check.status, 65, label)
                guard let located = check.stderr.split(separator: "\n").first(where: { $0.contains(": error: ") }),
                      let range = located.range(of: ": error: ") else {
                    XCTFail("\(label): no error in \(check.stderr)")
                    continue
                }
                let message = String(located[range.upperBound...])
                XCTAssertTrue(message.hasPrefix("'\(key.rawValue)'"), "\(label): \(message)")
                // An on/off flag takes no value to get wrong.
                if key.valueName != "on|off" {
                    let flag = try CLI.run(["fit", try model(c.family, []), "--guide", "g", self.flag(key, c.invalid)])
                    XCTAssertEqual(flag.status, 65, label)
                    XCTAssertTrue(flag.stderr.hasPrefix("ppl: error: \(message)"), "\(label): \(flag.stderr) vs \(message)")
                }
                let set = try CLI.run(["repl", try model(c.family, [])], input: ":guide g\n:set \(key.rawValue) \(c.invalid)\n")
                XCTAssertEqual(set.status, 65, label)
                XCTAssertTrue(set.stderr.hasPrefix("error: \(message)"), "\(label): \(set.stderr) vs \(message)")
            }
        }
    }

    /// A rank above the dimension (known only with the data) is refused before the fit, from a
    /// guide block and from the flag alike, exit 65.
    func testARankAboveTheDimensionIsRefused() throws {
        for args in [["fit", try model(.lowrank, ["rank = 3"]), "--guide", "g"],
                     ["fit", try model(.lowrank, []), "--guide", "g", "--rank", "3"]] {
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertEqual(r.stderr, "ppl: error: 'rank' of guide 'g' (lowrank) must be at most the dimension 2\n")
        }
    }

    /// `ppl fit --help` and the README describe every row as the table does.
    func testTheHelpAndTheReadmeListEveryOption() throws {
        func words(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        let help = try CLI.run(["fit", "--help"])
        XCTAssertEqual(help.status, 0)
        let readme = try String(contentsOfFile: CLI.root + "/README.md", encoding: .utf8)
        for key in FitOptions.Key.allCases {
            let usage = key.valueName == "on|off" ? "--\(key.flag)/--no-\(key.flag)" : "--\(key.flag) <\(key.valueName)>"
            XCTAssertTrue(help.stdout.contains(usage), "\(usage) in \(help.stdout)")
            XCTAssertTrue(words(help.stdout).lowercased().contains(words("\(key.help) (default \(key.defaultText)).").lowercased()),
                          "\(key) in \(help.stdout)")
            XCTAssertTrue(readme.contains("`--\(key.flag)"), "README lacks --\(key.flag)")
        }
    }
}
