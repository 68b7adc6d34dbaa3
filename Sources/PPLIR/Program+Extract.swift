extension Block {
    /// Values used in this block (and nested blocks) but defined outside it.
    public var freeValues: Set<Value> {
        var defined = Set(params)
        var used = Set<Value>()
        for instr in instrs {
            for a in instr.args where !defined.contains(a) { used.insert(a) }
            for r in instr.regions { used.formUnion(r.freeValues.subtracting(defined)) }
            defined.formUnion(instr.results)
        }
        for y in yields where !defined.contains(y) { used.insert(y) }
        return used
    }

    /// The block without the instructions its yields do not need, in nested blocks too
    /// (instructions have no effects, so what nothing reads can go).
    public func pruned() -> Block {
        var needed = Set(yields)
        var kept: [Instr] = []
        for var instr in instrs.reversed() where instr.results.contains(where: needed.contains) {
            instr.regions = instr.regions.map { $0.pruned() }
            needed.formUnion(instr.args)
            for r in instr.regions { needed.formUnion(r.freeValues) }
            kept.append(instr)
        }
        return Block(params: params, instrs: kept.reversed(), yields: yields)
    }
}

extension Program {
    /// The program computing `outputs` from `inputs`, keeping only the top-level
    /// instructions they need. A needed value that is itself an input (for instance a
    /// transformed-data value handed to the log density) is not recomputed.
    public static func extract(name: String, from instrs: [Instr], types: [IRType], inputs: [Input],
                               outputs: [(String, Value)]) -> Program {
        let inputValues = Set(inputs.map(\.value))
        var needed = Set(outputs.map(\.1))
        var kept: [Instr] = []
        for var instr in instrs.reversed() {
            guard instr.results.contains(where: needed.contains) else { continue }
            if instr.results.allSatisfy(inputValues.contains) { continue }
            instr.regions = instr.regions.map { $0.pruned() }
            kept.append(instr)
            needed.formUnion(instr.args)
            for r in instr.regions { needed.formUnion(r.freeValues) }
        }
        return Program(name: name, inputs: inputs, body: Block(instrs: kept.reversed(), yields: outputs.map(\.1)),
                       outputNames: outputs.map(\.0), types: types)
    }
}

extension Program {
    /// The names of the inputs the outputs `outputs` are computed from (all of them, for
    /// every output, when `outputs` is nil).
    public func inputsRead(by outputs: [String]? = nil) -> Set<String> {
        let wanted = outputs.map(Set.init) ?? Set(outputNames)
        var needed = Set(zip(outputNames, body.yields).filter { wanted.contains($0.0) }.map(\.1))
        for instr in body.instrs.reversed() where instr.results.contains(where: needed.contains) {
            needed.formUnion(instr.args)
            for r in instr.regions { needed.formUnion(r.freeValues) }
        }
        return Set(inputs.filter { needed.contains($0.value) }.map(\.name))
    }
}
