/// Loop vectorisation: a `loop` whose iterations are independent becomes vector operations
/// over all its iterations at once.
///
/// - the index becomes `range(lo, hi)`, and every value of the body that depends on it a
///   vector with one element per iteration: elementwise ops act on the vectors, `at(x, i)`
///   becomes a gather `at(x, range)`, or `x` itself where i runs over all of x;
/// - a carried accumulator `acc + f(i) + g(i)` becomes `acc + sum(f) + sum(g)` (`f * n`,
///   n the trip count, for a term that does not depend on i);
/// - a carried vector only written as `set(h, i, v(i))` becomes `set(h, range, v)`.
///
/// A loop stays a loop when an iteration may read what another wrote (a carried value used
/// in any other way, as in `h[t] = f(h[t-1])`), when its body holds a region (a nested loop
/// or branch; loops inside it are vectorised on their own), when a value that depends on
/// the index is not a scalar per iteration, when the trip count is not a size known from
/// the data, or when the range is empty for all data.
///
/// Where an accumulator that starts from zero feeds a sum `x + acc`, its terms are added
/// to x one by one, `(x + sum(f)) + sum(g)`: the order in which the statements of the
/// loop added them.
public enum Vectorize {
    /// The program with its loops vectorised; its int inputs name the sizes.
    public static func run(_ p: Program) -> Program {
        var sizes: [Value: Size] = [:]
        for i in p.inputs where i.type == .int { sizes[i.value] = Size(symbol: i.name) }
        var assumptions: [SizeAssumption] = []
        let (body, types) = run(p.body, types: p.types, sizes: sizes, assumptions: &assumptions)
        return Program(name: p.name, inputs: p.inputs, body: body.pruned(), outputNames: p.outputNames, types: types)
    }

    /// A block with its loops vectorised (its yields are carried over to the new values).
    /// `sizes` gives the symbolic size of the int values sizes are written in (int inputs,
    /// named lets); `assumptions` are the size equalities the data are checked against,
    /// which the vector operations may rely on (and extend with their mirror images).
    public static func run(_ block: Block, types: [IRType], sizes: [Value: Size],
                           assumptions: inout [SizeAssumption]) -> (block: Block, types: [IRType]) {
        let v = LoopVectorizer(types: types, sizes: sizes, assumptions: assumptions)
        v.block(block.instrs)
        let yields = block.yields.map { v.map[$0] ?? $0 }
        let (instrs, allTypes) = v.b.finish()
        assumptions = v.assumptions
        return (Block(params: block.params, instrs: instrs, yields: yields), allTypes)
    }
}

/// How one loop is vectorised, decided before anything is emitted.
struct LoopPlan {
    enum Carried {
        /// Passed through unchanged: the result is the initial value.
        case unchanged
        /// `acc + t1 + t2 + ...`: the terms, in order.
        case sum([Value])
        /// `set(set(h, i, a), i, b)...`: written only.
        case writes
    }

    let lo: Size
    let count: Size
    let carried: [Carried]
    /// The adds and sets that carry values from one iteration to the next.
    let chain: Set<Value>
    /// Values of the body that depend on the index (and the index).
    let varying: Set<Value>
    /// Their types as vectors over the iterations.
    let types: [Value: IRType]
    /// `at(x, i)` where i runs over all of x: x.
    let aliases: [Value: Value]
}

final class LoopVectorizer {
    let b: Builder
    var map: [Value: Value] = [:]
    var assumptions: [SizeAssumption]
    private var sizes: [Value: Size]
    private var defs: [Value: Instr] = [:]
    /// Vectorised accumulators that start from zero: their summed terms, to add one by one
    /// to the sum they feed.
    private var accumulated: [Value: [Value]] = [:]

    init(types: [IRType], sizes: [Value: Size], assumptions: [SizeAssumption]) {
        b = Builder(types: types)
        self.sizes = sizes
        self.assumptions = assumptions
    }

    private func type(_ v: Value) -> IRType { b.type(of: v) }

    func block(_ instrs: [Instr]) {
        for instr in instrs { visit(instr) }
    }

    private func visit(_ original: Instr) {
        var instr = original
        instr.args = instr.args.map { map[$0] ?? $0 }
        if instr.op == .loop, let plan = plan(instr) {
            vectorize(instr, plan)
            return
        }
        if instr.op == .binary(.add), let terms = accumulated[instr.args[1]] {
            let e = Emitter(b)
            map[instr.result] = terms.reduce(instr.args[0]) { e.add($0, $1) }
            return
        }
        instr.regions = instr.regions.map { region in
            _ = b.beginBlock(params: [])
            block(region.instrs)
            return b.endBlock(params: region.params, yields: region.yields.map { map[$0] ?? $0 })
        }
        copy(instr)
    }

    /// Appends an instruction with its own result values.
    private func copy(_ instr: Instr) {
        b.appendInstrs([instr])
        if instr.results.count == 1 { defs[instr.result] = instr }
    }

    // MARK: - Sizes

    /// The symbolic value of an int scalar, when it is built from sizes.
    private func size(of v: Value) -> Size? {
        if let s = sizes[v] { return s }
        guard type(v) == .int, let d = defs[v] else { return nil }
        switch d.op {
        case .const(let x): return Int(exactly: x).map { Size($0) }
        case .size(let s): return s
        case .unary(.neg): return size(of: d.args[0]).map { Size(0) - $0 }
        case .binary(let f) where f == .add || f == .sub || f == .mul:
            guard let x = size(of: d.args[0]), let y = size(of: d.args[1]) else { return nil }
            return f == .add ? x + y : f == .sub ? x - y : x * y
        default: return nil
        }
    }

    private func equal(_ x: Size, _ y: Size) -> Bool {
        compareSizes(x, y) == .equal || assumptions.contains(SizeAssumption(lhs: x, rhs: y))
            || assumptions.contains(SizeAssumption(lhs: y, rhs: x))
    }

    // MARK: - Analysis

    private func plan(_ loop: Instr) -> LoopPlan? {
        let body = loop.regions[0]
        guard body.instrs.allSatisfy({ $0.regions.isEmpty }),
              let lo = size(of: loop.args[0]), let hi = size(of: loop.args[1]) else { return nil }
        let count = hi - lo + Size(1)
        if let c = count.constant, c <= 0 { return nil }
        let index = body.params[0]
        let params = Array(body.params.dropFirst())
        var def: [Value: Instr] = [:]
        var uses: [Value: Int] = [:]
        for i in body.instrs {
            def[i.result] = i
            for a in i.args { uses[a, default: 0] += 1 }
        }
        for y in body.yields { uses[y, default: 0] += 1 }

        // Each carried value: how its next value is made from it.
        var carried: [LoopPlan.Carried] = []
        var chain = Set<Value>()
        for (k, p) in params.enumerated() {
            var links: [Instr] = []
            var v = body.yields[k]
            while v != p {
                guard let d = def[v], !d.args.isEmpty else { return nil }
                links.append(d)
                v = d.args[0]
            }
            links.reverse()
            for v in [p] + links.map(\.result) where uses[v] != 1 { return nil }
            if links.isEmpty {
                carried.append(.unchanged)
            } else if type(p) == .real, links.allSatisfy({ $0.op == .binary(.add) }) {
                carried.append(.sum(links.map { $0.args[1] }))
            } else if type(p).shape.rank == 1, links.allSatisfy({ $0.op == .set && $0.args[1] == index }) {
                carried.append(.writes)
            } else {
                return nil
            }
            chain.formUnion(links.map(\.result))
        }

        // Nothing but the chains may read a carried value.
        let state = chain.union(params)
        var varying: Set<Value> = [index]
        for i in body.instrs {
            let read = chain.contains(i.result) ? Array(i.args.dropFirst()) : i.args
            if read.contains(where: state.contains) { return nil }
            if !chain.contains(i.result), i.args.contains(where: varying.contains) { varying.insert(i.result) }
        }

        // The vector types, and the gathers that are whole vectors.
        var types: [Value: IRType] = [index: .intArray(count)]
        var aliases: [Value: Value] = [:]
        var assume = assumptions
        func vectorType(_ v: Value) -> IRType { types[v] ?? type(v) }
        for i in body.instrs {
            if chain.contains(i.result) {
                guard i.op == .set else { continue }
                let value = i.args[2]
                guard type(value).isScalar,
                      (try? ShapeRules.resultType(.set, [type(i.args[0]), types[index]!, vectorType(value)], assume: &assume)) != nil
                else { return nil }
                continue
            }
            guard varying.contains(i.result) else { continue }
            guard type(i.result).isScalar else { return nil }
            switch i.op {
            case .unary, .binary, .polygamma, .incomplete, .select, .stopGradient:
                break
            case .at:
                let x = i.args[0]
                if i.args[1] == index, lo == Size(1), type(x).shape.rank == 1, equal(type(x).shape.count, count) {
                    aliases[i.result] = x
                    types[i.result] = type(x)
                    continue
                }
            case .at2:
                guard !(varying.contains(i.args[1]) && varying.contains(i.args[2])) else { return nil }
            default:
                return nil
            }
            guard let t = try? ShapeRules.resultType(i.op, i.args.map(vectorType), assume: &assume) else { return nil }
            types[i.result] = t
        }
        for case .sum(let terms) in carried {
            for t in terms where !type(t).isScalar { return nil }
        }
        assumptions = assume
        return LoopPlan(lo: lo, count: count, carried: carried, chain: chain, varying: varying, types: types, aliases: aliases)
    }

    // MARK: - Emission

    private func vectorize(_ loop: Instr, _ plan: LoopPlan) {
        let e = Emitter(b)
        let body = loop.regions[0]
        let params = Array(body.params.dropFirst())
        let inits = Array(loop.args.dropFirst(2))
        map[body.params[0]] = b.append(.range, [loop.args[0], loop.args[1]], type: .intArray(plan.count))
        for (k, c) in plan.carried.enumerated() {
            if case .writes = c { map[params[k]] = inits[k] }
        }
        // Per-iteration terms summed over the iterations, where they are computed.
        var summed: [[Value?]] = plan.carried.map { c in
            if case .sum(let terms) = c { return Array(repeating: nil, count: terms.count) }
            return []
        }
        func reduce(_ t: Value) -> Value {
            let v = map[t] ?? t
            if plan.varying.contains(t) { return e.sum(v) }
            return e.mul(v, tripCount(loop, plan))
        }
        func reduceTerms(definedBy r: Value?) {
            for (k, c) in plan.carried.enumerated() {
                guard case .sum(let terms) = c else { continue }
                for (j, t) in terms.enumerated() where summed[k][j] == nil && (r == nil || t == r) {
                    summed[k][j] = reduce(t)
                }
            }
        }
        for instr in body.instrs {
            let r = instr.result
            if plan.chain.contains(r), instr.op != .set { continue }
            let args = instr.args.map { map[$0] ?? $0 }
            if plan.chain.contains(r) {
                map[r] = b.append(.set, args, type: type(args[0]), site: instr.site)
            } else if let x = plan.aliases[r] {
                map[r] = map[x] ?? x
            } else if plan.varying.contains(r) {
                map[r] = b.append(instr.op, args, type: plan.types[r]!, site: instr.site)
            } else {
                copy(Instr(results: [r], op: instr.op, args: args, regions: [], site: instr.site))
            }
            reduceTerms(definedBy: r)
        }
        reduceTerms(definedBy: nil)

        for (k, c) in plan.carried.enumerated() {
            let result = loop.results[k]
            switch c {
            case .unchanged:
                map[result] = inits[k]
            case .writes:
                map[result] = map[body.yields[k]]
            case .sum:
                let terms = summed[k].map { $0! }
                if let first = terms.first, isZero(inits[k]) {
                    let total = terms.dropFirst().reduce(first) { e.add($0, $1) }
                    map[result] = total
                    accumulated[total] = terms
                } else {
                    map[result] = terms.reduce(inits[k]) { e.add($0, $1) }
                }
            }
        }
    }

    /// The number of iterations as an int: clamped at zero unless it is the length of a
    /// container (`lo` is 1 and `hi` a size).
    private func tripCount(_ loop: Instr, _ plan: LoopPlan) -> Value {
        let n = b.append(.size(plan.count), [], type: .int)
        if plan.count.constant != nil { return n }
        if plan.lo == Size(1), case .size? = defs[loop.args[1]]?.op { return n }
        return Emitter(b).bin(.fmax, n, b.constant(0, .int))
    }

    private func isZero(_ v: Value) -> Bool {
        if case .const(let x)? = defs[v]?.op { return x == 0 && type(v) == .real }
        return false
    }
}
