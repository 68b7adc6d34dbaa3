/// Checks that a program is well formed: every value is defined once before it is used,
/// and every instruction's type follows from its arguments by the shape rules.
public enum Verifier {
    public static func verify(_ p: Program) -> [String] {
        var errors: [String] = []
        var defined = Set(p.inputs.map(\.value))
        check(p.body, p, &defined, &errors)
        return errors
    }

    private static func check(_ b: Block, _ p: Program, _ defined: inout Set<Value>, _ errors: inout [String]) {
        for v in b.params {
            if !defined.insert(v).inserted { errors.append("value \(v.id) defined twice") }
        }
        for instr in b.instrs {
            for a in instr.args where !defined.contains(a) {
                errors.append("\(instr.op.mnemonic) uses value \(a.id) before its definition")
            }
            var inner = defined
            for r in instr.regions { check(r, p, &inner, &errors) }
            for r in instr.results where !defined.insert(r).inserted {
                errors.append("value \(r.id) defined twice")
            }
            switch instr.op {
            case .const, .input, .size, .fill, .pack, .range, .reshape, .loop, .cond: break
            default:
                var assume: [SizeAssumption] = []
                do {
                    let t = try ShapeRules.resultType(instr.op, instr.args.map(p.type(of:)), assume: &assume)
                    if t != p.type(of: instr.result) {
                        errors.append("\(instr.op.mnemonic) has type \(p.type(of: instr.result)), expected \(t)")
                    }
                } catch {
                    errors.append("\(instr.op.mnemonic): \(error.message)")
                }
            }
        }
        for y in b.yields where !defined.contains(y) { errors.append("yield of undefined value \(y.id)") }
    }
}
