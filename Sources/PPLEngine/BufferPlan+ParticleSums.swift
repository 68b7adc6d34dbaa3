import PPLIR

extension BufferPlan {
    /// The values that can be computed as their sum over the particles: top-level values
    /// whose every use is linear and leads only to summed outputs, and whose own operation
    /// gives the sum of the results from the sums of its linear arguments (the others not
    /// varying). Where the chain starts from per-particle values it is an outer product,
    /// adj ⊗ x, whose sum over particles is one matrix-matrix product (the gradient of a
    /// weight matrix summed over the batch). A linear argument that is not itself a sum
    /// (it has other uses per particle) is summed over the particles where it is used; one
    /// that does not vary must be a zero fill (a shared value would have to count S times).
    static func reducible(_ program: Program, _ index: DefUseIndex, varies: [Bool], summed: Set<Int>) -> Set<Value> {
        let outputs = Set(summed.map { program.body.yields[$0] })
        /// The top-level instructions reading `v` and where; nil if a region reads it or it
        /// is an output not asked for as a sum.
        func readers(_ v: Value) -> [(instr: Instr, position: Int)]? {
            var found: [(instr: Instr, position: Int)] = []
            for use in index.uses(of: v) {
                guard use.block == 0 else { return nil }
                if let k = use.instr {
                    found.append((index.instrs[k], use.position))
                } else if !summed.contains(use.position) {
                    return nil
                }
            }
            return found
        }
        func zero(_ v: Value) -> Bool {
            switch index.definition(of: v)?.op {
            case .const(let x)?: return x == 0
            case .fill?: return zero(index.definition(of: v)!.args[0])
            default: return false
            }
        }
        func linear(_ instr: Instr) -> [Int]? { linearPositions(instr, varies: varies) }
        var candidates = Set(program.body.instrs.filter { linear($0) != nil && $0.results.count == 1 && varies[$0.results[0].id] }
            .map { $0.results[0] })
        // The greatest set closed under the two conditions. A removal can only break the
        // condition on the values the removed one reads, so only those are looked at again:
        // linear in the program, where sweeping all of them until none changed was
        // quadratic on a long chain of sums (a model of many 'target +=' lines).
        var work = Array(candidates)
        while let r = work.popLast() {
            guard candidates.contains(r) else { continue }
            let instr = index.definition(of: r)!
            let positions = linear(instr)!
            let produces = instr.args.indices.allSatisfy { p in
                let a = instr.args[p]
                // A per-particle value in a linear position is summed first.
                if positions.contains(p) { return varies[a.id] || zero(a) }
                // Per-particle factors only in an outer product.
                return !varies[a.id] || (instr.op == .matmul && positions.isEmpty)
            }
            let consumed = readers(r).map { uses in
                (outputs.contains(r) || !uses.isEmpty) && uses.allSatisfy { u in
                    u.instr.results.count == 1 && candidates.contains(u.instr.results[0]) && linear(u.instr)!.contains(u.position)
                }
            } ?? false
            if !produces || !consumed {
                candidates.remove(r)
                work += instr.args.filter { candidates.contains($0) }
            }
        }
        return candidates
    }

    /// The argument positions in which an operation is linear, so that it gives the sum of
    /// its results from the sums of those arguments; nil if it cannot. An outer product of
    /// two per-particle values has none: it is summed as a whole.
    static func linearPositions(_ instr: Instr, varies: [Bool]) -> [Int]? {
        let v = instr.args.map { varies[$0.id] }
        switch instr.op {
        case .binary(.add), .binary(.sub), .concat: return [0, 1]
        case .unary(.neg), .reshape, .stopGradient, .transpose, .sum: return [0]
        case .binary(.mul): return v[0] && v[1] ? nil : [v[0] ? 0 : 1]
        case .binary(.div): return v[1] ? nil : [0]
        case .matmul: return v[0] && v[1] ? [] : [v[0] ? 0 : 1]
        case .scatterAdd: return [0, 2]
        case .scatterAdd2: return [0, 3]
        default: return nil
        }
    }
}
