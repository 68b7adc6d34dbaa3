import PPLIR

extension BufferPlan {
    /// Vectors assembled from disjoint pieces: a chain of scatter-adds at constant
    /// positions into zeros (a gradient collected from its segments). Adding a piece to
    /// zeros is writing it, so the zeros are never written again (the arena starts zeroed
    /// and no piece touches the rest: their fill runs no step) and each link either
    /// - `placed`: the piece is computed directly in its place in the result's buffer and
    ///   the link runs no step. The piece must be the buffer of its own top-level
    ///   instruction (read through views at most), recomputed on every evaluation, or a
    ///   vector assembled the same way (which moves with it); or
    /// - `assigned`: the piece is copied into its place.
    /// The chain is taken whole or not at all, and nothing may update the result in place
    /// afterwards. Returns what becomes of each link and of the zeros; the links and the
    /// placed pieces become views of the zeros.
    static func assembly(_ program: Program, _ index: DefUseIndex, aliases alias: inout [Alias?], recomputed: [Bool],
                         single: [Bool], counts: [Int], sizes: [String: Int]) -> [Value: Link] {
        let yielded = Set(program.body.yields)
        func readers(_ v: Value) -> [Instr] { index.topLevelReaders(of: v).map { index.instrs[$0] } }
        func constant(_ v: Value) -> Double? { constantValue(v, index, sizes) }
        /// The 0-based first position and length a constant index covers.
        func segment(_ i: Value) -> (start: Int, count: Int)? {
            if let c = constant(i) { return (Int(c) - 1, 1) }
            guard let r = index.definition(of: i), r.op == .range, let lo = constant(r.args[0]), let hi = constant(r.args[1]),
                  lo >= 1, hi >= lo else { return nil }
            return (Int(lo) - 1, Int(hi - lo) + 1)
        }
        let viewOps: [Op] = [.reshape, .stopGradient, .transpose, .at]
        var plan: [Value: Link] = [:]
        for root in program.body.instrs where root.results.count == 1 {
            let zeros = root.results[0]
            guard case .fill = root.op, constant(root.args[0]) == 0, case .vector = program.types[zeros.id].shape
            else { continue }
            let length = counts[zeros.id]
            // Follow the chain of single-use scatter-adds.
            var links: [Instr] = []
            var current = zeros
            while !yielded.contains(current), case let next = readers(current), next.count == 1, next[0].op == .scatterAdd,
                  next[0].args[0] == current {
                links.append(next[0])
                current = next[0].results[0]
            }
            guard !links.isEmpty, !readers(current).contains(where: { updates.contains($0.op) && $0.args[0] == current })
            else { continue }
            var covered = [Bool](repeating: false, count: length)
            var segments: [(start: Int, count: Int)] = []
            for link in links {
                guard let seg = segment(link.args[1]), seg.start + seg.count <= length,
                      !covered[seg.start..<(seg.start + seg.count)].contains(true), counts[link.args[2].id] == seg.count,
                      single[link.args[2].id] == single[zeros.id], single[link.results[0].id] == single[zeros.id] else { break }
                for k in seg.start..<(seg.start + seg.count) { covered[k] = true }
                segments.append(seg)
            }
            guard segments.count == links.count else { continue }
            var placements: [(owner: Value, offset: Int)] = []
            for (link, seg) in zip(links, segments) {
                alias[link.results[0].id] = Alias(root: zeros, offset: 0)
                let piece = link.args[2]
                // The buffer the piece is read from: its own, or the one it is a whole view of.
                let owner = alias[piece.id].map(\.root) ?? piece
                var placeable = false
                if alias[piece.id]?.offset ?? 0 == 0, index.isTopLevelResult(owner), let made = index.definition(of: owner),
                   made.regions.isEmpty, recomputed[owner.id] || plan[owner] == .zeros, single[owner.id] == single[zeros.id],
                   counts[owner.id] == seg.count, !updates.contains(made.op), !viewOps.contains(made.op),
                   !placements.contains(where: { $0.owner == owner }) {
                    // Whatever lives in the owner's buffer must only read it, unless the
                    // owner is itself assembled from pieces (which move with it).
                    placeable = plan[owner] == .zeros || program.types.indices.allSatisfy { id in
                        alias[id]?.root != owner || index.definition(of: Value(id)).map { viewOps.contains($0.op) } == true
                    }
                }
                if placeable { placements.append((owner, seg.start)) }
                plan[link.results[0]] = placeable ? .placed : .assigned
            }
            for (owner, offset) in placements {
                for id in program.types.indices where alias[id]?.root == owner {
                    alias[id] = Alias(root: zeros, offset: offset + alias[id]!.offset)
                }
                alias[owner.id] = Alias(root: zeros, offset: offset)
            }
            plan[zeros] = .zeros
        }
        return plan
    }
}
