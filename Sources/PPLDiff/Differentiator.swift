import PPLIR

/// Symbolic reverse mode: a source-to-source transform from a program computing a scalar
/// to a program computing the same outputs and the gradient. The result uses only IR ops,
/// all of which have rules, so it can be differentiated again (Hessian-vector products).
public enum Differentiator {
    public struct Unsupported: Error, CustomStringConvertible {
        public let description: String
    }

    /// The program with extra outputs `PREFIX.NAME` (default `grad.NAME`): the gradient of
    /// output `output` with respect to each input in `wrt`.
    public static func gradient(_ p: Program, of output: String = "target", wrt: [String], prefix: String = "grad") throws -> Program {
        guard let k = p.outputNames.firstIndex(of: output) else {
            throw Unsupported(description: "no output named '\(output)'")
        }
        let seed = p.body.yields[k]
        guard p.type(of: seed).isScalar else { throw Unsupported(description: "'\(output)' is not a scalar") }
        let b = Builder(types: p.types)
        let e = Emitter(b)
        b.appendInstrs(p.body.instrs)
        let wrtInputs = try wrt.map { name -> Input in
            guard let i = p.inputs.first(where: { $0.name == name }) else {
                throw Unsupported(description: "no input named '\(name)'")
            }
            return i
        }
        var active = Set(wrtInputs.map(\.value))
        markActive(p.body, &active)
        var adjoints: [Value: Value] = [:]
        if active.contains(seed) {
            adjoints[seed] = b.constant(1)
            try reverse(p.body.instrs, e, active: active, adjoints: &adjoints)
        }
        var outputs = p.outputs.map { ($0.name, $0.value) }
        for i in wrtInputs {
            let g = adjoints[i.value].map { e.fit($0, to: i.type) } ?? e.zeros(i.type)
            outputs.append(("\(prefix).\(i.name)", g))
        }
        let (instrs, types) = b.finish()
        return Simplify.run(Program(name: p.name + ".grad", inputs: p.inputs, body: Block(instrs: instrs, yields: outputs.map(\.1)),
                                    outputNames: outputs.map(\.0), types: types))
    }

    /// A program computing the gradient and the Hessian-vector product H·v for a direction
    /// given as inputs `tangent.NAME`; its outputs are those of `gradient` plus `hvp.NAME`.
    public static func hessianVectorProduct(_ p: Program, of output: String = "target", wrt: [String]) throws -> Program {
        let grad = try gradient(p, of: output, wrt: wrt)
        let b = Builder(types: grad.types)
        let e = Emitter(b)
        b.appendInstrs(grad.body.instrs)
        var inputs = grad.inputs
        var total: Value?
        for name in wrt {
            let i = grad.inputs.first { $0.name == name }!
            let v = b.inputValue(i.type)
            inputs.append(Input(name: "tangent.\(name)", value: v, role: .param, type: i.type, constraint: .none))
            let gk = grad.body.yields[grad.outputNames.firstIndex(of: "grad.\(name)")!]
            let term = e.sum(e.mul(gk, v))
            total = total.map { e.add($0, term) } ?? term
        }
        var outputs = grad.outputs.map { ($0.name, $0.value) }
        outputs.append(("gv", total ?? b.constant(0)))
        let (instrs, types) = b.finish()
        let withDirection = Program(name: grad.name, inputs: inputs, body: Block(instrs: instrs, yields: outputs.map(\.1)),
                                    outputNames: outputs.map(\.0), types: types)
        // The gradient of g·v with respect to the inputs is H·v.
        var second = try gradient(withDirection, of: "gv", wrt: wrt, prefix: "hvp")
        second.name = p.name + ".hvp"
        return Simplify.run(second, keeping: second.outputNames.filter { $0 != "gv" })
    }

    // MARK: - Activity

    /// Values that depend on the differentiated inputs.
    static func markActive(_ b: Block, _ active: inout Set<Value>) {
        for instr in b.instrs where instr.op.isDifferentiable || !instr.regions.isEmpty {
            var v = instr.args.contains(where: active.contains)
            if !instr.regions.isEmpty {
                v = v || instr.regions.contains { !$0.freeValues.isDisjoint(with: active) }
                if v { for r in instr.regions { active.formUnion(r.params); markActive(r, &active) } }
            }
            if v { active.formUnion(instr.results) }
        }
    }

    // MARK: - Reverse pass

    static func reverse(_ instrs: [Instr], _ e: Emitter, active: Set<Value>, adjoints: inout [Value: Value]) throws {
        func accumulate(_ v: Value, _ c: Value) {
            guard active.contains(v), e.type(v).elem == .real else { return }
            let fitted = e.fit(c, to: e.type(v))
            adjoints[v] = adjoints[v].map { e.add($0, fitted) } ?? fitted
        }
        for instr in instrs.reversed() {
            guard instr.results.contains(where: { adjoints[$0] != nil }) else { continue }
            switch instr.op {
            case .loop:
                throw Unsupported(description: "differentiating through a loop with a sequential dependence is not supported yet")
            case .cond:
                for (v, g) in try reverseCond(instr, e, active: active, seeds: instr.results.map { adjoints[$0] }) {
                    accumulate(v, g)
                }
            default:
                let g = adjoints[instr.result]!
                let contributions = DerivativeRules.pullback(instr, adjoint: g, e)
                for (arg, c) in zip(instr.args, contributions) {
                    if let c { accumulate(arg, c) }
                }
            }
        }
    }

    /// A branch on data: the reverse is a branch on the same condition whose arms run the
    /// reverse of the matching forward arm and yield the adjoints of the outer values it used.
    private static func reverseCond(_ instr: Instr, _ e: Emitter, active: Set<Value>, seeds: [Value?]) throws -> [(Value, Value)] {
        let free = instr.regions.reduce(Set<Value>()) { $0.union($1.freeValues) }
            .filter { active.contains($0) && e.type($0).elem == .real }.sorted()
        var arms: [Block] = []
        for region in instr.regions {
            _ = e.b.beginBlock(params: [])
            // The forward arm again, with fresh values, so the reverse can use its intermediates.
            let copy = e.b.clone(region, types: e.b.types, mapping: [:])
            var activeCopy = active
            markActive(Block(instrs: copy.instrs), &activeCopy)
            var inner: [Value: Value] = [:]
            for (y, s) in zip(copy.yields, seeds) {
                if let s, activeCopy.contains(y) { inner[y] = inner[y].map { e.add($0, s) } ?? s }
            }
            try reverse(copy.instrs, e, active: activeCopy, adjoints: &inner)
            let yields = free.map { v in inner[v].map { e.fit($0, to: e.type(v)) } ?? e.zeros(e.type(v)) }
            arms.append(e.b.endBlock(params: [], yields: yields))
        }
        let results = e.b.appendRegion(.cond, [instr.args[0]], regions: arms, resultTypes: free.map { e.type($0) })
        return Array(zip(free, results))
    }
}
