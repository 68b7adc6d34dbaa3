/// An SSA value. Ids are unique within a program; the printer renumbers them.
public struct Value: Hashable, Comparable, Sendable {
    public let id: Int
    public init(_ id: Int) { self.id = id }
    public static func < (a: Value, b: Value) -> Bool { a.id < b.id }
}

public struct Instr: Sendable {
    public var results: [Value]
    public var op: Op
    public var args: [Value]
    public var regions: [Block]
    /// For a gather or a scatter, which can fail at run time: the source it comes from.
    public var site: SourceSite?
    /// For a loop whose trip count is not a size of the data: a size (a transformed-data
    /// value) no execution of it exceeds, which the differentiator's tape needs.
    public var tripBound: Size?

    public var result: Value { results[0] }

    public init(results: [Value], op: Op, args: [Value], regions: [Block], site: SourceSite? = nil, tripBound: Size? = nil) {
        self.results = results
        self.op = op
        self.args = args
        self.regions = regions
        self.site = site
        self.tripBound = tripBound
    }
}

/// Where an instruction that can fail at run time comes from, for its message:
/// `model.ppl:12` and the indexed expression, `'y'`.
public struct SourceSite: Hashable, Sendable {
    public let location: String
    public let subject: String
    public init(location: String, subject: String) {
        self.location = location
        self.subject = subject
    }
}

/// A straight-line list of instructions; region ops nest blocks.
public struct Block: Sendable {
    public var params: [Value]
    public var instrs: [Instr]
    public var yields: [Value]

    public init(params: [Value] = [], instrs: [Instr] = [], yields: [Value] = []) {
        self.params = params
        self.instrs = instrs
        self.yields = yields
    }
}

/// A bound of a constrained type: a constant, or a value computed once from the data
/// (an output of the transformed-data program, named `NAME.lower` / `NAME.upper`).
public enum BoundValue: Hashable, Sendable, CustomStringConvertible {
    case constant(Double)
    case named(String)

    public var description: String {
        switch self {
        case .constant(let c): return formatNumber(c)
        case .named(let n): return n
        }
    }
}

/// The constraint of a declared variable; for a param it selects the bijector.
public enum Constraint: Hashable, Sendable, CustomStringConvertible {
    case none
    case lower(BoundValue)
    case upper(BoundValue)
    case lowerUpper(BoundValue, BoundValue)
    case simplex
    case ordered
    case positiveOrdered

    public var description: String {
        switch self {
        case .none: return ""
        case .lower(let l): return "<lower=\(l)>"
        case .upper(let u): return "<upper=\(u)>"
        case .lowerUpper(let l, let u): return "<lower=\(l), upper=\(u)>"
        case .simplex: return "simplex"
        case .ordered: return "ordered"
        case .positiveOrdered: return "positive_ordered"
        }
    }
}

public enum InputRole: String, Sendable { case data, tdata, param }

public struct Input: Sendable {
    public var name: String
    public var value: Value
    public var role: InputRole
    public var type: IRType
    public var constraint: Constraint

    public init(name: String, value: Value, role: InputRole, type: IRType, constraint: Constraint) {
        self.name = name
        self.value = value
        self.role = role
        self.type = type
        self.constraint = constraint
    }
}

/// A size equality the checker could not prove; verified when the data are loaded.
public struct SizeAssumption: Hashable, Sendable {
    public var lhs: Size
    public var rhs: Size
    public init(lhs: Size, rhs: Size) {
        self.lhs = lhs
        self.rhs = rhs
    }
}

/// An IR program: named inputs, a body, named outputs (the body's yields).
public struct Program: Sendable {
    public var name: String
    public var inputs: [Input]
    public var body: Block
    public var outputNames: [String]
    /// Types of all values, by id.
    public var types: [IRType]

    public init(name: String, inputs: [Input], body: Block, outputNames: [String], types: [IRType]) {
        self.name = name
        self.inputs = inputs
        self.body = body
        self.outputNames = outputNames
        self.types = types
    }

    public func type(of v: Value) -> IRType { types[v.id] }

    public var outputs: [(name: String, value: Value)] {
        Array(zip(outputNames, body.yields)).map { ($0.0, $0.1) }
    }
}

func formatNumber(_ x: Double) -> String {
    if x.isNaN { return "nan" }
    if x.isInfinite { return x > 0 ? "inf" : "-inf" }
    if x == x.rounded(), abs(x) < 1e15 { return String(Int(x)) }
    return "\(x)"
}
