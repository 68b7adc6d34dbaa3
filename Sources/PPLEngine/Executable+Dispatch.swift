import CKernels
import COpenBLAS
import Foundation
import PPLIR

/// Dispatch: the one switch over steps, running each on its kernel (OpenBLAS, the C kernels
/// of CKernels, or a Swift loop), over all particles at once where the layout allows.
extension Executable {
    func execute(_ steps: [Step]) {
        // By index into the buffer: a for-in loop would copy every step out of the array.
        steps.withUnsafeBufferPointer { buffer in
            for i in buffer.indices { execute(buffer[i]) }
        }
    }

    static func arithmeticCode(_ f: BinaryFn) -> Int32? {
        switch f {
        case .add: return Int32(PPL_ADD.rawValue)
        case .sub: return Int32(PPL_SUB.rawValue)
        case .mul: return Int32(PPL_MUL.rawValue)
        case .div: return Int32(PPL_DIV.rawValue)
        default: return nil
        }
    }

    /// The vector kernel computing an elementwise function, if there is one.
    static func vectorCode(_ f: UnaryFn) -> Int32? {
        let op: ppl_unary
        switch f {
        case .exp: op = PPL_EXP
        case .log: op = PPL_LOG
        case .log1p: op = PPL_LOG1P
        case .expm1: op = PPL_EXPM1
        case .log1m: op = PPL_LOG1M
        case .tanh: op = PPL_TANH
        case .sin: op = PPL_SIN
        case .cos: op = PPL_COS
        case .erf: op = PPL_ERF
        case .inv_logit: op = PPL_INV_LOGIT
        case .log1p_exp: op = PPL_LOG1P_EXP
        case .log_inv_logit: op = PPL_LOG_INV_LOGIT
        case .log1m_inv_logit: op = PPL_LOG1M_INV_LOGIT
        case .logit: op = PPL_LOGIT
        default: return nil
        }
        return Int32(op.rawValue)
    }

    /// Arithmetic and sums of fewer elements than this (over all particles) run on Swift
    /// loops here; larger ones call the C kernels. `ArithmeticRun` takes the small ones.
    static let smallLength = 32

    // MARK: - Elementwise helpers

    /// out = f(a), elementwise over particles and elements, broadcasting a scalar or a
    /// value shared by all particles.
    @inline(__always)
    private func map1(_ out: Slot, _ a: Slot, _ f: (Double) -> Double) {
        let n = out.count
        if n == 1 {
            // A scalar per particle (the steps of a sequential loop): one flat loop over
            // the particles rather than a loop over one element per particle.
            let o = out.ptr, x = a.ptr, sa = a.stride
            for s in 0..<out.copies { o[s] = f(x[s * sa]) }
            return
        }
        for s in 0..<out.copies {
            let o = out.base(s), x = a.base(s)
            if a.count == n {
                for i in 0..<n { o[i] = f(x[i]) }
            } else {
                let v = f(x[0])
                for i in 0..<n { o[i] = v }
            }
        }
    }

    @inline(__always)
    private func map2(_ out: Slot, _ a: Slot, _ b: Slot, _ f: (Double, Double) -> Double) {
        let n = out.count
        if n == 1 {
            let o = out.ptr, x = a.ptr, y = b.ptr, sa = a.stride, sb = b.stride
            for s in 0..<out.copies { o[s] = f(x[s * sa], y[s * sb]) }
            return
        }
        for s in 0..<out.copies {
            let o = out.base(s), x = a.base(s), y = b.base(s)
            switch (a.count == n, b.count == n) {
            case (true, true): for i in 0..<n { o[i] = f(x[i], y[i]) }
            case (true, false): let c = y[0]; for i in 0..<n { o[i] = f(x[i], c) }
            case (false, true): let c = x[0]; for i in 0..<n { o[i] = f(c, y[i]) }
            case (false, false): let v = f(x[0], y[0]); for i in 0..<n { o[i] = v }
            }
        }
    }

    @inline(__always)
    private func reduce(_ out: Slot, _ a: Slot, _ f: (UnsafeMutablePointer<Double>, Int) -> Double) {
        for s in 0..<out.copies { out.base(s)[0] = f(a.base(s), a.count) }
    }

    /// A 1-based index stored as a double, checked against `n`; nil (and a recorded
    /// failure) when out of range.
    @inline(__always)
    private func index(_ x: Double, _ n: Int, _ cache: IndexCache, _ dimension: IndexCache.Dimension = .elements) -> Int? {
        // Whole by conversion, which compiles to an instruction where `rounded()` calls libm.
        if x >= 1, x <= Double(n), Double(Int(x)) == x { return Int(x) - 1 }
        if failure == nil { failure = cache.outOfRange(x, n, dimension) }
        return nil
    }

    /// The checked 0-based indices of an index value that does not vary, computed once;
    /// nil for indices that vary or are out of range (checked element by element then).
    private func indices(_ index: Slot, _ n: Int, _ cache: IndexCache) -> UnsafeBufferPointer<Int>? {
        guard cache.constant else { return nil }
        if let ints = cache.indices { return UnsafeBufferPointer(ints) }
        for k in 0..<index.count {
            let v = index.ptr[k]
            guard v >= 1, v <= Double(n), Double(Int(v)) == v else { return nil }
        }
        let ints = UnsafeMutableBufferPointer<Int>.allocate(capacity: index.count)
        for k in 0..<index.count { ints[k] = Int(index.ptr[k]) - 1 }
        cache.indices = ints
        if let first = ints.first, ints.indices.allSatisfy({ ints[$0] == first + $0 }) { cache.start = first }
        return UnsafeBufferPointer(ints)
    }

    /// The chunks of an elementwise step over `total` elements.
    @inline(__always)
    private func chunks(_ total: Int) -> Int { (total + EngineThreads.elementChunk - 1) / EngineThreads.elementChunk }

    /// Chunk c: its first element and its length.
    @inline(__always)
    private func chunk(_ c: Int, _ total: Int) -> (start: Int, count: Int) {
        let start = c * EngineThreads.elementChunk
        return (start, Swift.min(EngineThreads.elementChunk, total - start))
    }

    // MARK: - Steps

    // swiftlint:disable:next cyclomatic_complexity function_body_length
    func execute(_ step: Step) {
        switch step {
        case .unary(let f, let out, let a):
            if out.count == 1, out.copies == 1 {
                out.ptr[0] = ScalarMath.apply(f, a.ptr[0])
                return
            }
            if let code = Executable.vectorCode(f), a.count == out.count, out.count >= 8 {
                // libmvec over all particles in one call when both are laid out alike.
                if a.copies == out.copies {
                    let total = out.count * out.copies
                    if total >= EngineThreads.transcendentalThreshold {
                        let (x, o) = (a.ptr, out.ptr)
                        EngineThreads.parallel(chunks(total), threads: threads) { c in
                            let (start, n) = chunk(c, total)
                            ppl_unary(code, x + start, o + start, n)
                        }
                    } else {
                        ppl_unary(code, a.ptr, out.ptr, total)
                    }
                } else {
                    for s in 0..<out.copies { ppl_unary(code, a.base(s), out.base(s), out.count) }
                }
                return
            }
            switch f {
            case .neg: map1(out, a) { -$0 }
            case .exp: map1(out, a) { Foundation.exp($0) }
            case .log: map1(out, a) { Foundation.log($0) }
            case .square: map1(out, a) { $0 * $0 }
            case .sqrt: map1(out, a) { $0.squareRoot() }
            case .log1p: map1(out, a) { Foundation.log1p($0) }
            case .inv: map1(out, a) { 1 / $0 }
            case .log_inv_logit: map1(out, a) { -ScalarMath.log1pExp(-$0) }
            case .log1m_inv_logit: map1(out, a) { -ScalarMath.log1pExp($0) }
            default: map1(out, a) { ScalarMath.apply(f, $0) }
            }
        case .polygamma(let n, let out, let a):
            map1(out, a) { ScalarMath.polygamma(n, $0) }
        case .binary(let f, let out, let a, let b):
            if out.count == 1, out.copies == 1 {
                // Scalars: most steps of small models.
                let x = a.ptr[0], y = b.ptr[0]
                switch f {
                case .add: out.ptr[0] = x + y
                case .sub: out.ptr[0] = x - y
                case .mul: out.ptr[0] = x * y
                case .div: out.ptr[0] = x / y
                default: out.ptr[0] = ScalarMath.apply(f, x, y)
                }
                return
            }
            if f == .log_sum_exp, out.count >= 8 {
                var done = true
                for s in 0..<out.copies {
                    if a.count == out.count, b.count == out.count || b.count == 1 {
                        ppl_log_sum_exp(a.base(s), b.base(s), b.count == 1 ? 1 : 0, out.base(s), out.count)
                    } else if b.count == out.count, a.count == 1 {
                        ppl_log_sum_exp(b.base(s), a.base(s), 1, out.base(s), out.count)
                    } else {
                        done = false
                        break
                    }
                }
                if done { return }
            }
            if let code = Executable.arithmeticCode(f), out.count * out.copies >= Executable.smallLength {
                let n = out.count
                if a.copies == out.copies, b.copies == out.copies, a.count == n, b.count == n {
                    let total = n * out.copies
                    if total >= EngineThreads.arithmeticThreshold {
                        let (x, y, o) = (a.ptr, b.ptr, out.ptr)
                        EngineThreads.parallel(chunks(total), threads: threads) { c in
                            let (start, count) = chunk(c, total)
                            ppl_binary(code, x + start, 0, y + start, 0, o + start, count)
                        }
                    } else {
                        ppl_binary(code, a.ptr, 0, b.ptr, 0, out.ptr, total)
                    }
                } else {
                    for s in 0..<out.copies {
                        ppl_binary(code, a.base(s), a.count == n ? 0 : 1, b.base(s), b.count == n ? 0 : 1, out.base(s), n)
                    }
                }
                return
            }
            switch f {
            case .add: map2(out, a, b) { $0 + $1 }
            case .sub: map2(out, a, b) { $0 - $1 }
            case .mul: map2(out, a, b) { $0 * $1 }
            case .div: map2(out, a, b) { $0 / $1 }
            case .lt: map2(out, a, b) { $0 < $1 ? 1 : 0 }
            case .le: map2(out, a, b) { $0 <= $1 ? 1 : 0 }
            case .gt: map2(out, a, b) { $0 > $1 ? 1 : 0 }
            case .ge: map2(out, a, b) { $0 >= $1 ? 1 : 0 }
            default: map2(out, a, b) { ScalarMath.apply(f, $0, $1) }
            }
        case .intDivide(let out, let a, let b):
            map2(out, a, b) { ($0 / $1).rounded(.towardZero) }
        case .select(let out, let c, let a, let b):
            let n = out.count
            if c.count == n, a.count == n, b.count == n, c.copies == out.copies, a.copies == out.copies,
               b.copies == out.copies {
                let o = out.ptr, cc = c.ptr, x = a.ptr, y = b.ptr
                for i in 0..<(n * out.copies) { o[i] = cc[i] != 0 ? x[i] : y[i] }
                return
            }
            if c.count == n, c.copies == out.copies, a.count == 1, b.count == 1, a.copies == 1, b.copies == 1 {
                // Between two scalars (a slope).
                let o = out.ptr, cc = c.ptr, x = a.ptr[0], y = b.ptr[0]
                for i in 0..<(n * out.copies) { o[i] = cc[i] != 0 ? x : y }
                return
            }
            for s in 0..<out.copies {
                let o = out.base(s), cc = c.base(s), x = a.base(s), y = b.base(s)
                for i in 0..<n {
                    let cond = cc[c.count == n ? i : 0] != 0
                    o[i] = cond ? x[a.count == n ? i : 0] : y[b.count == n ? i : 0]
                }
            }
        case .sum(let out, let a):
            if a.count >= Executable.smallLength {
                for s in 0..<out.copies { out.base(s)[0] = ppl_sum(a.base(s), a.count) }
            } else {
                reduce(out, a) { p, n in var t = 0.0; for i in 0..<n { t += p[i] }; return t }
            }
        case .logSumExp(let out, let a):
            reduce(out, a) { p, n in
                var m = -Double.infinity
                for i in 0..<n where p[i] > m { m = p[i] }
                if m == -.infinity || m.isNaN { return m.isNaN ? m : -.infinity }
                if m == .infinity { return .infinity }
                var t = 0.0
                for i in 0..<n { t += Foundation.exp(p[i] - m) }
                return m + Foundation.log(t)
            }
        case .minElement(let out, let a):
            reduce(out, a) { p, n in var m = Double.infinity; for i in 0..<n { m = Swift.min(m, p[i]) }; return m }
        case .maxElement(let out, let a):
            reduce(out, a) { p, n in var m = -Double.infinity; for i in 0..<n { m = Swift.max(m, p[i]) }; return m }
        case .cumulativeSum(let out, let a):
            for s in 0..<out.copies {
                let o = out.base(s), x = a.base(s)
                var t = 0.0
                for i in 0..<out.count { t += x[i]; o[i] = t }
            }
        case .dot(let out, let a, let b):
            let n = a.count
            if n == 0 {
                // A dot product of empty vectors (see `matmul`).
                for s in 0..<out.copies { out.base(s)[0] = 0 }
                return
            }
            if out.copies > 1, a.copies == 1 {
                // One matrix-vector product over all particles.
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(out.copies), Int32(n), 1, b.ptr, Int32(n), a.ptr, 1, 0, out.ptr, 1)
            } else if out.copies > 1, b.copies == 1 {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(out.copies), Int32(n), 1, a.ptr, Int32(n), b.ptr, 1, 0, out.ptr, 1)
            } else {
                for s in 0..<out.copies { out.base(s)[0] = cblas_ddot(Int32(n), a.base(s), 1, b.base(s), 1) }
            }
        case .matmul(let mm):
            matmul(mm)
        case .transpose(let out, let a, let rows, let cols):
            for s in 0..<out.copies {
                let o = out.base(s), x = a.base(s)
                for r in 0..<rows { for c in 0..<cols { o[c * rows + r] = x[r * cols + c] } }
            }
        case .triSolve(let out, let l, let b, let n, let k, let transposed):
            for s in 0..<out.copies {
                let o = out.base(s)
                o.update(from: b.base(s), count: n * k)
                cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, transposed ? CblasTrans : CblasNoTrans, CblasNonUnit,
                            Int32(n), Int32(k), 1, l.base(s), Int32(n), o, Int32(k))
            }
        case .tril(let out, let a, let n):
            for s in 0..<out.copies {
                let o = out.base(s), x = a.base(s)
                for r in 0..<n { for c in 0..<n { o[r * n + c] = c <= r ? x[r * n + c] : 0 } }
            }
        case .cholesky(let out, let a, let n):
            cholesky(out, a, n)
        case .incomplete(let reference):
            incomplete(reference.takeUnretainedValue())
        case .random(let reference):
            random(reference.takeUnretainedValue())
        case .diagonal(let out, let a, let n):
            for s in 0..<out.copies { let o = out.base(s), x = a.base(s); for i in 0..<n { o[i] = x[i * n + i] } }
        case .diagMatrix(let out, let a, let n):
            for s in 0..<out.copies {
                let o = out.base(s), x = a.base(s)
                o.update(repeating: 0, count: n * n)
                for i in 0..<n { o[i * n + i] = x[i] }
            }
        case .fill(let out, let a):
            for s in 0..<out.copies { out.base(s).update(repeating: a.base(s)[0], count: out.count) }
        case .pack(let out, let list):
            let items = list.takeUnretainedValue().slots
            // Scalars into a vector, or rows (each `count` long) into a matrix, end to end.
            for s in 0..<out.copies {
                var o = out.base(s)
                for item in items {
                    o.update(from: item.base(s), count: item.count)
                    o += item.count
                }
            }
        case .range(let out, let lo):
            let start = lo.ptr[0]
            for i in 0..<out.count { out.ptr[i] = start + Double(i) }
        case .concat(let out, let a, let b):
            for s in 0..<out.copies {
                out.base(s).update(from: a.base(s), count: a.count)
                (out.base(s) + a.count).update(from: b.base(s), count: b.count)
            }
        case .at(let out, let x, let index, let row, let cacheReference):
            cacheReference._withUnsafeGuaranteedRef { cache in
                let n = x.count / max(1, row)
                if let ii = indices(index, n, cache) {
                    for s in 0..<out.copies {
                        let o = out.base(s), src = x.base(s)
                        if let start = cache.start {
                            o.update(from: src + start * row, count: ii.count * row)
                        } else if row == 1 {
                            ppl_gather(src, ii.baseAddress!, o, ii.count)
                        } else {
                            for k in 0..<ii.count { (o + k * row).update(from: src + ii[k] * row, count: row) }
                        }
                    }
                } else if row == 1, index.count == 1, index.copies == 1 {
                    // One element at an index shared by the particles (a loop's x[t]): checked
                    // once, read without a block copy.
                    guard let i = self.index(index.ptr[0], n, cache) else {
                        for s in 0..<out.copies { out.base(s)[0] = .nan }
                        return
                    }
                    for s in 0..<out.copies { out.base(s)[0] = x.base(s)[i] }
                } else {
                    for s in 0..<out.copies {
                        let o = out.base(s), src = x.base(s), idx = index.base(s)
                        for k in 0..<index.count {
                            if let i = self.index(idx[k], n, cache, row == 1 ? .elements : .rows) {
                                (o + k * row).update(from: src + i * row, count: row)
                            } else {
                                (o + k * row).update(repeating: .nan, count: row)
                            }
                        }
                    }
                }
            }
        case .at2(let out, let x, let i, let j, let rows, let cols, let outer, let cacheReference):
            cacheReference._withUnsafeGuaranteedRef { cache in
                for s in 0..<out.copies {
                    let o = out.base(s), src = x.base(s), ii = i.base(s), jj = j.base(s)
                    if outer {
                        for a in 0..<i.count {
                            for b in 0..<j.count {
                                if let r = index(ii[a], rows, cache, .rows), let c = index(jj[b], cols, cache, .columns) {
                                    o[a * j.count + b] = src[r * cols + c]
                                } else { o[a * j.count + b] = .nan }
                            }
                        }
                    } else {
                        for k in 0..<out.count {
                            if let r = index(ii[i.count == 1 ? 0 : k], rows, cache, .rows),
                               let c = index(jj[j.count == 1 ? 0 : k], cols, cache, .columns) {
                                o[k] = src[r * cols + c]
                            } else { o[k] = .nan }
                        }
                    }
                }
            }
        case .set(let out, let x, let index, let v, let row, let add, let cacheReference):
            cacheReference._withUnsafeGuaranteedRef { cache in
                let n = x.count / max(1, row)
                let ints = indices(index, n, cache)
                for s in 0..<out.copies {
                    let o = out.base(s), val = v.base(s), idx = index.base(s)
                    if o != x.base(s) { o.update(from: x.base(s), count: x.count) }
                    if row == 1, ints != nil, let start = cache.start, v.count == index.count {
                        if add {
                            ppl_binary(Int32(PPL_ADD.rawValue), o + start, 0, val, 0, o + start, v.count)
                        } else {
                            (o + start).update(from: val, count: v.count)
                        }
                        continue
                    }
                    if row == 1, let ints, v.count == index.count || v.count == 1 {
                        ppl_scatter(o, ints.baseAddress!, val, v.count == 1 ? 1 : 0, add ? 0 : 1, ints.count)
                        continue
                    }
                    for k in 0..<index.count {
                        guard let i = ints?[k] ?? self.index(idx[k], n, cache, row == 1 ? .elements : .rows) else { continue }
                        if row == 1 {
                            let e = v.count == 1 ? val[0] : val[k]
                            if add { o[i] += e } else { o[i] = e }
                        } else {
                            for j in 0..<row {
                                let e = v.count == 1 ? val[0] : val[k * row + j]
                                if add { o[i * row + j] += e } else { o[i * row + j] = e }
                            }
                        }
                    }
                }
            }
        case .set2(let out, let x, let i, let j, let v, let rows, let cols, let outer, let add, let cacheReference):
            cacheReference._withUnsafeGuaranteedRef { cache in
                for s in 0..<out.copies {
                    let o = out.base(s), ii = i.base(s), jj = j.base(s), val = v.base(s)
                    if o != x.base(s) { o.update(from: x.base(s), count: x.count) }
                    let pairs = outer ? i.count * j.count : Swift.max(i.count, j.count)
                    for k in 0..<pairs {
                        let a = outer ? k / j.count : (i.count == 1 ? 0 : k)
                        let b = outer ? k % j.count : (j.count == 1 ? 0 : k)
                        guard let r = index(ii[a], rows, cache, .rows), let c = index(jj[b], cols, cache, .columns) else { continue }
                        let e = v.count == 1 ? val[0] : val[k]
                        if add { o[r * cols + c] += e } else { o[r * cols + c] = e }
                    }
                }
            }
        case .particleSum(let out, let a):
            out.ptr.update(from: a.ptr, count: out.count)
            for s in 1..<Swift.max(1, a.copies) {
                ppl_binary(Int32(PPL_ADD.rawValue), out.ptr, 0, a.base(s), 0, out.ptr, out.count)
            }
        case .copy(let out, let a):
            if out.ptr == a.ptr { return }
            for s in 0..<out.copies { out.base(s).update(from: a.base(s), count: out.count) }
        case .loop(let reference):
            let loop = reference.takeUnretainedValue()
            for (p, i) in zip(loop.carried, loop.inits) { copy(i, into: p) }
            let lo = Int(loop.lo.ptr[0]), hi = Int(loop.hi.ptr[0])
            if lo <= hi {
                for t in lo...hi {
                    loop.index.ptr[0] = Double(t)
                    execute(loop.body)
                    for (p, y) in zip(loop.carried, loop.yields) where p.ptr != y.ptr { copy(y, into: p) }
                }
            }
            for (r, p) in zip(loop.results, loop.carried) { copy(p, into: r) }
        case .rowBlocks(let reference):
            run(reference.takeUnretainedValue())
        case .arithmetic(let reference):
            // Borrowed, not retained: a retain and release would cost as much as the run.
            reference._withUnsafeGuaranteedRef { $0.run() }
        case .cond(let reference):
            let cond = reference.takeUnretainedValue()
            let k = cond.condition.ptr[0] != 0 ? 0 : 1
            execute(cond.branches[k])
            for (r, y) in zip(cond.results, cond.yields[k]) { copy(y, into: r) }
        }
    }

    /// L with A = L Lᵀ from A's lower triangle, per particle, by LAPACK's dpotrf: A row-major
    /// is Aᵀ column-major, whose upper factor U (Aᵀ = Uᵀ U) is L row-major. A matrix that is
    /// not positive definite gives NaN, which rejects the step like any non-finite density.
    private func cholesky(_ out: Slot, _ a: Slot, _ n: Int) {
        var size = Int32(n), info: Int32 = 0
        var upper = CChar(UInt8(ascii: "U"))
        for s in 0..<out.copies {
            let o = out.base(s)
            if o != a.base(s) { o.update(from: a.base(s), count: n * n) }
            if n == 0 { continue }
            dpotrf_(&upper, &size, o, &size, &info)
            if info != 0 {
                o.update(repeating: .nan, count: n * n)
                continue
            }
            for r in 0..<n { for c in (r + 1)..<n { o[r * n + c] = 0 } }
        }
    }

    /// An incomplete beta or gamma function elementwise, an argument of one element standing
    /// for all.
    private func incomplete(_ step: Incomplete) {
        let out = step.out, n = out.count
        var args = [Double](repeating: 0, count: step.args.count)
        for s in 0..<out.copies {
            let o = out.base(s)
            let bases = step.args.map { $0.base(s) }
            for i in 0..<n {
                for (k, a) in step.args.enumerated() { args[k] = bases[k][a.count == n ? i : 0] }
                o[i] = ScalarMath.incomplete(step.f, args, orders: step.orders)
            }
        }
    }

    /// Draws elementwise, an argument of one element standing for all; each element's
    /// generator is seeded by its site, key values and position (`RNG(site:keys:element:)`).
    private func random(_ step: RandomDraw) {
        let out = step.out, n = out.count
        var keys = [Double](repeating: 0, count: step.keys)
        var params = [Double](repeating: 0, count: step.args.count - step.keys)
        for s in 0..<out.copies {
            let o = out.base(s)
            let bases = step.args.map { $0.base(s) }
            for i in 0..<n {
                for (k, a) in step.args.enumerated() {
                    let x = bases[k][a.count == n ? i : 0]
                    if k < step.keys { keys[k] = x } else { params[k - step.keys] = x }
                }
                var rng = RNG(site: step.site, keys: keys, element: i)
                o[i] = rng.draw(step.f, params)
            }
        }
    }

    /// Copies a value into a slot of the same size, broadcasting a shared value to particles.
    private func copy(_ a: Slot, into out: Slot) {
        for s in 0..<out.copies { out.base(s).update(from: a.base(s), count: out.count) }
    }

    /// (m×k)·(k×n) per particle; a shared matrix times per-particle vectors is one GEMM.
    /// Large products are split on the engine's threads (`EngineThreads`): over particles,
    /// over blocks of particles of a GEMM, or over blocks of rows of a matrix–vector product,
    /// always at the same places for the same sizes.
    private func matmul(_ mm: MatMul) {
        let (out, a, b, m, k, n) = (mm.out, mm.a, mm.b, mm.m, mm.k, mm.n)
        // An empty dimension (a slice over an empty range: a loop from 2 to N − 1 with N = 2
        // vectorises to one): no result for no rows or columns, zeros for a sum over nothing.
        // OpenBLAS would refuse the call ("illegal value") and leave the result unwritten.
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            for s in 0..<out.copies { out.base(s).update(repeating: 0, count: out.count) }
            return
        }
        let S = out.copies
        let large = S * m * k * n >= EngineThreads.productThreshold
        if k == 1, !large, !(S == 1 && a.copies > 1 && b.copies > 1) {
            // An outer product (a flow's weight gradients at one draw): one multiplication an
            // element, where OpenBLAS's GEMM call, its packing and its buffer lock cost more.
            // With k = 1 the stored Aᵀ is laid out as A.
            for s in 0..<S {
                let o = out.base(s), x = a.base(s), y = b.base(s)
                for i in 0..<m {
                    let xi = x[i], row = o + i * n
                    for j in 0..<n { row[j] = xi * y[j] }
                }
            }
            return
        }
        if mm.transposedA {
            // a holds Aᵀ (k×m, one copy).
            if S > 1, b.copies > 1, n == 1 {
                // out (S×m) = B (S×k) · Aᵀ
                particleBlocks(S, large) { first, count in
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(m), Int32(k), 1,
                                b.base(first), Int32(k), a.ptr, Int32(m), 0, out.base(first), Int32(m))
                }
                return
            }
            if S == 1, n == 1, k >= 2 * EngineThreads.rowBlock, large {
                transposedRowBlocks(mm)
                return
            }
            if S == 1, n > 1, b.copies == 1, let blocks = gemmRowBlocks(m, k, n) {
                // Blocks of the result's rows: columns of the stored Aᵀ.
                EngineThreads.parallel(blocks, threads: threads) { c in
                    let first = c * EngineThreads.gemmRowBlock, rows = Swift.min(EngineThreads.gemmRowBlock, m - first)
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(rows), Int32(n), Int32(k), 1,
                                a.ptr + first, Int32(m), b.ptr, Int32(n), 0, out.ptr + first * n, Int32(n))
                }
                return
            }
            perParticle(S, large) { s in
                if n == 1 {
                    cblas_dgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(m), 1, a.ptr, Int32(m), b.base(s), 1, 0,
                                out.base(s), 1)
                } else {
                    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                a.ptr, Int32(m), b.base(s), Int32(n), 0, out.base(s), Int32(n))
                }
            }
            return
        }
        if S == 1, a.copies > 1, b.copies > 1 {
            // A sum over the particles of per-particle products (see `BufferPlan.reducible`).
            if k == 1 {
                // Σ_s a_s b_sᵀ = Aᵀ B with A (S×m) and B (S×n): one GEMM.
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(n), Int32(a.copies), 1,
                            a.ptr, Int32(m), b.ptr, Int32(n), 0, out.ptr, Int32(n))
            } else {
                for s in 0..<a.copies {
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                                a.base(s), Int32(k), b.base(s), Int32(n), s == 0 ? 0 : 1, out.ptr, Int32(n))
                }
            }
            return
        }
        if S > 1, a.copies == 1, b.copies > 1, n == 1 {
            // out (S×m) = B (S×k) · Aᵀ
            particleBlocks(S, large) { first, count in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(count), Int32(m), Int32(k), 1,
                            b.base(first), Int32(k), a.ptr, Int32(k), 0, out.base(first), Int32(m))
            }
            return
        }
        if S > 1, b.copies == 1, a.copies > 1, m == 1 {
            // out (S×n) = A (S×k) · B
            particleBlocks(S, large) { first, count in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(count), Int32(n), Int32(k), 1,
                            a.base(first), Int32(k), b.ptr, Int32(n), 0, out.base(first), Int32(n))
            }
            return
        }
        if S == 1, n == 1, m >= 2 * EngineThreads.rowBlock, large {
            // Rows of a matrix–vector product are independent: blocks of them in parallel.
            let blocks = (m + EngineThreads.rowBlock - 1) / EngineThreads.rowBlock
            EngineThreads.parallel(blocks, threads: threads) { c in
                let first = c * EngineThreads.rowBlock, rows = Swift.min(EngineThreads.rowBlock, m - first)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(rows), Int32(k), 1, a.ptr + first * k, Int32(k), b.ptr, 1, 0,
                            out.ptr + first, 1)
            }
            return
        }
        if S == 1, n > 1, a.copies == 1, b.copies == 1, let blocks = gemmRowBlocks(m, k, n) {
            EngineThreads.parallel(blocks, threads: threads) { c in
                let first = c * EngineThreads.gemmRowBlock, rows = Swift.min(EngineThreads.gemmRowBlock, m - first)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(rows), Int32(n), Int32(k), 1,
                            a.ptr + first * k, Int32(k), b.ptr, Int32(n), 0, out.ptr + first * n, Int32(n))
            }
            return
        }
        perParticle(S, large) { s in
            if n == 1 {
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(m), Int32(k), 1, a.base(s), Int32(k), b.base(s), 1, 0,
                            out.base(s), 1)
            } else if m == 1 {
                cblas_dgemv(CblasRowMajor, CblasTrans, Int32(k), Int32(n), 1, b.base(s), Int32(n), a.base(s), 1, 0,
                            out.base(s), 1)
            } else {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a.base(s), Int32(k), b.base(s), Int32(n), 0, out.base(s), Int32(n))
            }
        }
    }

    /// The blocks of `EngineThreads.gemmRowBlock` rows one (m×k)·(k×n) product is split
    /// into, nil where it is done whole: with one thread, or too few rows or multiply-adds.
    @inline(__always)
    private func gemmRowBlocks(_ m: Int, _ k: Int, _ n: Int) -> Int? {
        guard threads > 1, m >= 2 * EngineThreads.gemmRowBlock, m * k * n >= EngineThreads.gemmThreshold else { return nil }
        return (m + EngineThreads.gemmRowBlock - 1) / EngineThreads.gemmRowBlock
    }

    /// `body(s)` for every particle, on the engine's threads when the product is large.
    @inline(__always)
    private func perParticle(_ S: Int, _ large: Bool, _ body: (Int) -> Void) {
        if large && S > 1 {
            EngineThreads.parallel(S, threads: threads, body)
        } else {
            for s in 0..<S { body(s) }
        }
    }

    /// `body(first, count)` over blocks of `EngineThreads.particleBlock` particles when the
    /// product is large, else once over all of them.
    @inline(__always)
    private func particleBlocks(_ S: Int, _ large: Bool, _ body: (Int, Int) -> Void) {
        let size = EngineThreads.particleBlock
        guard large, S > size else { return body(0, S) }
        EngineThreads.parallel((S + size - 1) / size, threads: threads) { c in body(c * size, Swift.min(size, S - c * size)) }
    }

    /// Aᵀ r for one particle, with `a` holding Aᵀ (k×m, k large: a data matrix's rows):
    /// each block of rows gives its part of the sum, the parts added in block order.
    private func transposedRowBlocks(_ mm: MatMul) {
        let (out, a, b, m, k) = (mm.out, mm.a, mm.b, mm.m, mm.k)
        let size = EngineThreads.rowBlock
        let blocks = (k + size - 1) / size
        if rowScratch.count < blocks * m {
            rowScratch.deallocate()
            rowScratch = .allocate(capacity: blocks * m)
        }
        let parts = rowScratch.baseAddress!
        EngineThreads.parallel(blocks, threads: threads) { c in
            let first = c * size, rows = Swift.min(size, k - first)
            cblas_dgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(m), 1, a.ptr + first * m, Int32(m), b.ptr + first, 1, 0,
                        parts + c * m, 1)
        }
        out.ptr.update(from: parts, count: m)
        for c in 1..<blocks {
            let p = parts + c * m
            for i in 0..<m { out.ptr[i] += p[i] }
        }
    }
}
