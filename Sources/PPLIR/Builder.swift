/// Appends instructions to a program under construction, inferring result types.
public final class Builder {
    public private(set) var types: [IRType] = []
    private var blocks: [[Instr]] = [[]]
    /// Constants already defined in each open block, so each is defined once per block.
    private var constants: [[IRType: [UInt64: Value]]] = [[:]]
    public var assumptions: [SizeAssumption] = []
    /// The source of the gathers and scatters appended while it is set.
    public var site: SourceSite?

    public init() {}

    /// A builder that continues a program: its values keep their ids and types.
    public init(types: [IRType]) { self.types = types }

    /// Number of instructions in the block being built; with `instrs(from:)`, the
    /// instructions appended since.
    public var instrCount: Int { blocks[blocks.count - 1].count }
    public func instrs(from start: Int) -> [Instr] { Array(blocks[blocks.count - 1][start...]) }

    private func fresh(_ t: IRType) -> Value {
        types.append(t)
        return Value(types.count - 1)
    }

    public func type(of v: Value) -> IRType { types[v.id] }

    /// Appends an op whose type follows from its arguments.
    @discardableResult
    public func emit(_ op: Op, _ args: [Value]) throws(ShapeError) -> Value {
        var assume = assumptions
        let t = try ShapeRules.resultType(op, args.map { types[$0.id] }, assume: &assume)
        assumptions = assume
        return append(op, args, type: t)
    }

    /// Appends an op with an explicit result type (constants, inputs, sizes, fill, pack, range).
    public func append(_ op: Op, _ args: [Value], type: IRType, site explicit: SourceSite? = nil) -> Value {
        let v = fresh(type)
        let site = explicit ?? (op.indexes ? self.site : nil)
        blocks[blocks.count - 1].append(Instr(results: [v], op: op, args: args, regions: [], site: site))
        return v
    }

    public func constant(_ x: Double, _ elem: Elem = .real) -> Value {
        let t = IRType(elem, .scalar)
        if let v = constants[constants.count - 1][t]?[x.bitPattern] { return v }
        let v = append(.const(x), [], type: t)
        constants[constants.count - 1][t, default: [:]][x.bitPattern] = v
        return v
    }

    /// A value defined by no instruction: a program input.
    public func inputValue(_ type: IRType) -> Value { fresh(type) }

    public func assume(_ a: Size, equals b: Size) throws(ShapeError) {
        try ShapeRules.unify(a, b, &assumptions)
    }

    /// Opens a nested block; its params are fresh values of the given types.
    public func beginBlock(params: [IRType]) -> [Value] {
        blocks.append([])
        constants.append(constants.last ?? [:])
        return params.map(fresh)
    }

    public func endBlock(params: [Value], yields: [Value]) -> Block {
        let instrs = blocks.removeLast()
        constants.removeLast()
        return Block(params: params, instrs: instrs, yields: yields)
    }

    /// Drops a block opened by `beginBlock` (a body checked and thrown away, or one whose
    /// lowering failed).
    public func abandonBlock() {
        blocks.removeLast()
        constants.removeLast()
    }

    /// Appends a region op; its results have the given types.
    public func appendRegion(_ op: Op, _ args: [Value], regions: [Block], resultTypes: [IRType], tripBound: Size? = nil) -> [Value] {
        let rs = resultTypes.map(fresh)
        blocks[blocks.count - 1].append(Instr(results: rs, op: op, args: args, regions: regions, tripBound: tripBound))
        return rs
    }

    /// Appends instructions made elsewhere, keeping their values (a pass rebuilding a
    /// program, a program continued).
    public func appendInstrs(_ instrs: [Instr]) {
        blocks[blocks.count - 1].append(contentsOf: instrs)
    }

    /// The whole top-level block, for turning into programs.
    public func finish() -> (instrs: [Instr], types: [IRType]) {
        precondition(blocks.count == 1, "unbalanced blocks")
        return (blocks[0], types)
    }
}
