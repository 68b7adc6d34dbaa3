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
            regionTypes(instr, p, &errors)
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

    /// A loop carries each value with one type (initial value, block param, yield, result);
    /// both branches of a cond yield the types of its results.
    private static func regionTypes(_ instr: Instr, _ p: Program, _ errors: inout [String]) {
        func types(_ vs: [Value]) -> [IRType] { vs.map(p.type(of:)) }
        let results = types(instr.results)
        switch instr.op {
        case .loop:
            guard let body = instr.regions.first, instr.args.count >= 2, !body.params.isEmpty else {
                errors.append("loop needs bounds and a body with an index")
                return
            }
            let carried = [types(Array(instr.args.dropFirst(2))), types(Array(body.params.dropFirst())), types(body.yields), results]
            if types(Array(instr.args.prefix(2))) != [.int, .int] || p.type(of: body.params[0]) != .int {
                errors.append("loop bounds and index must be int")
            }
            if carried.contains(where: { $0 != carried[0] }) {
                errors.append("loop carries " + carried.map { "(\($0.map(\.description).joined(separator: ", ")))" }
                    .joined(separator: " / ") + " (initial / param / yield / result)")
            }
        case .cond:
            for r in instr.regions where types(r.yields) != results {
                errors.append("cond yields (\(types(r.yields).map(\.description).joined(separator: ", "))) for results (\(results.map(\.description).joined(separator: ", ")))")
            }
        default:
            break
        }
    }
}
