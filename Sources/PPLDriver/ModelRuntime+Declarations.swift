import PPLEngine
import PPLIR
import PPLSema
import PPLSyntax

extension ModelRuntime {
    /// Declarations the data make impossible, located at the declaration: bounds whose
    /// lower exceeds the upper (`real<lower=a, upper=b>` with a > b), and a simplex or an
    /// ordered vector of no element (`simplex[K]` with K = 0), which has no value at all.
    static func checkDeclarations(_ model: CheckedModel, _ values: [String: Tensor]) throws(PPLError) {
        var ints: [String: Int] = [:]
        for (k, v) in values where v.count == 1 { ints[k] = Int(exactly: v.values[0]) }
        var errors: [Diagnostic] = []
        for d in model.data + model.params {
            if case .lowerUpper(let l, let u) = d.constraint {
                let n = max(1, count(l, values), count(u, values))
                for k in 0..<n {
                    guard let lv = bound(l, k, values), let uv = bound(u, k, values), lv > uv else { continue }
                    errors.append(.error("'\(d.name)' is \(d.typeText), but with these data its lower bound \(DataLoader.format(lv)) "
                                         + "is above its upper bound \(DataLoader.format(uv))" + (n > 1 ? " at element \(k + 1)" : ""),
                                         at: d.span))
                    break
                }
            }
            let kind: String
            switch d.constraint {
            case .simplex: kind = "a simplex"
            case .ordered, .positiveOrdered: kind = "an ordered vector"
            default: continue
            }
            if let last = d.componentDims.last, last.evaluation({ ints[$0] }) == .value(0) {
                errors.append(.error("'\(d.name)' is \(d.typeText), of no element with these data, but \(kind) has at least one",
                                     at: d.span))
            }
        }
        if !errors.isEmpty { throw .located(errors) }
    }

    /// The bound for element `k`: a constant, or a data value (a scalar, or its element k).
    /// Bounds computed from params are only known inside the density.
    private static func bound(_ b: BoundValue, _ k: Int, _ values: [String: Tensor]) -> Double? {
        switch b {
        case .constant(let c): return c
        case .named(let n), .computed(let n):
            guard let v = values[n]?.values else { return nil }
            return v.count == 1 ? v[0] : k < v.count ? v[k] : nil
        }
    }

    private static func count(_ b: BoundValue, _ values: [String: Tensor]) -> Int {
        switch b {
        case .constant: return 1
        case .named(let n), .computed(let n): return values[n]?.count ?? 1
        }
    }
}
