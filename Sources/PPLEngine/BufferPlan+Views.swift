import PPLIR

extension BufferPlan {
    static let updates: [Op] = [.set, .scatterAdd, .set2, .scatterAdd2]

    /// Values that use their first argument's buffer instead of copying it:
    /// - views: `reshape`, `stopGradient`, the transpose of a vector, and `at` of one copy
    ///   with a constant contiguous range (a segment of φ); they run no step at all;
    /// - in-place updates: `set`/`scatter_add` into an argument computed on every
    ///   evaluation in the same block whose only use is this instruction and whose buffer
    ///   no other value sees. A gradient assembled by a chain of scatter-adds then costs
    ///   the segments, not a copy of the whole vector at every link.
    /// Block parameters (loop-carried values) are never aliased: the loop overwrites them,
    /// except by an update of a carried value yielded as its own next value.
    static func views(_ program: Program, _ index: DefUseIndex, recomputed: [Bool], single: [Bool],
                      sizes: [String: Int]) -> [Alias?] {
        var alias = [Alias?](repeating: nil, count: program.types.count)
        // Whether no value other than this one reads its buffer from now on.
        var exclusive = [Bool](repeating: false, count: program.types.count)
        let inputs = Set(program.inputs.map(\.value))
        func uses(_ v: Value) -> Int { index.uses(of: v).count }
        for (k, instr) in index.instrs.enumerated() {
            defer {
                for r in instr.results where alias[r.id] == nil { exclusive[r.id] = true }
            }
            guard let x = instr.args.first, let r = instr.results.first, single[x.id] == single[r.id] else { continue }
            let block = index.blockOf[k]
            // A carried value updated in place and yielded as its own next value: the
            // loop's tapes and accumulators, which would otherwise be copied whole at
            // every iteration.
            if updates.contains(instr.op), let owner = index.owner[block], index.instrs[owner.instr].op == .loop,
               let p = index.blocks[block].params.firstIndex(of: x), p > 0, index.blocks[block].yields[p - 1] == r,
               uses(x) == 1, uses(r) == 1 {
                alias[r.id] = Alias(root: x, offset: 0)
                exclusive[r.id] = true
                continue
            }
            let local = index.block(of: x) == block && index.definingInstr(of: x) != nil
            guard local || inputs.contains(x) else { continue }
            let root = alias[x.id] ?? Alias(root: x, offset: 0)
            switch instr.op {
            case .reshape, .stopGradient:
                alias[r.id] = root
                exclusive[r.id] = exclusive[x.id] && uses(x) == 1
            case .transpose where program.types[x.id].shape.rank == 1:
                // A vector and its transpose have the same elements in the same order.
                alias[r.id] = root
                exclusive[r.id] = exclusive[x.id] && uses(x) == 1
            case .at:
                guard single[x.id], case .vector = program.types[x.id].shape,
                      let range = index.definition(of: instr.args[1]), range.op == .range,
                      let lo = constantValue(range.args[0], index, sizes), lo >= 1 else { continue }
                alias[r.id] = Alias(root: root.root, offset: root.offset + Int(lo) - 1)
            case .set, .scatterAdd, .set2, .scatterAdd2:
                guard local, exclusive[x.id], uses(x) == 1, recomputed[x.id] else { continue }
                alias[r.id] = root
                exclusive[r.id] = true
            default: continue
            }
        }
        return alias
    }
}
