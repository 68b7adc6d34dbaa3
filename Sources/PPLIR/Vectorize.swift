/// Loop vectorisation: a `loop` whose iterations are independent becomes vector operations
/// over all its iterations at once.
///
/// - the index becomes `range(lo, hi)`, and every value of the body that depends on it a
///   vector with one element per iteration: elementwise ops act on the vectors, `at(x, i)`
///   becomes a gather `at(x, range)`, or `x` itself where i runs over all of x;
/// - a carried accumulator `acc + f(i) + g(i)` becomes `acc + sum(f) + sum(g)` (`f * n`,
///   n the trip count, for a term that does not depend on i);
/// - a carried vector only written as `set(h, i, v(i))` becomes `set(h, range, v)`;
/// - a value that is a vector in each iteration (a row `X[n]`, the lags `y[n - (1:K)]` of
///   an inner loop vectorised first) becomes a matrix with one row per iteration: its
///   elementwise ops act on the matrix (scalars of an iteration spread along its row,
///   vectors shared by the iterations down its columns), `dot(v, b)` and `x[n] * b` become
///   one matrix-vector product, `sum` a product with ones, and `v[j]` a column.
///
/// A loop stays a loop when an iteration may read what another wrote (a carried value used
/// in any other way, as in `h[t] = f(h[t-1])`), when its body holds a branch or a loop that
/// stays a loop (loops inside it are vectorised first), when a value that depends on the
/// index is a matrix per iteration or made by an op without a rule here, when the trip count
/// is not a size known from the data, or when the range is empty for all data.
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
    /// How each value of the body that depends on the index is computed for all iterations.
    let liftings: [Value: Lifting]
    /// The rules the liftings were chosen by.
    let shape: LiftShape

    /// Products read only by a `rowSumOfProduct`, which reads their factors instead.
    var absorbed: Set<Value> {
        Set(liftings.compactMap { v, l in
            guard case .rowSumOfProduct = l else { return nil }
            return shape.definitions[v]!.args[0]
        })
    }
}

/// How an instruction of a loop body that depends on the index is computed for all the
/// iterations at once. A value that is a scalar in each iteration becomes a vector over
/// the iterations; one that is a vector in each iteration (its "row") a matrix, one row per
/// iteration.
enum Lifting: Equatable {
    /// The op itself on the lifted arguments.
    case direct
    /// An elementwise op with a row among its arguments: each other argument that is a
    /// scalar per iteration is spread along the rows, each vector shared by the iterations
    /// down the columns, so that all are matrices of the same shape.
    case rows
    /// `dot(v, b)` or `v * b` of a row v (argument `row`) and a vector b shared by the
    /// iterations: the matrix of rows times b.
    case rowProduct(row: Int)
    /// `dot(v, w)` of two rows: the sums of the rows of their elementwise product.
    case rowDot
    /// `sum(v)` of a row: the matrix of rows times ones.
    case rowSum
    /// `sum(v * b)` of a row v (argument `row` of the product) and a vector b shared by
    /// the iterations: as `dot(v, b)`, without spreading b.
    case rowSumOfProduct(row: Int)
    /// `x[I]` of a vector x shared by the iterations at a row of indices I: a gather at
    /// all the indices, reshaped.
    case gatherRows
    /// `v[j]` of a row v at an index j shared by the iterations: a column of the matrix.
    case column
    /// The transpose of a row: the same matrix of rows.
    case sameRows
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
        // A loop whose inner loops are all vectorised now may be vectorised itself.
        if instr.op == .loop, original.regions[0].instrs.contains(where: { !$0.regions.isEmpty }), let plan = plan(instr) {
            vectorize(instr, plan)
            return
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
        var liftings: [Value: Lifting] = [:]
        let shape = LiftShape(count: count, varying: varying, type: type, definitions: def, uses: uses)
        var assume = assumptions
        func vectorType(_ v: Value) -> IRType { types[v] ?? type(v) }
        /// Whether the iterations index every element of a vector (every row of a matrix).
        func wholeRows(_ t: IRType) -> Bool {
            switch t.shape {
            case .vector(let n), .rowVector(let n), .matrix(let n, _): return equal(n, count)
            case .scalar: return false
            }
        }
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
            guard type(i.result).shape.rank <= 1 else { return nil }
            if i.op == .at, i.args[1] == index, lo == Size(1), wholeRows(type(i.args[0])) {
                let x = i.args[0]
                aliases[i.result] = x
                types[i.result] = type(x)
                continue
            }
            guard let lifting = shape.lifting(i),
                  let t = try? shape.resultType(i, lifting, vectorType, assume: &assume) else { return nil }
            liftings[i.result] = lifting
            types[i.result] = t
        }
        for case .sum(let terms) in carried {
            for t in terms where !type(t).isScalar { return nil }
        }
        assumptions = assume
        return LoopPlan(lo: lo, count: count, carried: carried, chain: chain, varying: varying, types: types, aliases: aliases,
                        liftings: liftings, shape: shape)
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
        let absorbed = plan.absorbed
        for instr in body.instrs {
            let r = instr.result
            if plan.chain.contains(r), instr.op != .set { continue }
            if absorbed.contains(r) { continue }
            let args = instr.args.map { map[$0] ?? $0 }
            if plan.chain.contains(r) {
                map[r] = b.append(.set, args, type: type(args[0]), site: instr.site)
            } else if let x = plan.aliases[r] {
                map[r] = map[x] ?? x
            } else if plan.varying.contains(r) {
                map[r] = lift(instr, args, plan)
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

    /// An instruction of the body that depends on the index, for all iterations at once;
    /// `args` are its arguments there. Emits what `LiftShape.resultType` typed.
    private func lift(_ instr: Instr, _ args: [Value], _ plan: LoopPlan) -> Value {
        let shape = plan.shape
        let t = plan.types[instr.result]!
        let lifting = plan.liftings[instr.result]!
        func ones(_ n: Size, _ elem: Elem) -> Value {
            b.append(.fill, [b.constant(1, elem)], type: IRType(elem, .vector(n)))
        }
        func iterations() -> Value {
            b.append(.range, [b.constant(1, .int), b.append(.size(plan.count), [], type: .int)], type: .intArray(plan.count))
        }
        switch lifting {
        case .direct:
            return b.append(instr.op, args, type: t, site: instr.site)
        case .rows:
            guard case .matrix(_, let n) = t.shape else { preconditionFailure("a row is lifted to a matrix") }
            let spread = zip(instr.args, args).map { original, a -> Value in
                let elem = type(a).elem
                switch shape.kind(original) {
                case .row, .shared(scalar: true): return a
                case .scalarPerIteration:
                    // The column of the iterations' scalars, repeated along each row.
                    let column = b.append(.reshape, [a], type: IRType(elem, .matrix(plan.count, Size(1))))
                    return b.append(.at2, [column, iterations(), ones(n, .int)], type: IRType(elem, .matrix(plan.count, n)))
                case .shared(scalar: false):
                    // The shared vector as every row.
                    let width = type(a).shape.count
                    let row = b.append(.reshape, [a], type: IRType(elem, .matrix(Size(1), width)))
                    return b.append(.at, [row, ones(plan.count, .int)], type: IRType(elem, .matrix(plan.count, width)))
                }
            }
            return b.append(instr.op, spread, type: t, site: instr.site)
        case .rowProduct(let row):
            var other = args[1 - row]
            if case .rowVector = type(other).shape { other = Emitter(b).transpose(other) }
            return b.append(.matmul, [args[row], other], type: t)
        case .rowSumOfProduct(let row):
            let factors = plan.shape.definitions[instr.args[0]]!.args.map { map[$0] ?? $0 }
            var other = factors[1 - row]
            if case .rowVector = type(other).shape { other = Emitter(b).transpose(other) }
            return b.append(.matmul, [factors[row], other], type: t)
        case .rowDot:
            let product = b.append(.binary(.mul), args, type: type(args[0]))
            guard case .matrix(_, let n) = type(product).shape else { preconditionFailure("rows are lifted to a matrix") }
            return b.append(.matmul, [product, ones(n, .real)], type: t)
        case .rowSum:
            guard case .matrix(_, let n) = type(args[0]).shape else { preconditionFailure("rows are lifted to a matrix") }
            return b.append(.matmul, [args[0], ones(n, .real)], type: t)
        case .gatherRows:
            let indices = type(args[1])
            let flat = b.append(.reshape, [args[1]], type: IRType(.int, .vector(indices.shape.count)))
            let gathered = b.append(.at, [args[0], flat], type: IRType(t.elem, .vector(indices.shape.count)), site: instr.site)
            return b.append(.reshape, [gathered], type: t)
        case .column:
            return b.append(.at2, [args[0], iterations(), args[1]], type: t, site: instr.site)
        case .sameRows:
            return args[0]
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

/// The rules of `Lifting`: which one an instruction of a loop body takes, and the type of
/// its result over `count` iterations.
struct LiftShape {
    let count: Size
    /// The values of the body that depend on the index.
    let varying: Set<Value>
    /// The type of a value in one iteration.
    let type: (Value) -> IRType
    /// The instructions of the body by result, and the uses of its values.
    let definitions: [Value: Instr]
    let uses: [Value: Int]

    enum Kind: Equatable {
        case scalarPerIteration, row
        case shared(scalar: Bool)
    }

    func kind(_ v: Value) -> Kind {
        if !varying.contains(v) { return .shared(scalar: type(v).isScalar) }
        return type(v).isScalar ? .scalarPerIteration : .row
    }

    /// The lifting of `i`; nil where there is no rule for it.
    func lifting(_ i: Instr) -> Lifting? {
        let kinds = i.args.map(kind)
        let result = type(i.result)
        switch i.op {
        case .unary, .binary, .polygamma, .select, .stopGradient:
            return result.isScalar ? .direct : .rows
        case .incomplete, .random:
            return result.isScalar ? .direct : nil
        case .transpose:
            return kinds[0] == .row ? .sameRows : nil
        case .sum:
            guard kinds[0] == .row, result.elem == .real else { return nil }
            if let product = definitions[i.args[0]], product.op == .binary(.mul), uses[i.args[0]] == 1 {
                switch (kind(product.args[0]), kind(product.args[1])) {
                case (.row, .shared(scalar: false)): return .rowSumOfProduct(row: 0)
                case (.shared(scalar: false), .row): return .rowSumOfProduct(row: 1)
                default: break
                }
            }
            return .rowSum
        case .dot:
            switch (kinds[0], kinds[1]) {
            case (.row, .row): return .rowDot
            case (.row, .shared): return .rowProduct(row: 0)
            case (.shared, .row): return .rowProduct(row: 1)
            default: return nil
            }
        case .matmul:
            guard kinds == [.row, .shared(scalar: false)], case .rowVector = type(i.args[0]).shape,
                  case .vector = type(i.args[1]).shape else { return nil }
            return .rowProduct(row: 0)
        case .at:
            switch (kinds[0], kinds[1]) {
            case (.shared(scalar: false), .scalarPerIteration): return .direct
            case (.shared(scalar: false), .row):
                guard case .vector = type(i.args[0]).shape else { return nil }
                return .gatherRows
            case (.row, .shared(scalar: true)): return .column
            default: return nil
            }
        case .at2:
            // A matrix shared by the iterations, at most one index varying: one element or
            // (a vector shared by the iterations as the column indices) one row per iteration.
            switch (kinds[0], kinds[1], kinds[2]) {
            case (.shared, .scalarPerIteration, .shared), (.shared, .shared(scalar: true), .scalarPerIteration): return .direct
            default: return nil
            }
        default:
            return nil
        }
    }

    /// The type of `i` over all iterations; `lifted` gives the lifted type of a value of the
    /// body (its own type for a value shared by the iterations).
    func resultType(_ i: Instr, _ lifting: Lifting, _ lifted: (Value) -> IRType,
                    assume: inout [SizeAssumption]) throws(ShapeError) -> IRType {
        let result = type(i.result)
        switch lifting {
        case .direct:
            return try ShapeRules.resultType(i.op, i.args.map(lifted), assume: &assume)
        case .rows:
            let n = result.shape.count
            var args: [IRType] = []
            for a in i.args {
                switch kind(a) {
                case .row, .shared(scalar: true): args.append(lifted(a))
                case .scalarPerIteration: args.append(IRType(type(a).elem, .matrix(count, n)))
                case .shared(scalar: false): args.append(IRType(type(a).elem, .matrix(count, type(a).shape.count)))
                }
            }
            return try ShapeRules.resultType(i.op, args, assume: &assume)
        case .rowProduct(let row):
            return try ShapeRules.resultType(.matmul, [lifted(i.args[row]), .vector(type(i.args[1 - row]).shape.count)],
                                             assume: &assume)
        case .rowDot, .rowSum:
            return try ShapeRules.resultType(.matmul, [lifted(i.args[0]), .vector(type(i.args[0]).shape.count)], assume: &assume)
        case .rowSumOfProduct(let row):
            let factors = definitions[i.args[0]]!.args
            return try ShapeRules.resultType(.matmul, [lifted(factors[row]), .vector(type(factors[1 - row]).shape.count)],
                                             assume: &assume)
        case .gatherRows:
            return IRType(type(i.args[0]).elem, lifted(i.args[1]).shape)
        case .column:
            return IRType(result.elem, .vector(count))
        case .sameRows:
            return lifted(i.args[0])
        }
    }
}
