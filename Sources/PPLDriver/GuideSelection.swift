import PPLSema
import PPLSyntax

/// Which guide a fit uses, as LANGUAGE.md says: a block named `requested`, else the family
/// of that name with its defaults; without a request the first block, else meanfield.
public enum GuideSelection {
    public static func select(_ requested: String?, from guides: [GuideSpec]) -> Result<FitOptions, PPLError> {
        guard let requested else {
            return .success(guides.first?.options ?? FitOptions(guide: "meanfield", family: .meanfield))
        }
        if let g = guides.first(where: { $0.name == requested }) { return .success(g.options) }
        if let f = GuideFamily(rawValue: requested) { return .success(FitOptions(guide: requested, family: f)) }
        var s = "no guide block or guide family named '\(requested)'"
        if let near = closest(to: requested, in: guides.map(\.name) + GuideFamily.allCases.map(\.rawValue)) {
            s += "; did you mean '\(near)'?"
        }
        s += "\n  guide blocks: " + (guides.isEmpty ? "none" : guides.map(\.name).joined(separator: ", "))
        s += "\n  families: " + GuideFamily.allCases.map(\.rawValue).joined(separator: ", ")
        return .failure(.user(s))
    }
}
