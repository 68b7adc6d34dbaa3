import PPLDriver
import PPLSema
import PPLSyntax

/// The options a REPL session sets with `:set KEY VALUE`: any row of the options table,
/// over the guide block's keys, as `ppl fit`'s flags are. A setting is checked against the
/// guide a `:fit` would use when it is made; a guide chosen later that does not take it
/// fits without it.
public struct ReplSettings {
    /// The options set, in the table's order: the value, and its text as the table writes it.
    private var values: [(key: FitOptions.Key, value: GuideValue, text: String)] = []

    public init() {}

    /// The key named `name`, else an error with a suggestion.
    public static func key(_ name: String) throws(PPLError) -> FitOptions.Key {
        if let key = FitOptions.Key(rawValue: name) { return key }
        let names = FitOptions.Key.allCases.map(\.rawValue)
        var s = "unknown setting '\(name)'"
        if let near = closest(to: name, in: names) { s += "; did you mean '\(near)'?" }
        throw .user(s + " (settings: " + names.joined(separator: ", ") + ")")
    }

    /// Sets `name` to `text` (`default` unsets it), checked against `current`, the options
    /// of the guide a `:fit` would use now.
    public mutating func set(_ name: String, _ text: String, for current: FitOptions) throws(PPLError) {
        let key = try ReplSettings.key(name)
        if text == "default" {
            values.removeAll { $0.key == key }
            return
        }
        let value = GuideValue(text: text)
        var options = current
        do { try options.set(key, value) } catch { throw .user(error.description) }
        values.removeAll { $0.key == key }
        values.append((key, value, options.text(key)))
        values.sort { FitOptions.Key.allCases.firstIndex(of: $0.key)! < FitOptions.Key.allCases.firstIndex(of: $1.key)! }
    }

    /// `options` with the settings its family takes.
    public func apply(to options: inout FitOptions) throws(PPLError) {
        for (key, value, _) in values where options.family.allKeys.contains(key) {
            do { try options.set(key, value) } catch { throw .user(error.description) }
        }
    }

    public func text(_ key: FitOptions.Key) -> String {
        values.first { $0.key == key }?.text ?? "default"
    }

    /// The options of the guide of `options` with their settings, values and meanings, for
    /// `:set` alone; `options` are the guide's without the settings.
    public func listing(for options: FitOptions) -> String {
        let set = Set(values.map(\.key))
        let keys = FitOptions.Key.allCases.filter { options.family.allKeys.contains($0) || set.contains($0) }
        let width = (keys.map(\.rawValue.count).max() ?? 0) + 2
        return keys.map { k in
            let v = text(k)
            let meaning = options.family.allKeys.contains(k)
                ? "\(k.help) (guide \(options.guide): \(options.text(k)))"
                : "(not taken by a \(options.family.rawValue) guide)"
            return "  " + k.rawValue + String(repeating: " ", count: width - k.rawValue.count) + v
                + String(repeating: " ", count: max(1, 10 - v.count)) + meaning + "\n"
        }.joined()
    }
}
