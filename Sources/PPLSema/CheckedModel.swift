import PPLIR
import PPLSyntax

/// A `data` or `param` declaration after checking.
public struct Declaration: Sendable {
    public let name: String
    /// The declared base type (`simplex`, `int`, ...), for data validation and summaries.
    public let base: BaseType
    public let type: IRType
    public let constraint: Constraint
    public let span: SourceSpan
    /// For an array: its dimensions and element type (`type` is how the IR holds it).
    public let layout: ArrayLayout?
    /// Written `array[...] T` rather than in an old spelling (`int[N]`).
    public let arraySyntax: Bool
    /// The source text of the bounds computed from params (`beta1.upper` → `1 - alpha1`), for
    /// summaries.
    public var computedBoundText: [String: String] = [:]

    public init(name: String, base: BaseType, type: IRType, constraint: Constraint, span: SourceSpan,
                layout: ArrayLayout? = nil, arraySyntax: Bool = false) {
        self.name = name
        self.base = base
        self.type = type
        self.constraint = constraint
        self.span = span
        self.layout = layout
        self.arraySyntax = arraySyntax
    }

    /// The declaration as written, with sizes: `real<lower=0>`, `simplex[K]`, `int<lower=1, upper=J>[N]`,
    /// `cholesky_factor_corr[K]`, `array[J] vector<lower=0>[K]`.
    public var typeText: String {
        guard let layout else { return text(type) }
        let element = text(layout.element)
        if arraySyntax { return "array[\(layout.dims.map(\.description).joined(separator: ", "))] \(element)" }
        return element + "[\(layout.dims.map(\.description).joined(separator: ", "))]"
    }

    /// A value of `type` with this declaration's constraint, as written.
    private func text(_ type: IRType) -> String {
        let base: String
        switch type.shape {
        case .scalar: base = type.elem.rawValue
        case .vector(let n): base = type.elem == .int ? "int[\(n)]" : "vector[\(n)]"
        case .rowVector(let n): base = "row_vector[\(n)]"
        case .matrix(let r, let k): base = "matrix[\(r), \(k)]"
        }
        return constraint.typeText(type, base: base) { b in
            if case .computed(let n) = b, let text = computedBoundText[n] { return text }
            return b.description
        }
    }

    /// Every dimension of a component, outermost first: [] for a scalar, [N] for a vector,
    /// [R, C] for a matrix, an array's dimensions and then its element's.
    public var componentDims: [Size] {
        if let layout { return layout.componentDims }
        switch type.shape {
        case .scalar: return []
        case .vector(let n), .rowVector(let n): return [n]
        case .matrix(let r, let c): return [r, c]
        }
    }

    /// Length of this param's unconstrained representation.
    public var unconstrainedSize: Size { constraint.unconstrainedSize(of: type) }
}

/// A value of the log density's program that its target adds, and the statement adding it.
public struct DensityTerm: Sendable {
    public let value: Value
    public let span: SourceSpan
}

/// A checked `guide` block: its options, typed.
public struct GuideSpec: Sendable {
    public let options: FitOptions
    public let span: SourceSpan
    public var name: String { options.guide }
    public var family: GuideFamily { options.family }
}

/// What a call of a distribution computes, per element: `d_lpdf` / `d_lpmf`, `d_lcdf`, `d_lccdf`.
public enum DistFunctionKind: String, Sendable { case logpdf, lcdf, lccdf }

/// A distribution known to the checker: from `stdlib/` or a user `dist` block.
public struct DistInfo: Sendable {
    public let def: DistDef
    public let discrete: Bool
    public var signature: String {
        let ps = def.params.map { "\($0.name.name): \(typeName($0.type))" }.joined(separator: ", ")
        return "\(def.name.name)(\(ps)) on \(typeName(def.support))"
    }

    /// Whether it has a cdf: its block defines lcdf or lccdf (the other is derived).
    public var hasCdf: Bool { def.lcdf != nil || def.lccdf != nil }

    /// The functions it defines, as called: `normal_lpdf`, `normal_lcdf`, `normal_lccdf`, `normal_cdf`.
    public var functionNames: [String] {
        let n = def.name.name
        return [n + (discrete ? "_lpmf" : "_lpdf")] + (hasCdf ? [n + "_lcdf", n + "_lccdf", n + "_cdf"] : [])
    }
}

func typeName(_ t: TypeExpr) -> String {
    let dims = String(repeating: ",", count: max(0, t.arrayRank - 1))
    if t.arraySyntax { return "array[\(dims)] \(t.base.rawValue)" }
    return t.base.rawValue + (t.isArray ? "[\(dims)]" : "")
}

/// Everything the later stages need from a model.
public struct CheckedModel: Sendable {
    public let data: [Declaration]
    public let params: [Declaration]
    public let guides: [GuideSpec]
    /// Transformed data: data-only top-level `let`s and data-dependent bounds.
    public let transformedData: Program
    /// The log density of the constrained params (no Jacobian), output `target`.
    public let logDensity: Program
    /// Param-dependent top-level `let`s, reported with the posterior.
    public let derived: Program
    /// Bounds, offsets and multipliers of params that depend on params (`upper = 1 - alpha1`),
    /// outputs named `NAME.upper` (`BoundValue.computed`): computed inside the density from
    /// the params declared before, where their Jacobian is added.
    public let paramBounds: Program
    /// The `let`s of the `generate` block, computed once per posterior draw from the data, the
    /// params and the draw's key (input `draw.key`, which seeds its random draws).
    public let generated: Program
    /// Size equalities that only the data can confirm.
    public let assumptions: [SizeAssumption]
    public let distributions: [String: DistInfo]
    /// The params, derived and generated values that are arrays, by name.
    public let layouts: [String: ArrayLayout]
    /// The terms `logDensity`'s target adds up, each with the top-level statement it comes
    /// from, for messages about a term (`MinibatchedDensity`).
    public let densityTerms: [DensityTerm]

    /// The continuous params' unconstrained coordinates, which a guide's family draws.
    public var unconstrainedDimension: Size {
        params.filter { $0.type.elem != .int }.reduce(Size(0)) { $0 + $1.unconstrainedSize }
    }

    /// The discrete params' values (`int<lower=a, upper=b>` params), which their categorical
    /// guide draws.
    public var discreteCount: Size {
        params.filter { $0.type.elem == .int }.reduce(Size(0)) { $0 + $1.type.shape.count }
    }
}

/// A type without its sizes (`vector`, `int[]`), for messages about signatures.
func kindName(_ t: IRType) -> String {
    switch (t.elem, t.shape) {
    case (.int, .scalar): return "int"
    case (.real, .scalar): return "real"
    case (.int, .vector): return "int[]"
    case (.real, .vector): return "vector"
    case (_, .rowVector): return "row_vector"
    case (_, .matrix): return "matrix"
    }
}
