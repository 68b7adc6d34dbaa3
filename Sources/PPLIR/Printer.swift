/// Prints a program as stable, readable text: inputs by name, temporaries numbered
/// `%0, %1, ...` in order of definition, no addresses or source positions.
public struct Printer {
    private var names: [Value: String] = [:]
    private var next = 0
    private var out = ""
    private let program: Program

    public static func print(_ program: Program, assumptions: [SizeAssumption] = []) -> String {
        var p = Printer(program: program)
        return p.run(assumptions)
    }

    private init(program: Program) { self.program = program }

    private mutating func name(_ v: Value) -> String {
        if let n = names[v] { return n }
        // Only reachable for malformed programs; printed so the verifier's report is readable.
        return "%?\(v.id)"
    }

    private mutating func define(_ v: Value) -> String {
        let n = "%\(next)"
        next += 1
        names[v] = n
        return n
    }

    private mutating func run(_ assumptions: [SizeAssumption]) -> String {
        out += "program \(program.name)\n"
        for a in assumptions { out += "  assume \(a.lhs) == \(a.rhs)\n" }
        for i in program.inputs {
            names[i.value] = i.name
            let t = i.constraint.typeText(i.type, base: i.type.description)
            out += "  \(i.role.rawValue) \(i.name): \(t)\n"
        }
        out += "{\n"
        block(program.body.instrs, indent: "  ")
        let rets = program.outputs.map { "\($0.name) = \(name($0.value))" }
        out += "  return " + (rets.isEmpty ? "()" : rets.joined(separator: ", ")) + "\n"
        out += "}\n"
        return out
    }

    private mutating func block(_ instrs: [Instr], indent: String) {
        for instr in instrs {
            let args = instr.args.map { name($0) }
            let results = instr.results.map { define($0) }
            let lhs = zip(results, instr.results).map { "\($0): \(program.type(of: $1))" }.joined(separator: ", ")
            switch instr.op {
            case .const(let x):
                out += "\(indent)\(lhs) = const \(formatNumber(x))\n"
            case .size(let s):
                out += "\(indent)\(lhs) = size \(s)\n"
            case .input(let n):
                out += "\(indent)\(lhs) = input \(n)\n"
            case .loop:
                out += "\(indent)\(lhs.isEmpty ? "" : lhs + " = ")loop \(args[0]) to \(args[1])"
                if args.count > 2 { out += " carry(\(args[2...].joined(separator: ", ")))" }
                out += " {\n"
                region(instr.regions[0], indent: indent + "  ")
                out += "\(indent)}\n"
            case .cond:
                out += "\(indent)\(lhs.isEmpty ? "" : lhs + " = ")cond \(args[0]) {\n"
                region(instr.regions[0], indent: indent + "  ")
                out += "\(indent)} else {\n"
                region(instr.regions[1], indent: indent + "  ")
                out += "\(indent)}\n"
            default:
                out += "\(indent)\(lhs) = \(instr.op.mnemonic) \(args.joined(separator: ", "))\n"
            }
        }
    }

    private mutating func region(_ b: Block, indent: String) {
        if !b.params.isEmpty {
            let ps = b.params.map { p in "\(define(p)): \(program.type(of: p))" }
            out += "\(indent)^(\(ps.joined(separator: ", ")))\n"
        }
        block(b.instrs, indent: indent)
        out += "\(indent)yield \(b.yields.map { name($0) }.joined(separator: ", "))\n"
    }
}
