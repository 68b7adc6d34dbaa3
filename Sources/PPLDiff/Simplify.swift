import PPLIR

/// Cleans up generated programs: constant folding, algebraic identities (x + 0, x * 1,
/// x * 0, fill propagation), common-subexpression elimination and dead-code elimination.
/// Data-only work is hoisted by the engine, which runs it once per fit.
public enum Simplify {
    public static func run(_ p: Program, keeping names: [String]? = nil) -> Program {
        let b = Builder(types: p.types)
        var rep: [Value: Value] = [:]
        var table: [Key: Value] = [:]
        var constants: [Value: Double] = [:]
        var fills: [Value: Value] = [:]
        var negated: [Value: Value] = [:]
        for instr in p.body.instrs {
            rewrite(instr, b, &rep, &table, &constants, &fills, &negated)
        }
        let (instrs, types) = b.finish()
        let keep = names ?? p.outputNames
        let outputs = keep.map { n -> (String, Value) in
            let v = p.body.yields[p.outputNames.firstIndex(of: n)!]
            return (n, rep[v] ?? v)
        }
        return Program.extract(name: p.name, from: instrs, types: types, inputs: p.inputs, outputs: outputs)
    }

    struct Key: Hashable {
        let op: Op
        let args: [Value]
    }

    private static func rewrite(_ instr: Instr, _ b: Builder, _ rep: inout [Value: Value], _ table: inout [Key: Value],
                                _ constants: inout [Value: Double], _ fills: inout [Value: Value],
                                _ negated: inout [Value: Value]) {
        var instr = instr
        instr.args = instr.args.map { rep[$0] ?? $0 }
        if !instr.regions.isEmpty {
            instr.regions = instr.regions.map { region in
                _ = b.beginBlock(params: [])
                var innerRep = rep, innerTable = table, innerConstants = constants, innerFills = fills
                var innerNegated = negated
                for i in region.instrs {
                    rewrite(i, b, &innerRep, &innerTable, &innerConstants, &innerFills, &innerNegated)
                }
                let block = b.endBlock(params: [], yields: region.yields.map { innerRep[$0] ?? $0 })
                return Block(params: region.params, instrs: block.instrs, yields: block.yields)
            }
            b.appendInstrs([instr])
            return
        }
        let result = instr.result
        let type = b.type(of: result)
        func same(_ v: Value) -> Bool { b.type(of: v) == type }
        func replace(_ v: Value) { rep[result] = v }
        func zero() -> Value {
            let z = b.constant(0, type.elem)
            constants[z] = 0
            if type.isScalar { return z }
            let f = b.append(.fill, [z], type: type)
            fills[f] = z
            return f
        }
        // Constant folding.
        if case .const(let x) = instr.op, type.isScalar {
            let v = b.constant(x, type.elem)
            constants[v] = x
            return replace(v)
        }
        let c = instr.args.map { constants[$0] }
        if type.isScalar, c.allSatisfy({ $0 != nil }), !c.isEmpty {
            var folded: Double?
            switch instr.op {
            case .unary(let f): folded = ScalarMath.apply(f, c[0]!)
            case .polygamma(let n): folded = ScalarMath.polygamma(n, c[0]!)
            case .binary(let f):
                folded = ScalarMath.apply(f, c[0]!, c[1]!)
                if type.elem == .int, let v = folded { folded = v.rounded(.towardZero) }
            case .sum: folded = c[0]
            default: break
            }
            if let folded, folded.isFinite {
                let v = b.constant(folded, type.elem)
                constants[v] = folded
                return replace(v)
            }
        }
        // Identities.
        switch instr.op {
        case .binary(.add):
            if c[0] == 0, same(instr.args[1]) { return replace(instr.args[1]) }
            if c[1] == 0, same(instr.args[0]) { return replace(instr.args[0]) }
            if let z = fills[instr.args[0]], constants[z] == 0, same(instr.args[1]) { return replace(instr.args[1]) }
            if let z = fills[instr.args[1]], constants[z] == 0, same(instr.args[0]) { return replace(instr.args[0]) }
        case .binary(.sub):
            if c[1] == 0, same(instr.args[0]) { return replace(instr.args[0]) }
            if c[0] == 0 {
                instr.op = .unary(.neg)
                instr.args = [instr.args[1]]
            }
        case .binary(.mul):
            if c[0] == 1, same(instr.args[1]) { return replace(instr.args[1]) }
            if c[1] == 1, same(instr.args[0]) { return replace(instr.args[0]) }
            if c[0] == 0 || c[1] == 0 { return replace(zero()) }
            if c[0] == -1, same(instr.args[1]) {
                instr.op = .unary(.neg)
                instr.args = [instr.args[1]]
            } else if let s = fills[instr.args[0]], same(instr.args[1]) {
                // fill(s) * y is s * y when y has the result's shape.
                instr.args[0] = s
            } else if let s = fills[instr.args[1]], same(instr.args[0]) {
                instr.args[1] = s
            }
        case .binary(.div):
            if c[1] == 1, same(instr.args[0]) { return replace(instr.args[0]) }
            if c[0] == 0 { return replace(zero()) }
        case .unary(.neg):
            if let inner = negated[instr.args[0]] { return replace(inner) }
        case .fill:
            if let s = fills[instr.args[0]] { instr.args = [s] }
        case .sum:
            if b.type(of: instr.args[0]).isScalar { return replace(instr.args[0]) }
        default: break
        }
        // Common subexpressions.
        let key = Key(op: instr.op, args: instr.args)
        if let existing = table[key], b.type(of: existing) == type { return replace(existing) }
        b.appendInstrs([instr])
        table[key] = result
        if case .fill = instr.op { fills[result] = instr.args[0] }
        if instr.op == .unary(.neg) { negated[result] = instr.args[0] }
    }
}
