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
    /// `array[J] vector<lower=0>[K]`.
    public var typeText: String {
        guard let layout else { return Declaration.text(type, constraint, base) }
        let element = Declaration.text(layout.element, constraint, base)
        if arraySyntax { return "array[\(layout.dims.map(\.description).joined(separator: ", "))] \(element)" }
        return element + "[\(layout.dims.map(\.description).joined(separator: ", "))]"
    }

    private static func text(_ type: IRType, _ constraint: Constraint, _ base: BaseType) -> String {
        switch constraint {
        case .simplex, .ordered, .positiveOrdered: return "\(constraint)[\(type.shape.count)]"
        default: break
        }
        let c = constraint.description
        switch type.shape {
        case .scalar: return "\(type.elem.rawValue)\(c)"
        case .vector(let n): return type.elem == .int ? "int\(c)[\(n)]" : "vector\(c)[\(n)]"
        case .rowVector(let n): return "row_vector\(c)[\(n)]"
        case .matrix(let r, let k): return "matrix\(c)[\(r), \(k)]"
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

    /// Length of this param's unconstrained representation: a simplex of K has K - 1 free
    /// values, an array of simplexes K - 1 for each.
    public var unconstrainedSize: Size {
        guard constraint == .simplex else { return type.shape.count }
        if case .matrix(let r, let c) = type.shape { return r * (c - Size(1)) }
        return type.shape.count - Size(1)
    }
}

/// A checked `guide` block: its options, typed.
public struct GuideSpec: Sendable {
    public let options: FitOptions
    public let span: SourceSpan
    public var name: String { options.guide }
    public var family: GuideFamily { options.family }
}

/// A distribution known to the checker: from `stdlib/` or a user `dist` block.
public struct DistInfo: Sendable {
    public let def: DistDef
    public let discrete: Bool
    public var signature: String {
        let ps = def.params.map { "\($0.name.name): \(typeName($0.type))" }.joined(separator: ", ")
        return "\(def.name.name)(\(ps)) on \(typeName(def.support))"
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
    /// Size equalities that only the data can confirm.
    public let assumptions: [SizeAssumption]
    public let distributions: [String: DistInfo]
    /// The params and derived values that are arrays, by name.
    public let layouts: [String: ArrayLayout]

    public var unconstrainedDimension: Size {
        params.reduce(Size(0)) { $0 + $1.unconstrainedSize }
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
