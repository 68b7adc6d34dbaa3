import PPLSyntax

/// The settings a REPL session changes with `:set KEY VALUE`. Unset fitting keys fall back
/// to the guide block's keys, then to the defaults of `ppl fit`.
public struct ReplSettings {
    public enum Key: String, CaseIterable, Sendable {
        case steps, lr, samples, seed, draws, stl

        var meaning: String {
            switch self {
            case .steps: return "the most optimisation steps of a :fit (default 20000)"
            case .lr: return "Adam's step size while exploring (default 0.05)"
            case .samples: return "draws of the guide per step (default 8)"
            case .seed: return "the random seed (default 1)"
            case .draws: return "draws for the summary and the diagnostics (default 1000)"
            case .stl: return "sticking-the-landing gradient: on, off or default (the family's choice)"
            }
        }
    }

    public var steps: Int?
    public var lr: Double?
    public var samples: Int?
    public var seed: UInt64?
    public var draws = 1000
    public var stickingTheLanding: Bool?

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// The key named `name`, else an error with a suggestion.
    public static func key(_ name: String) throws -> Key {
        if let key = Key(rawValue: name) { return key }
        var s = "unknown setting '\(name)'"
        if let near = closest(to: name, in: Key.allCases.map(\.rawValue)) { s += "; did you mean '\(near)'?" }
        throw Invalid(description: s + " (settings: " + Key.allCases.map(\.rawValue).joined(separator: ", ") + ")")
    }

    /// Parses `value` for the key `name`; `default` unsets a fitting key.
    public mutating func set(_ name: String, _ value: String) throws {
        let key = try ReplSettings.key(name)
        let unset = value == "default"
        func bad(_ what: String) -> Invalid { Invalid(description: "'\(value)' is not \(what) (for \(name))") }
        switch key {
        case .steps:
            guard unset || Int(value).map({ $0 > 0 }) == true else { throw bad("a positive integer") }
            steps = Int(value)
        case .samples:
            guard unset || Int(value).map({ $0 > 0 }) == true else { throw bad("a positive integer") }
            samples = Int(value)
        case .lr:
            guard unset || Double(value).map({ $0 > 0 && $0.isFinite }) == true else { throw bad("a positive number") }
            lr = Double(value)
        case .seed:
            guard unset || UInt64(value) != nil else { throw bad("a non-negative integer") }
            seed = UInt64(value)
        case .draws:
            guard unset || Int(value).map({ $0 >= 10 }) == true else { throw bad("an integer of at least 10") }
            draws = Int(value) ?? ReplSettings().draws
        case .stl:
            switch value {
            case "on", "true": stickingTheLanding = true
            case "off", "false": stickingTheLanding = false
            case "default": stickingTheLanding = nil
            default: throw bad("on, off or default")
            }
        }
    }

    public func value(_ key: Key) -> String {
        switch key {
        case .steps: return steps.map(String.init) ?? "default"
        case .lr: return lr.map { String($0) } ?? "default"
        case .samples: return samples.map(String.init) ?? "default"
        case .seed: return seed.map { String($0) } ?? "default"
        case .draws: return String(draws)
        case .stl: return stickingTheLanding.map { $0 ? "on" : "off" } ?? "default"
        }
    }

    /// Every setting with its value and meaning, for `:set` alone.
    public var listing: String {
        Key.allCases.map { k in
            let v = value(k)
            return "  " + k.rawValue + String(repeating: " ", count: 9 - k.rawValue.count) + v
                + String(repeating: " ", count: max(1, 10 - v.count)) + k.meaning + "\n"
        }.joined()
    }

    func overrides(steps fitSteps: Int?) -> FitSession.Overrides {
        var o = FitSession.Overrides()
        o.steps = fitSteps ?? steps
        o.lr = lr
        o.samples = samples
        o.seed = seed
        o.stickingTheLanding = stickingTheLanding
        return o
    }
}
