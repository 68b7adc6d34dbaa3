import Foundation
import PPLSema
import PPLSyntax

/// Which rows of the draws the printed table and the summary JSON show: every component
/// of the names asked for (`--params alpha,beta`; a name selects all its components), else
/// all of them, with a long derived or generated vector (a param-dependent `let`, or one of
/// the `generate` block, not asked for) cut to its first and last rows in the table.
public struct ParamSelection: Sendable {
    /// The names asked for; nil: all.
    public let asked: Set<String>?
    /// The model's derived and generated quantities (abbreviated in the table when long).
    let derived: Set<String>
    /// How to ask for a name's every row, for the line that says rows are left out:
    /// `--params`, or the REPL's `:summary`.
    let howToShow: String

    /// A derived quantity with more components than this is shown as its first
    /// `headRows` and last `tailRows`.
    static let longest = 10, headRows = 5, tailRows = 2

    /// Everything, with long derived vectors cut.
    public init(model: CheckedModel, howToShow: String = "--params") {
        asked = nil
        derived = Self.computed(model)
        self.howToShow = howToShow
    }

    /// The names in `list` (comma-separated), each a param or derived quantity of `model`;
    /// an unknown one is an error naming it (with the nearest name), before any fit runs.
    public init(_ list: String, model: CheckedModel, option: String = "--params", howToShow: String = "--params") throws(PPLError) {
        let known = model.params.map(\.name) + model.derived.outputNames + model.generated.outputNames
        var names: Set<String> = []
        for part in list.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { throw .user("\(option) needs names separated by commas, not '\(list)'") }
            guard known.contains(name) else {
                var s = "\(option): the model has no param, derived or generated quantity '\(name)'"
                // `mu[3]`: a name selects all its components.
                if let near = known.contains(Self.base(name)) ? Self.base(name) : closest(to: name, in: known) {
                    s += "; did you mean '\(near)'?"
                }
                throw .user(s + " (it has " + known.joined(separator: ", ") + ")")
            }
            names.insert(name)
        }
        asked = names
        derived = Self.computed(model)
        self.howToShow = howToShow
    }

    /// The names of the values computed from the params: derived and generated quantities.
    static func computed(_ model: CheckedModel) -> Set<String> {
        Set(model.derived.outputNames + model.generated.outputNames)
    }

    /// The name a component belongs to: `beta` for `beta[2]`, `W` for `W[1,3]`.
    static func base(_ component: String) -> String {
        String(component.prefix { $0 != "[" })
    }

    /// The indices of the components (of `names`, the draws' columns) selected.
    public func columns(_ names: [String]) -> [Int] {
        guard let asked else { return Array(names.indices) }
        return names.indices.filter { asked.contains(Self.base(names[$0])) }
    }

    /// One row of the printed table: a component (its column), or a line standing for
    /// `count` components of `name` left out.
    public enum Row: Equatable {
        case column(Int)
        case omitted(name: String, count: Int)
    }

    /// The table's rows: the columns selected, with each long derived quantity not asked
    /// for by name cut to its first and last rows.
    public func rows(_ names: [String]) -> [Row] {
        var out: [Row] = []
        let selected = columns(names)
        var start = 0
        while start < selected.count {
            let name = Self.base(names[selected[start]])
            var end = start
            while end < selected.count && Self.base(names[selected[end]]) == name { end += 1 }
            let group = selected[start..<end]
            if derived.contains(name), asked == nil, group.count > Self.longest {
                out += group.prefix(Self.headRows).map(Row.column)
                out.append(.omitted(name: name, count: group.count - Self.headRows - Self.tailRows))
                out += group.suffix(Self.tailRows).map(Row.column)
            } else {
                out += group.map(Row.column)
            }
            start = end
        }
        return out
    }

    /// The line for components left out.
    func omittedLine(_ name: String, _ count: Int) -> String {
        "... (\(count) more; \(howToShow) \(name) to show)"
    }
}
