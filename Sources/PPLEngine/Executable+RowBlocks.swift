import COpenBLAS

/// One pass over a data matrix for gradients of the shape Xᵀ f(X β), as GLMs give: the
/// steps from η = X β to g = Xᵀ r run block of rows by block of rows (X_b β, the
/// elementwise steps on the block's rows, the block's part of every sum over the rows,
/// X_bᵀ r_b), so each block of X is read from memory once per evaluation, while it is in
/// cache, and the row vectors between stay in cache too. The blocks' parts of the sums are
/// added in block order: their values depend on the sizes alone, not on which thread ran
/// which block.
final class RowBlocks {
    /// The product η = X β, X (n×k) shared by the particles.
    let first: MatMul
    /// The product g = Xᵀ r, with the same X.
    let last: MatMul
    /// In their order, the elementwise steps whose results have a row each (count n) and
    /// the sums and dot products over the rows (`.sum` or `.dot` with count-n operands).
    let rowSteps: [Step]
    /// The sums and dot products among them.
    let reductions: [Step]
    /// The steps between the products that use none of the rows: run after the blocks.
    let after: [Step]
    let rows: Int
    let blockRows: Int
    /// Per block: each reduction's part for each particle, then each particle's part of g.
    let parts: UnsafeMutableBufferPointer<Double>

    var blocks: Int { (rows + blockRows - 1) / blockRows }
    var particles: Int { last.out.copies }
    var partSize: Int { reductions.count * particles + particles * last.m }

    init(first: MatMul, last: MatMul, rowSteps: [Step], reductions: [Step], after: [Step]) {
        self.first = first
        self.last = last
        self.rowSteps = rowSteps
        self.reductions = reductions
        self.after = after
        rows = first.m
        // About 64 KB of X a block, in whole SIMD vectors of rows.
        blockRows = max(64, min(2048, 8192 / max(1, first.k))) / 8 * 8
        parts = .allocate(capacity: (rows + blockRows - 1) / blockRows * (reductions.count * last.out.copies
                                                                            + last.out.copies * last.m))
    }

    deinit { parts.deallocate() }

    /// The fused form of `steps[i...]` when steps[i] begins the pattern: the fused step
    /// and how many steps it replaces.
    static func match(_ steps: [Step], at i: Int) -> (RowBlocks, Int)? {
        guard case .matmul(let first) = steps[i], !first.transposedA, first.n == 1, first.a.copies == 1,
              first.m >= 4 * 64, first.out.copies == first.b.copies else { return nil }
        let n = first.m, S = first.out.copies
        var rowSteps: [Step] = [], reductions: [Step] = [], after: [Step] = []
        for j in (i + 1)..<steps.count {
            switch steps[j] {
            case .matmul(let last) where last.transposedA && last.a.ptr == first.a.ptr && last.k == n && last.n == 1:
                guard last.m == first.k, last.out.copies == S, last.b.copies == S, last.b.count == n else { return nil }
                let fused = RowBlocks(first: first, last: last, rowSteps: rowSteps, reductions: reductions, after: after)
                return fused.isSafe ? (fused, j - i + 1) : nil
            case .unary(_, let out, let a) where out.count == n:
                guard [a].allSatisfy({ ($0.count == n || $0.count == 1) && ($0.copies == S || $0.copies == 1) }),
                      out.copies == S || out.copies == 1 else { return nil }
                rowSteps.append(steps[j])
            case .binary(_, let out, let a, let b) where out.count == n:
                guard [a, b].allSatisfy({ ($0.count == n || $0.count == 1) && ($0.copies == S || $0.copies == 1) }),
                      out.copies == S || out.copies == 1 else { return nil }
                rowSteps.append(steps[j])
            case .sum(let out, let a) where a.count == n:
                guard out.copies == S || out.copies == 1, a.copies == out.copies else { return nil }
                rowSteps.append(steps[j])
                reductions.append(steps[j])
            case .dot(let out, let a, let b) where a.count == n && b.count == n:
                guard out.copies == S || out.copies == 1, [a, b].allSatisfy({ $0.copies == S || $0.copies == 1 })
                else { return nil }
                rowSteps.append(steps[j])
                reductions.append(steps[j])
            case .matmul, .loop, .cond, .incomplete, .random, .at, .at2, .set, .set2, .pack, .rowBlocks, .arithmetic:
                return nil
            default:
                after.append(steps[j])
            }
        }
        return nil
    }

    /// Whether running the steps in blocks gives what running them in order gives. Within
    /// a row the order of the row steps is kept, so row buffers the plan shares between
    /// values stay correct; everything else must not meet the rows written: the scalars and
    /// vectors the blocks read, the reductions' results, and the steps moved after.
    var isSafe: Bool {
        var rowWrites = [range(first.out)]
        var otherReads: [Range<Int>] = [range(first.b), range(last.a)]
        var blockWrites = [range(last.out)]
        for step in rowSteps {
            let (out, args) = Self.slots(step)
            otherReads += args.filter { $0.count != rows }.map(range)
            if case .sum = step { blockWrites.append(range(out)) } else if case .dot = step { blockWrites.append(range(out)) } else {
                rowWrites.append(range(out))
            }
        }
        let written = rowWrites + blockWrites
        guard !meets(otherReads, written), !meets(blockWrites, rowWrites + otherReads),
              !meets(blockWrites, blockWrites, sameAllowed: true) else { return false }
        for step in after {
            let (out, args) = Self.slots(step)
            // A step moved after reads the rows' final contents: it must read none of them.
            if meets(args.map(range), rowWrites) || meets([range(out)], written + otherReads) { return false }
        }
        return true
    }

    private func range(_ s: Slot) -> Range<Int> {
        let start = Int(bitPattern: s.ptr)
        return start..<(start + s.count * s.copies * 8)
    }

    private func meets(_ a: [Range<Int>], _ b: [Range<Int>], sameAllowed: Bool = false) -> Bool {
        for (i, x) in a.enumerated() {
            for (j, y) in b.enumerated() where !(sameAllowed && i == j) && x.overlaps(y) { return true }
        }
        return false
    }

    /// A step's result slot and argument slots; the steps moved after may be of any kind,
    /// and one of an unknown kind is never moved (`match` ends there).
    static func slots(_ step: Step) -> (Slot, [Slot]) {
        switch step {
        case .unary(_, let out, let a), .polygamma(_, let out, let a), .sum(let out, let a), .logSumExp(let out, let a),
             .minElement(let out, let a), .maxElement(let out, let a), .cumulativeSum(let out, let a),
             .transpose(let out, let a, _, _), .tril(let out, let a, _), .cholesky(let out, let a, _),
             .diagonal(let out, let a, _), .diagMatrix(let out, let a, _), .fill(let out, let a), .copy(let out, let a),
             .particleSum(let out, let a), .range(let out, let a):
            return (out, [a])
        case .binary(_, let out, let a, let b), .intDivide(let out, let a, let b), .dot(let out, let a, let b),
             .concat(let out, let a, let b):
            return (out, [a, b])
        case .select(let out, let c, let a, let b):
            return (out, [c, a, b])
        case .triSolve(let out, let l, let b, _, _, _):
            return (out, [l, b])
        case .matmul(let mm):
            return (mm.out, [mm.a, mm.b])
        case .incomplete, .random, .pack, .at, .at2, .set, .set2, .loop, .cond, .rowBlocks, .arithmetic:
            // Never in a fused region (`match` refuses them).
            preconditionFailure("no fused region holds this step")
        }
    }
}

extension Executable {
    /// `steps` with every GLM-shaped region replaced by its row-blocked form.
    func fusingRowBlocks(_ steps: [Step]) -> [Step] {
        var out: [Step] = []
        var i = 0
        while i < steps.count {
            if let (fused, length) = RowBlocks.match(steps, at: i) {
                out.append(.rowBlocks(keep(fused)))
                i += length
            } else {
                out.append(steps[i])
                i += 1
            }
        }
        return out
    }

    /// Runs a row-blocked region: the blocks on the engine's threads, then their parts
    /// added in block order, then the steps that were moved after.
    func run(_ r: RowBlocks) {
        let S = r.particles, m = r.last.m, parts = r.parts.baseAddress!
        EngineThreads.parallel(r.blocks, threads: threads) { c in block(r, c, parts + c * r.partSize) }
        for (q, step) in r.reductions.enumerated() {
            let out = Self.slots(step).out
            for s in 0..<out.copies {
                var t = parts[q * S + s]
                for c in 1..<r.blocks { t += parts[c * r.partSize + q * S + s] }
                out.base(s)[0] = t
            }
        }
        let g = r.last.out, base = r.reductions.count * S
        for s in 0..<S {
            let o = g.base(s)
            o.update(from: parts + base + s * m, count: m)
            for c in 1..<r.blocks {
                let p = parts + c * r.partSize + base + s * m
                for i in 0..<m { o[i] += p[i] }
            }
        }
        execute(r.after)
    }

    private static func slots(_ step: Step) -> (out: Slot, args: [Slot]) { RowBlocks.slots(step) }

    /// Block c of a row-blocked region; `part` receives its parts of the sums.
    private func block(_ r: RowBlocks, _ c: Int, _ part: UnsafeMutablePointer<Double>) {
        let n = r.rows, first = c * r.blockRows, len = min(r.blockRows, n - first)
        let S = r.particles, f = r.first, l = r.last, k = f.k, m = l.m
        /// Particle s's rows of the block, or the scalar of a broadcast operand.
        func rows(_ slot: Slot, _ s: Int) -> Slot {
            slot.count == n ? Slot(ptr: slot.base(s) + first, count: len, copies: 1) : Slot(ptr: slot.base(s), count: 1, copies: 1)
        }
        // η_b = X_b β for every particle: (S×len) = B (S×k) · X_bᵀ, rows of η n apart.
        if S == 1 {
            cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(len), Int32(k), 1, f.a.ptr + first * k, Int32(k), f.b.ptr, 1, 0,
                        f.out.ptr + first, 1)
        } else {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(S), Int32(len), Int32(k), 1, f.b.ptr, Int32(k),
                        f.a.ptr + first * k, Int32(k), 0, f.out.ptr + first, Int32(n))
        }
        var q = 0
        for step in r.rowSteps {
            for s in 0..<S {
                switch step {
                case .unary(let fn, let out, let a):
                    if out.copies == 1 && s > 0 { continue }
                    execute(.unary(fn, out: rows(out, s), a: rows(a, s)))
                case .binary(let fn, let out, let a, let b):
                    if out.copies == 1 && s > 0 { continue }
                    execute(.binary(fn, out: rows(out, s), a: rows(a, s), b: rows(b, s)))
                case .sum(let out, let a):
                    if out.copies == 1 && s > 0 { continue }
                    execute(.sum(out: Slot(ptr: part + q * S + s, count: 1, copies: 1), a: rows(a, s)))
                case .dot(let out, let a, let b):
                    if out.copies == 1 && s > 0 { continue }
                    execute(.dot(out: Slot(ptr: part + q * S + s, count: 1, copies: 1), a: rows(a, s), b: rows(b, s)))
                default:
                    preconditionFailure("a row step is elementwise, a sum or a dot product")
                }
            }
            if case .sum = step { q += 1 } else if case .dot = step { q += 1 }
        }
        // The block's part of g = Xᵀ r for every particle: (S×m) = R_b (S×len) · X_b.
        let g = part + r.reductions.count * S
        if S == 1 {
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(len), Int32(m), 1, l.a.ptr + first * m, Int32(m), l.b.ptr + first, 1, 0,
                        g, 1)
        } else {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(S), Int32(m), Int32(len), 1, l.b.ptr + first, Int32(n),
                        l.a.ptr + first * m, Int32(m), 0, g, Int32(m))
        }
    }
}
