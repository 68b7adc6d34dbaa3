/// Symbolic sizes of int values that are constants, sizes or int data: what a loop's
/// bounds must be for its tape to have a size.
public struct SizeOf {
    private var sizes: [Value: Size] = [:]

    public init(_ p: Program) {
        self.init(inputs: p.inputs, body: p.body.instrs)
    }

    public init(inputs: [Input], body: [Instr]) {
        var named: [Value: Size] = [:]
        for i in inputs where i.type == .int { named[i.value] = Size(symbol: i.name) }
        self.init(sizes: named, body: body)
    }

    /// With the sizes of the values that name them (int data, named top-level lets).
    public init(sizes named: [Value: Size], body: [Instr]) {
        sizes = named
        collect(Block(instrs: body))
    }

    private mutating func collect(_ block: Block) {
        for instr in block.instrs {
            switch instr.op {
            case .const(let x) where x == x.rounded() && abs(x) < 1e12: sizes[instr.result] = Size(Int(x))
            case .size(let s): sizes[instr.result] = s
            case .binary(.add), .binary(.sub):
                if let a = sizes[instr.args[0]], let c = sizes[instr.args[1]] {
                    sizes[instr.result] = instr.op == .binary(.add) ? a + c : a - c
                }
            default: break
            }
            for r in instr.regions { collect(r) }
        }
    }

    public subscript(_ v: Value) -> Size? { sizes[v] }
}
