/// Cleans up generated programs: constant folding, algebraic identities (x + 0, x * 1,
/// x * 0), uniform values kept scalar (an op on `fill`s is a `fill` of the op on
/// scalars), sums of broadcast terms taken apart (sum(v - s) = sum(v) - n s,
/// sum(s v) = s sum(v)), scalar factors gathered (s (t v) = (s t) v), common-subexpression
/// elimination and dead-code elimination. Data-only work is hoisted by the engine, which
/// runs it once per fit.
public enum Simplify {
    /// `sizes` binds size symbols to values: the program is then for data with those sizes
    /// alone, its sizes constants (and the slices they bound resolved).
    public static func run(_ p: Program, keeping names: [String]? = nil, sizes: [String: Int] = [:]) -> Program {
        let s = Simplifier(Builder(types: p.types))
        s.sizes = sizes
        for instr in p.body.instrs { s.visit(instr) }
        let (instrs, types) = s.b.finish()
        let keep = names ?? p.outputNames
        let outputs = keep.map { n -> (String, Value) in
            let v = p.body.yields[p.outputNames.firstIndex(of: n)!]
            return (n, s.rep[v] ?? v)
        }
        return Program.extract(name: p.name, from: instrs, types: types, inputs: p.inputs, outputs: outputs)
    }
}

final class Simplifier {
    let b: Builder
    var rep: [Value: Value] = [:]
    private var table: [Key: Value] = [:]
    private var constants: [Value: Double] = [:]
    /// Values that repeat one scalar: value → the scalar.
    private var fills: [Value: Value] = [:]
    private var defs: [Value: (op: Op, args: [Value])] = [:]

    struct Key: Hashable {
        let op: Op
        let args: [Value]
    }

    init(_ b: Builder) { self.b = b }

    /// Values of size symbols, where the program is specialised to them.
    var sizes: [String: Int] = [:]

    func visit(_ instr: Instr) {
        var instr = instr
        instr.args = instr.args.map { rep[$0] ?? $0 }
        if instr.regions.isEmpty {
            b.site = instr.site
            defer { b.site = nil }
            let v = simplify(instr.op, instr.args, type: b.type(of: instr.result), id: instr.result)
            if v != instr.result { rep[instr.result] = v }
            return
        }
        let saved = (rep, table, constants, fills, defs)
        instr.regions = instr.regions.map { region in
            _ = b.beginBlock(params: [])
            for i in region.instrs { visit(i) }
            let block = b.endBlock(params: [], yields: region.yields.map { rep[$0] ?? $0 })
            (rep, table, constants, fills, defs) = saved
            return Block(params: region.params, instrs: block.instrs, yields: block.yields)
        }
        if instr.op == .loop { hoistInvariants(&instr) }
        b.appendInstrs([instr])
    }

    /// Moves the instructions of a loop body that read nothing the body defines (nor its
    /// index or carried values) before the loop, so they run once instead of once per
    /// iteration: constants, sizes, index arithmetic against the bounds, functions of the
    /// params. Gathers stay, since a loop that runs no iteration must not fail on them.
    private func hoistInvariants(_ loop: inout Instr) {
        var inside = Set(loop.regions[0].params)
        var hoisted: [Instr] = [], kept: [Instr] = []
        for i in loop.regions[0].instrs {
            if i.regions.isEmpty, !i.op.indexes, !i.args.contains(where: inside.contains) {
                hoisted.append(i)
            } else {
                kept.append(i)
                inside.formUnion(i.results)
            }
        }
        b.appendInstrs(hoisted)
        loop.regions[0].instrs = kept
    }

    private func type(_ v: Value) -> IRType { b.type(of: v) }

    private func constant(_ x: Double, _ elem: Elem = .real) -> Value {
        let v = b.constant(x, elem)
        constants[v] = x
        return v
    }

    /// The scalar a value repeats, if it is a scalar or a fill.
    private func uniform(_ v: Value) -> Value? {
        type(v).isScalar ? v : fills[v]
    }

    private func make(_ op: Op, _ args: [Value], type t: IRType? = nil) -> Value {
        let resultType: IRType
        if let t {
            resultType = t
        } else {
            var assume: [SizeAssumption] = []
            resultType = (try? ShapeRules.resultType(op, args.map(type), assume: &assume)) ?? .real
        }
        return simplify(op, args, type: resultType, id: nil)
    }

    private func fill(_ s: Value, _ t: IRType) -> Value {
        t.isScalar ? s : make(.fill, [s], type: t.with(elem: type(s).elem))
    }

    private func count(_ t: IRType) -> Value {
        let n = t.shape.count
        return n.constant.map { constant(Double($0), .int) } ?? make(.size(n), [], type: .int)
    }

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    private func simplify(_ op: Op, _ args: [Value], type t: IRType, id: Value?) -> Value {
        func same(_ v: Value) -> Bool { type(v) == t }
        let c = args.map { constants[$0] }
        // Constant folding.
        if case .const(let x) = op, t.isScalar { return constant(x, t.elem) }
        if case .size(let n) = op, !sizes.isEmpty, let v = n.evaluate({ self.sizes[$0] }) { return constant(Double(v), .int) }
        if t.isScalar, !c.isEmpty, c.allSatisfy({ $0 != nil }) {
            var folded: Double?
            switch op {
            case .unary(let f): folded = ScalarMath.apply(f, c[0]!)
            case .polygamma(let n): folded = ScalarMath.polygamma(n, c[0]!)
            case .incomplete(let f, let orders): folded = ScalarMath.incomplete(f, c.map { $0! }, orders: orders)
            case .binary(let f):
                folded = ScalarMath.apply(f, c[0]!, c[1]!)
                if t.elem == .int, let v = folded { folded = v.rounded(.towardZero) }
            case .sum: folded = c[0]
            default: break
            }
            if let folded, folded.isFinite { return constant(folded, t.elem) }
        }
        // Ops on uniform values give uniform values: computed on the scalars.
        if !t.isScalar, isElementwise(op), args.allSatisfy({ uniform($0) != nil }), args.contains(where: { fills[$0] != nil }) {
            let scalars = args.map { uniform($0)! }
            return fill(make(op, scalars), t)
        }
        func negated(_ v: Value) -> Value? {
            if let d = defs[v], d.op == .unary(.neg) { return d.args[0] }
            return nil
        }
        func zeroFill(_ v: Value) -> Bool { fills[v].map { constants[$0] == 0 } ?? false }
        switch op {
        case .binary(.add):
            if let x = negated(args[1]) { return make(.binary(.sub), [args[0], x]) }
            if let x = negated(args[0]) { return make(.binary(.sub), [args[1], x]) }
            // Gradients assembled from pieces: (0 with v added at i) + w = w with v added at i.
            if !t.isScalar, same(args[0]), same(args[1]) {
                if let d = defs[args[0]], d.op == .scatterAdd, zeroFill(d.args[0]) {
                    return make(.scatterAdd, [args[1], d.args[1], d.args[2]])
                }
                if let d = defs[args[1]], d.op == .scatterAdd, zeroFill(d.args[0]) {
                    return make(.scatterAdd, [args[0], d.args[1], d.args[2]])
                }
            }
            if c[0] == 0, same(args[1]) { return args[1] }
            if c[1] == 0, same(args[0]) { return args[0] }
            if let z = fills[args[0]], constants[z] == 0, same(args[1]) { return args[1] }
            if let z = fills[args[1]], constants[z] == 0, same(args[0]) { return args[0] }
        case .binary(.sub):
            if let x = negated(args[1]) { return make(.binary(.add), [args[0], x]) }
            // (x - a) - b = x - (a + b) for constants a, b: one step fewer per evaluation.
            if let d = defs[args[0]], d.op == .binary(.sub), constants[d.args[1]] != nil, c[1] != nil, t.elem == .real {
                return make(.binary(.sub), [d.args[0], make(.binary(.add), [d.args[1], args[1]])])
            }
            if c[1] == 0, same(args[0]) { return args[0] }
            if c[0] == 0, same(args[1]) { return make(.unary(.neg), [args[1]]) }
        case .binary(.mul):
            if c[0] == 1, same(args[1]) { return args[1] }
            if c[1] == 1, same(args[0]) { return args[0] }
            if c[0] == 0 || c[1] == 0 { return fill(constant(0, t.elem), t) }
            if c[0] == -1, same(args[1]) { return make(.unary(.neg), [args[1]]) }
            // fill(s) * y = s * y when y has the result's shape (an int y gives a real result).
            if let s = fills[args[0]], type(args[1]).shape == t.shape { return make(op, [s, args[1]]) }
            if let s = fills[args[1]], type(args[0]).shape == t.shape { return make(op, [args[0], s]) }
            // s * (t * v) = (s t) * v for scalars s, t.
            if type(args[0]).isScalar, let d = defs[args[1]], d.op == .binary(.mul), type(d.args[0]).isScalar, t.elem == .real {
                return make(op, [make(op, [args[0], d.args[0]]), d.args[1]])
            }
            if type(args[1]).isScalar, !type(args[0]).isScalar, t.elem == .real {
                return make(op, [args[1], args[0]])
            }
        case .binary(.div):
            if c[1] == 1, same(args[0]) { return args[0] }
            if c[0] == 0 { return fill(constant(0, t.elem), t) }
            // (s * v) / t = (s / t) * v for scalars.
            if type(args[1]).isScalar, t.elem == .real, let d = defs[args[0]], d.op == .binary(.mul), type(d.args[0]).isScalar {
                return make(.binary(.mul), [make(op, [d.args[0], args[1]]), d.args[1]])
            }
        case .unary(.neg):
            if let d = defs[args[0]], d.op == .unary(.neg) { return d.args[0] }
            // -(-x / y) = x / y and -((-x) y) = x y: negations that cancel.
            if let d = defs[args[0]], d.op == .binary(.div) || d.op == .binary(.mul) {
                if let x = negated(d.args[0]) { return make(d.op, [x, d.args[1]]) }
                if let x = negated(d.args[1]) { return make(d.op, [d.args[0], x]) }
            }
            if let d = defs[args[0]], d.op == .binary(.mul), type(d.args[0]).isScalar, t.elem == .real {
                return make(.binary(.mul), [make(op, [d.args[0]]), d.args[1]])
            }
        case .fill:
            if let s = fills[args[0]] { return fill(s, t) }
        case .at:
            // A constant slice of a concatenation, or of a slice, reads its source: a guide's
            // z assembled from pieces (point estimates from φ beside draws) and read back
            // param by param then reads φ where its piece is φ's, shared by the particles.
            guard let (lo, hi) = constantRange(args[1]), case .vector(let n) = type(args[0]).shape else { break }
            if lo == 1, hi == n.constant, t == type(args[0]) { return args[0] }
            guard let d = defs[args[0]] else { break }
            if d.op == .concat, case .vector(let na) = type(d.args[0]).shape, let la = na.constant,
               case .vector = type(d.args[1]).shape {
                if hi <= la { return make(.at, [d.args[0], range(lo, hi)], type: t) }
                if lo > la { return make(.at, [d.args[1], range(lo - la, hi - la)], type: t) }
            }
            if d.op == .at, let (first, _) = constantRange(d.args[1]), case .vector = type(d.args[0]).shape {
                return make(.at, [d.args[0], range(first + lo - 1, first + hi - 1)], type: t)
            }
            // A constant slice of an adjoint assembled by scatters reads only the scatters into
            // it: the gradient of a density with respect to some of its params' coordinates
            // then computes theirs alone (a decoder's weight gradient is not formed for the
            // gradient with respect to its latents).
            if d.op == .scatterAdd, let (first, last) = constantRange(d.args[1]), type(d.args[0]).shape == type(args[0]).shape {
                if last < lo || first > hi { return make(.at, [d.args[0], range(lo, hi)], type: t) }
                let v = d.args[2], vt = type(v)
                if first == lo, last == hi, vt.elem == t.elem, case .vector(let n) = vt.shape,
                   n.constant ?? n.evaluate({ self.sizes[$0] }) == hi - lo + 1 {
                    return make(.binary(.add), [make(.at, [d.args[0], range(lo, hi)], type: t), vt == t ? v : make(.reshape, [v], type: t)])
                }
            }
            if let s = fills[args[0]] { return fill(s, t) }
        case .dot:
            if let x = negated(args[0]) { return make(.unary(.neg), [make(.dot, [x, args[1]])]) }
            if let x = negated(args[1]) { return make(.unary(.neg), [make(.dot, [args[0], x])]) }
        case .sum:
            let x = args[0]
            let xt = type(x)
            if xt.isScalar { return x }
            if let s = fills[x] { return make(.binary(.mul), [s, count(xt)]) }
            if let d = defs[x], t.elem == .real {
                let (a, bb) = (d.args.first, d.args.count > 1 ? d.args[1] : nil)
                switch d.op {
                case .binary(.add), .binary(.sub):
                    // sum(v ± s) = sum(v) ± n s, and sum(u ± v) = sum(u) ± sum(v).
                    if let a, let bb {
                        func part(_ v: Value) -> Value {
                            type(v).isScalar ? make(.binary(.mul), [v, count(xt)]) : make(.sum, [v])
                        }
                        return make(d.op, [part(a), part(bb)])
                    }
                case .binary(.mul):
                    if let a, let bb, type(a).isScalar { return make(d.op, [a, make(.sum, [bb])]) }
                    // sum(a .* b) over vectors is one dot product, without the temporary.
                    if let a, let bb, case .vector = xt.shape, type(a).shape == xt.shape, type(bb).shape == xt.shape {
                        return make(.dot, [a, bb])
                    }
                case .unary(.square):
                    if let a, case .vector = xt.shape, type(a) == xt { return make(.dot, [a, a]) }
                case .binary(.div):
                    if let a, let bb, type(bb).isScalar { return make(d.op, [make(.sum, [a]), bb]) }
                case .unary(.neg):
                    if let a { return make(.unary(.neg), [make(.sum, [a])]) }
                case .matmul:
                    // sum(X 1) = sum(X): the sums of the rows of a vectorised loop, summed.
                    if let a, let bb, case .matrix = type(a).shape, let one = fills[bb], constants[one] == 1 {
                        return make(.sum, [a])
                    }
                default: break
                }
            }
        default: break
        }
        // Common subexpressions.
        let key = Key(op: op, args: args)
        if case .size = op {} else if let existing = table[key], type(existing) == t { return existing }
        let result: Value
        if let id {
            b.appendInstrs([Instr(results: [id], op: op, args: args, regions: [], site: op.indexes ? b.site : nil)])
            result = id
        } else {
            result = b.append(op, args, type: t)
        }
        table[key] = result
        defs[result] = (op, args)
        if case .fill = op { fills[result] = args[0] }
        return result
    }

    /// The 1-based bounds of an index that is a range with constant bounds.
    private func constantRange(_ i: Value) -> (Int, Int)? {
        guard let d = defs[i], d.op == .range, let lo = constants[d.args[0]], let hi = constants[d.args[1]],
              let l = Int(exactly: lo), let h = Int(exactly: hi), l >= 1, h >= l else { return nil }
        return (l, h)
    }

    private func range(_ lo: Int, _ hi: Int) -> Value {
        make(.range, [constant(Double(lo), .int), constant(Double(hi), .int)], type: .intArray(Size(hi - lo + 1)))
    }

    private func isElementwise(_ op: Op) -> Bool {
        switch op {
        case .unary, .binary, .polygamma, .incomplete, .select: return true
        default: return false
        }
    }
}
