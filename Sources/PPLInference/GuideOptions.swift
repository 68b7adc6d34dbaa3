import PPLSema
import PPLSyntax

/// The settings of one fit: from a guide block, overridden by command-line flags.
public struct GuideOptions: Sendable {
    public var family: GuideFamily
    public var name: String
    public var steps: Int?
    public var lr: Double?
    public var samples: Int?
    public var seed: UInt64?
    /// Other keys of the guide block (`layers`, `hidden`, ...) for the families that use them.
    public var keys: [GuideKey: GuideValue] = [:]

    public init(family: GuideFamily, name: String) {
        self.family = family
        self.name = name
    }

    public init(_ spec: GuideSpec) {
        self.init(family: spec.family, name: spec.name)
        for (k, v) in spec.options {
            switch (k, v) {
            case (.steps, .int(let n)): steps = n
            case (.steps, .real(let x)): steps = Int(x)
            case (.samples, .int(let n)): samples = n
            case (.samples, .real(let x)): samples = Int(x)
            case (.lr, .int(let n)): lr = Double(n)
            case (.lr, .real(let x)): lr = x
            case (.seed, .int(let n)): seed = UInt64(n)
            default: keys[k] = v
            }
        }
    }

    /// Picks the guide as LANGUAGE.md says: a block named `requested`, else the family of
    /// that name with its defaults; without a request the first block, else meanfield.
    public static func select(_ requested: String?, from guides: [GuideSpec]) -> Result<GuideOptions, SelectionError> {
        guard let requested else {
            return .success(guides.first.map(GuideOptions.init) ?? GuideOptions(family: .meanfield, name: "meanfield"))
        }
        if let g = guides.first(where: { $0.name == requested }) { return .success(GuideOptions(g)) }
        if let f = GuideFamily(rawValue: requested) { return .success(GuideOptions(family: f, name: requested)) }
        let candidates = guides.map(\.name) + GuideFamily.allCases.map(\.rawValue)
        return .failure(SelectionError(requested: requested, blocks: guides.map(\.name),
                                       suggestion: closest(to: requested, in: candidates)))
    }

    public struct SelectionError: Error, CustomStringConvertible {
        public let requested: String
        public let blocks: [String]
        public let suggestion: String?
        public var description: String {
            var s = "no guide block or guide family named '\(requested)'"
            if let suggestion { s += "; did you mean '\(suggestion)'?" }
            s += "\n  guide blocks: " + (blocks.isEmpty ? "none" : blocks.joined(separator: ", "))
            s += "\n  families: " + GuideFamily.allCases.map(\.rawValue).joined(separator: ", ")
            return s
        }
    }
}
