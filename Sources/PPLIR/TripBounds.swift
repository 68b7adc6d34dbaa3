/// Trip bounds of loops whose trip count is not a size of the data (`for m in 1:(i - 1)`
/// inside a loop over i, `for k in 1:K[g]`).
///
/// Differentiating a loop records its state at every iteration on a tape, one value with
/// one size for the whole program. For such a loop that size is the most iterations any
/// execution of it runs: a transformed-data value computed by a copy of the loops around it,
/// cut down to what their bounds need (bounds depend on data only, so the copy does), and
/// carrying the running maximum of hi - lo + 1. The loop carries the bound's name as its
/// `tripBound`.
public enum TripBounds {
    /// `instrs` with every loop that depends on `active` values and needs a bound annotated,
    /// and the instructions computing the bounds appended; `outputs` names the bounds
    /// (`trips.1`, ...), to be computed with the transformed data.
    public static func run(_ instrs: [Instr], types: [IRType], sizes: [Value: Size], active: Set<Value>)
        -> (instrs: [Instr], types: [IRType], outputs: [(String, Value)]) {
        var activeValues = active
        markActive(instrs, &activeValues)
        var paths: [[Int]] = []
        collect(instrs, prefix: [], known: SizeOf(sizes: sizes, body: instrs), active: activeValues, into: &paths)
        guard !paths.isEmpty else { return (instrs, types, []) }
        let b = Builder(types: types)
        var annotated = instrs
        var outputs: [(String, Value)] = []
        for path in paths {
            guard let bound = bound(of: path, in: instrs, b, active: activeValues) else { continue }
            let name = "trips.\(outputs.count + 1)"
            outputs.append((name, bound))
            annotate(&annotated, path: path, with: Size(symbol: name))
        }
        let (added, allTypes) = b.finish()
        return (annotated + added, allTypes, outputs)
    }

    /// Values that depend on `active` ones, through regions too.
    private static func markActive(_ instrs: [Instr], _ active: inout Set<Value>) {
        for instr in instrs {
            var v = instr.args.contains(where: active.contains)
            if !instr.regions.isEmpty {
                v = v || instr.regions.contains { !$0.freeValues.isDisjoint(with: active) }
                if v { for r in instr.regions { active.formUnion(r.params); markActive(r.instrs, &active) } }
            }
            if v { active.formUnion(instr.results) }
        }
    }

    /// Paths (instruction index, region index, instruction index, ...) to the active loops
    /// whose bounds are not sizes.
    private static func collect(_ instrs: [Instr], prefix: [Int], known: SizeOf, active: Set<Value>, into paths: inout [[Int]]) {
        for (k, instr) in instrs.enumerated() where !instr.regions.isEmpty {
            if instr.op == .loop, instr.tripBound == nil, known[instr.args[0]] == nil || known[instr.args[1]] == nil,
               instr.results.contains(where: active.contains) {
                paths.append(prefix + [k])
            }
            for (r, region) in instr.regions.enumerated() {
                collect(region.instrs, prefix: prefix + [k, r], known: known, active: active, into: &paths)
            }
        }
    }

    private static func annotate(_ instrs: inout [Instr], path: [Int], with bound: Size) {
        if path.count == 1 {
            instrs[path[0]].tripBound = bound
            return
        }
        annotate(&instrs[path[0]].regions[path[1]].instrs, path: Array(path.dropFirst(2)), with: bound)
    }

    /// Appends the computation of the bound of the loop at `path` and returns its value;
    /// nil if it would need an active value (a bound that depends on params).
    private static func bound(of path: [Int], in instrs: [Instr], _ b: Builder, active: Set<Value>) -> Value? {
        _ = b.beginBlock(params: [])
        var map: [Value: Value] = [:]
        let bound = instrumented(instrs[path[0]], path: Array(path.dropFirst()), running: Emitter(b).int(0), b, &map)
        let copy = b.endBlock(params: [], yields: [bound])
        var needed: Set<Value> = [bound]
        let kept = slice(copy.instrs, needed: &needed)
        guard needed.isDisjoint(with: active) else { return nil }
        b.appendInstrs(kept)
        // A value of its own (not one result of a loop), so that it is passed on as
        // transformed data rather than recomputed; never negative.
        return Emitter(b).bin(.fmax, bound, Emitter(b).int(0))
    }

    /// A copy of `instr` (at the top of `path`) with fresh values that also yields the
    /// running maximum of the trip count of the loop at the end of `path`, starting from
    /// `running`; returns the maximum. `map` takes the original values to the copies.
    private static func instrumented(_ instr: Instr, path: [Int], running: Value, _ b: Builder, _ map: inout [Value: Value]) -> Value {
        let e = Emitter(b)
        let types = b.types
        if path.isEmpty {
            b.copy([instr], types: types, map: &map)
            let lo = map[instr.args[0]] ?? instr.args[0], hi = map[instr.args[1]] ?? instr.args[1]
            return e.bin(.fmax, running, e.add(e.sub(hi, lo), e.int(1)))
        }
        let (r, at, inner) = (path[0], path[1], Array(path.dropFirst(2)))
        var regions: [Block] = []
        for (k, region) in instr.regions.enumerated() {
            let fresh = b.beginBlock(params: region.params.map { types[$0.id] } + (instr.op == .loop ? [.int] : []))
            for (old, new) in zip(region.params, fresh) { map[old] = new }
            let carried = instr.op == .loop ? fresh.last! : running
            var last = carried
            if k == r {
                b.copy(Array(region.instrs[..<at]), types: types, map: &map)
                last = instrumented(region.instrs[at], path: inner, running: carried, b, &map)
                b.copy(Array(region.instrs[(at + 1)...]), types: types, map: &map)
            } else {
                b.copy(region.instrs, types: types, map: &map)
            }
            regions.append(b.endBlock(params: fresh, yields: region.yields.map { map[$0] ?? $0 } + [last]))
        }
        let args = instr.args.map { map[$0] ?? $0 } + (instr.op == .loop ? [running] : [])
        let results = b.appendRegion(instr.op, args, regions: regions, resultTypes: instr.results.map { types[$0.id] } + [.int],
                                     tripBound: instr.tripBound)
        for (old, new) in zip(instr.results, results) { map[old] = new }
        return results.last!
    }

    /// The instructions of `instrs` that `needed` values need, each loop and branch keeping
    /// only the results that are needed (and the carried values those need). On return
    /// `needed` holds the values used from outside `instrs`.
    static func slice(_ instrs: [Instr], needed: inout Set<Value>) -> [Instr] {
        var kept: [Instr] = []
        for instr in instrs.reversed() {
            let positions = instr.results.indices.filter { needed.contains(instr.results[$0]) }
            if positions.isEmpty { continue }
            needed.subtract(instr.results)
            guard !instr.regions.isEmpty else {
                needed.formUnion(instr.args)
                kept.append(instr)
                continue
            }
            var copy = instr
            copy.results = positions.map { instr.results[$0] }
            if instr.op == .loop {
                let body = instr.regions[0]
                var carried = positions
                var inside: Set<Value> = []
                var instrsKept: [Instr] = []
                while true {
                    inside = Set(carried.map { body.yields[$0] })
                    instrsKept = slice(body.instrs, needed: &inside)
                    let more = body.params.indices.dropFirst().filter { inside.contains(body.params[$0]) }.map { $0 - 1 }
                    let next = Set(carried).union(more).sorted()
                    if next == carried { break }
                    carried = next
                }
                copy.results = carried.map { instr.results[$0] }
                copy.args = [instr.args[0], instr.args[1]] + carried.map { instr.args[2 + $0] }
                copy.regions = [Block(params: [body.params[0]] + carried.map { body.params[1 + $0] }, instrs: instrsKept,
                                      yields: carried.map { body.yields[$0] })]
                needed.formUnion(copy.args)
                needed.formUnion(inside.subtracting(body.params))
            } else {
                copy.regions = instr.regions.map { region in
                    var inside = Set(positions.map { region.yields[$0] })
                    let instrsKept = slice(region.instrs, needed: &inside)
                    needed.formUnion(inside.subtracting(region.params))
                    return Block(params: region.params, instrs: instrsKept, yields: positions.map { region.yields[$0] })
                }
                needed.formUnion(instr.args)
            }
            kept.append(copy)
        }
        return kept.reversed()
    }
}
