import Foundation
import PPLIR
import PPLSema
import PPLSyntax

/// The texts printed by `ppl check` and `ppl ir`.
public enum Reports {
    /// `ok` and a summary: params with their constrained types, the unconstrained
    /// dimension (a number when the data give the sizes), the data needed, the guides.
    public static func checkSummary(_ m: CheckedModel, dimension: Int?) -> String {
        var out = "ok\n"
        let width = (m.params + m.data).map(\.name.count).max() ?? 0
        func pad(_ s: String) -> String { s + String(repeating: " ", count: max(0, width - s.count)) }
        out += "params:\n"
        for p in m.params { out += "  \(pad(p.name))  \(p.typeText)\n" }
        let dim = m.unconstrainedDimension
        if let n = dimension {
            out += "unconstrained dimension: \(n)" + (dim.constant == nil ? " (\(dim))" : "") + "\n"
        } else {
            out += "unconstrained dimension: \(dim)\n"
        }
        if m.discreteCount != Size(0) { out += "discrete values: \(m.discreteCount)\n" }
        if m.data.isEmpty {
            out += "data: none\n"
        } else {
            out += "data:\n"
            for d in m.data { out += "  \(pad(d.name))  \(d.typeText)\n" }
        }
        let derived = m.derived.outputNames
        if !derived.isEmpty { out += "derived: \(derived.joined(separator: ", "))\n" }
        let generated = m.generated.outputNames
        if !generated.isEmpty { out += "generated: \(generated.joined(separator: ", "))\n" }
        if m.guides.isEmpty {
            out += "guides: none declared (default: meanfield)\n"
        } else {
            out += "guides:\n"
            for g in m.guides {
                let body = g.options.bodyText(g.options.given)
                out += "  \(g.name) = \(g.family.rawValue)" + (body.isEmpty ? "" : " " + body) + "\n"
            }
        }
        return out
    }

    /// The three programs of a model as text, a fourth when bounds depend on params and a
    /// fifth for a `generate` block;
    /// the log density simplified, as it is run (inside the ELBO or a gradient program,
    /// which are simplified whole).
    public static func ir(_ m: CheckedModel) -> String {
        var out = ""
        for a in m.assumptions { out += "assume \(a.lhs) == \(a.rhs)\n" }
        if !m.assumptions.isEmpty { out += "\n" }
        out += Printer.print(m.transformedData) + "\n"
        out += Printer.print(Simplify.run(m.logDensity)) + "\n"
        out += Printer.print(m.derived)
        if !m.paramBounds.outputNames.isEmpty { out += "\n" + Printer.print(m.paramBounds) }
        if !m.generated.outputNames.isEmpty { out += "\n" + Printer.print(m.generated) }
        return out
    }

    /// Every builtin function and distribution, for `ppl check --list`.
    public static func list(_ distributions: [String: DistInfo]) -> String {
        var out = "functions:\n"
        for b in Builtins.table { out += "  \(b.signature)\n" }
        out += "distributions:\n"
        for (name, d) in distributions.sorted(by: { $0.key < $1.key }) {
            out += "  \(d.signature)    (\(d.functionNames.joined(separator: ", ")))\n"
        }
        out += "guide families, with their keys' defaults:\n"
        for f in GuideFamily.allCases {
            let defaults = FitOptions(guide: f.rawValue, family: f)
            out += "  \(f.rawValue): " + f.allKeys.map { "\($0.rawValue) = \(defaults.text($0))" }.joined(separator: ", ") + "\n"
        }
        out += "fit options (guide-block keys, ppl fit flags, :set in ppl repl):\n"
        for k in FitOptions.Key.allCases {
            out += "  \(k.rawValue) (--\(k.flag)): \(k.help); \(k.expectedText); default \(k.defaultText)\n"
        }
        return out
    }

    public static func gradientCheck(_ r: GradientCheck) -> String {
        func f(_ x: Double) -> String { x.isFinite ? String(format: "%.2e", x) : "not finite" }
        var out = "gradient vs finite differences at \(r.points) points: max error \(f(r.gradientError))"
        out += r.gradientError <= GradientCheck.gradientTolerance ? " (ok)\n" : " (FAILED, tolerance 1e-6)\n"
        out += "Hessian-vector product vs finite differences: max error \(f(r.hessianVectorError))"
        out += r.hessianVectorError <= GradientCheck.hessianVectorTolerance ? " (ok)\n" : " (FAILED, tolerance 1e-4)\n"
        if r.nonFinite > 0 { out += "\(r.nonFinite) values were not finite\n" }
        return out
    }
}
