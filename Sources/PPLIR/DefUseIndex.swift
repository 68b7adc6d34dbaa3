/// Where every value of a program is defined and where it is read, over all its blocks,
/// built in one walk. Blocks are numbered in the order of the walk, the program's body
/// first (block 0); instructions are numbered in the same order, an instruction before the
/// instructions of its regions.
public struct DefUseIndex {
    /// A place a value is read: argument `position` of instruction `instr`, or, when `instr`
    /// is nil, yield `position` of block `block`.
    public struct Use: Hashable, Sendable {
        public let instr: Int?
        public let position: Int
        public let block: Int
        public init(instr: Int?, position: Int, block: Int) {
            self.instr = instr
            self.position = position
            self.block = block
        }
    }

    /// Every instruction of the program, in the order of the walk.
    public private(set) var instrs: [Instr] = []
    /// Every block, in the order of the walk.
    public private(set) var blocks: [Block] = []
    /// Every value a block defines: a block's parameters, then each instruction's results
    /// followed by the values of its regions.
    public private(set) var values: [Value] = []
    /// The block holding each instruction.
    public private(set) var blockOf: [Int] = []
    /// Each block's instruction and region number: nil for the body.
    public private(set) var owner: [(instr: Int, region: Int)?] = []
    /// The instruction defining each value (nil for inputs and block parameters).
    private var definitions: [Value: Int] = [:]
    /// The block defining each value: its parameters' and its instructions' results.
    private var definingBlock: [Value: Int] = [:]
    private var readers: [Value: [Use]] = [:]

    public init(_ program: Program) {
        walk(program.body, owner: nil)
    }

    private mutating func walk(_ block: Block, owner: (instr: Int, region: Int)?) {
        let b = blocks.count
        blocks.append(block)
        self.owner.append(owner)
        values += block.params
        for p in block.params { definingBlock[p] = b }
        for instr in block.instrs {
            let k = instrs.count
            instrs.append(instr)
            blockOf.append(b)
            values += instr.results
            for v in instr.results {
                definitions[v] = k
                definingBlock[v] = b
            }
            for (p, a) in instr.args.enumerated() { readers[a, default: []].append(Use(instr: k, position: p, block: b)) }
            for (r, region) in instr.regions.enumerated() { walk(region, owner: (k, r)) }
        }
        for (p, y) in block.yields.enumerated() { readers[y, default: []].append(Use(instr: nil, position: p, block: b)) }
    }

    /// The instruction defining `v`, if an instruction does.
    public func definition(of v: Value) -> Instr? { definitions[v].map { instrs[$0] } }

    /// The number of the instruction defining `v`.
    public func definingInstr(of v: Value) -> Int? { definitions[v] }

    /// The block whose instruction or parameter defines `v`; nil for an input.
    public func block(of v: Value) -> Int? { definingBlock[v] }

    /// Whether `v` is the result of an instruction of the body (not of a nested block).
    public func isTopLevelResult(_ v: Value) -> Bool { definitions[v] != nil && definingBlock[v] == 0 }

    /// Every read of `v`: arguments and yields, in every block.
    public func uses(of v: Value) -> [Use] { readers[v] ?? [] }

    /// The instruction of the body that holds instruction `k` (`k` itself at top level).
    public func topLevelAncestor(of k: Int) -> Int {
        var k = k
        while let o = owner[blockOf[k]] { k = o.instr }
        return k
    }

    /// The instructions of the body that read `v`, as an argument or inside one of their
    /// regions, once per read (the yields of the body are not instructions).
    public func topLevelReaders(of v: Value) -> [Int] {
        uses(of: v).compactMap { use in
            if use.block == 0 { return use.instr }
            return topLevelAncestor(of: use.instr ?? owner[use.block]!.instr)
        }
    }
}
