import PPLSema
import PPLSyntax

/// Which guide a fit uses, as LANGUAGE.md says: a block named `requested`, else the family
/// of that name with its defaults; without a request the first block, else meanfield.
public enum GuideSelection {
    public static func select(_ requested: String?, from guides: [GuideSpec]) -> Result<FitOptions, Failure> {
        guard let requested else {
            return .success(guides.first?.options ?? FitOptions(guide: "meanfield", family: .meanfield))
        }
        if let g = guides.first(where: { $0.name == requested }) { return .success(g.options) }
        if let f = GuideFamily(rawValue: requested) { return .success(FitOptions(guide: requested, family: f)) }
        let candidates = guides.map(\.name) + GuideFamily.allCases.map(\.rawValue)
        return .failure(Failure(requested: requested, blocks: guides.map(\.name),
                                suggestion: closest(to: requested, in: candidates)))
    }

    public struct Failure: Error, CustomStringConvertible {
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
