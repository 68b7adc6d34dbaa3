extension Block {
    /// Forward dependence: adds to `marked` every value of this block, and of the blocks
    /// nested in it, that is computed from a marked value. The results of an instruction
    /// depend on its arguments, unless `passes` says its op does not pass dependence on (the
    /// differentiator's non-differentiable ops). A loop's carried values depend on their
    /// starting values or on any iteration's update, to a fixed point, and its results on
    /// the carried values; a branch's results depend on its condition, on the values its
    /// arms read from outside and on what its arms yield.
    ///
    /// With `wholeInstructions`, a loop or branch with any result marked has all of them
    /// marked: the engine runs one step for all of a region's results, so a result that
    /// depends on nothing marked is still produced when the others are, and a value
    /// computed from it must not be computed once, before the step has run (a reverse loop
    /// carries a constant adjoint beside one that depends on θ).
    public func markDependents(_ marked: inout Set<Value>, passes: (Op) -> Bool = { _ in true },
                               wholeInstructions: Bool = false) {
        for instr in instrs {
            if instr.regions.isEmpty {
                if passes(instr.op), instr.args.contains(where: marked.contains) { marked.formUnion(instr.results) }
                continue
            }
            if instr.op == .loop {
                let body = instr.regions[0]
                let carried = body.params.dropFirst()
                for (p, start) in zip(carried, instr.args.dropFirst(2)) where marked.contains(start) { marked.insert(p) }
                var changed = true
                while changed {
                    body.markDependents(&marked, passes: passes, wholeInstructions: wholeInstructions)
                    changed = false
                    for (p, y) in zip(carried, body.yields) where marked.contains(y) && !marked.contains(p) {
                        marked.insert(p)
                        changed = true
                    }
                }
                for (r, p) in zip(instr.results, carried) where marked.contains(p) { marked.insert(r) }
                if wholeInstructions, instr.results.contains(where: marked.contains) { marked.formUnion(instr.results) }
                continue
            }
            let reads = instr.args.contains(where: marked.contains)
                || instr.regions.contains { !$0.freeValues.isDisjoint(with: marked) }
            for r in instr.regions { r.markDependents(&marked, passes: passes, wholeInstructions: wholeInstructions) }
            for (k, r) in instr.results.enumerated() where reads || instr.regions.contains(where: { marked.contains($0.yields[k]) }) {
                marked.insert(r)
            }
            if wholeInstructions, instr.results.contains(where: marked.contains) { marked.formUnion(instr.results) }
        }
    }
}
