extension Builder {
    /// Copies a block's instructions into the current block with fresh values, the block's
    /// params and free values replaced as `mapping` says; returns the copies of its yields.
    /// `types` are the types of the values of the program the block comes from.
    public func inline(_ block: Block, types: [IRType], mapping: [Value: Value]) -> [Value] {
        clone(block, types: types, mapping: mapping).yields
    }

    /// Like `inline`, also returning the copied instructions.
    public func clone(_ block: Block, types: [IRType], mapping: [Value: Value]) -> (instrs: [Instr], yields: [Value]) {
        var map = mapping
        let start = instrCount
        for instr in block.instrs { copy(instr, types: types, map: &map) }
        return (instrs(from: start), block.yields.map { map[$0] ?? $0 })
    }

    /// Copies instructions into the current block with fresh values, extending `map` from
    /// the originals to the copies.
    public func copy(_ instrs: [Instr], types: [IRType], map: inout [Value: Value]) {
        for instr in instrs { copy(instr, types: types, map: &map) }
    }

    private func copy(_ instr: Instr, types: [IRType], map: inout [Value: Value]) {
        let args = instr.args.map { map[$0] ?? $0 }
        if instr.regions.isEmpty {
            let v = append(instr.op, args, type: types[instr.result.id], site: instr.site)
            map[instr.result] = v
            return
        }
        var regions: [Block] = []
        for r in instr.regions {
            let params = beginBlock(params: r.params.map { types[$0.id] })
            var inner = map
            for (old, new) in zip(r.params, params) { inner[old] = new }
            for i in r.instrs { copy(i, types: types, map: &inner) }
            regions.append(endBlock(params: params, yields: r.yields.map { inner[$0] ?? $0 }))
        }
        let results = appendRegion(instr.op, args, regions: regions, resultTypes: instr.results.map { types[$0.id] },
                                   tripBound: instr.tripBound)
        for (old, new) in zip(instr.results, results) { map[old] = new }
    }
}
