import COpenBLAS
import PPLIR

/// A run of small arithmetic steps as one step. In a small model most steps are +, −, ×,
/// ÷, negation, squaring, sums or dot products of a few numbers (the leapfrog steps of Hamiltonian VI on a
/// ten-dimensional posterior are hundreds of them), and dispatching a step through the
/// engine's switch costs more than its arithmetic. A run of such steps in a row becomes a
/// table the engine walks in one tight loop: the same operations on the same buffers in
/// the same order, so results are bit-identical to the steps run one by one.
final class ArithmeticRun {
    enum Code: UInt8 { case add, sub, mul, div, neg, square, sum, dot }

    /// out[i] = a[i or 0] op b[i or 0] for i in 0..<length, over every particle's elements
    /// at once (particle-major); a broadcast operand is one number shared by all of them.
    /// For `sum` and `dot` (of one copy), out[0] is the sum over a's `length` elements, or
    /// the dot product of a and b.
    struct Op {
        let out: UnsafeMutablePointer<Double>
        let a: UnsafeMutablePointer<Double>
        let b: UnsafeMutablePointer<Double>
        let length: Int32
        let code: Code
        let broadcastA: Bool
        let broadcastB: Bool
    }

    let ops: UnsafeMutableBufferPointer<Op>

    init(_ ops: [Op]) {
        self.ops = .allocate(capacity: ops.count)
        _ = self.ops.initialize(from: ops)
    }

    deinit { ops.deallocate() }

    /// The table entry of a step, if the step is small arithmetic whose operands are laid
    /// out as its result or are one shared number.
    static func op(_ step: Step) -> Op? {
        switch step {
        case .binary(let f, let out, let a, let b):
            let code: Code
            switch f {
            case .add: code = .add
            case .sub: code = .sub
            case .mul: code = .mul
            case .div: code = .div
            default: return nil
            }
            guard let (length, ba) = layout(out, a), let (_, bb) = layout(out, b) else { return nil }
            return Op(out: out.ptr, a: a.ptr, b: b.ptr, length: length, code: code, broadcastA: ba, broadcastB: bb)
        case .unary(let f, let out, let a):
            let code: Code
            switch f {
            case .neg: code = .neg
            case .square: code = .square
            default: return nil
            }
            guard let (length, ba) = layout(out, a), !ba || length == 1 else { return nil }
            return Op(out: out.ptr, a: a.ptr, b: a.ptr, length: length, code: code, broadcastA: ba, broadcastB: ba)
        case .sum(let out, let a):
            guard out.copies == 1, a.copies == 1, a.count < Executable.smallLength else { return nil }
            return Op(out: out.ptr, a: a.ptr, b: a.ptr, length: Int32(a.count), code: .sum, broadcastA: false,
                      broadcastB: false)
        case .dot(let out, let a, let b):
            guard out.copies == 1, a.copies == 1, b.copies == 1, a.count < Executable.smallLength else { return nil }
            return Op(out: out.ptr, a: a.ptr, b: b.ptr, length: Int32(a.count), code: .dot, broadcastA: false,
                      broadcastB: false)
        default:
            return nil
        }
    }

    /// The length of a small result and whether `operand` is broadcast to it: nil where
    /// the result is too large or the operand is laid out otherwise (a vector shared by
    /// the particles, a number per particle against a vector per particle).
    private static func layout(_ out: Slot, _ operand: Slot) -> (Int32, Bool)? {
        let length = out.count * out.copies
        guard length < Executable.smallLength else { return nil }
        if operand.count == out.count && operand.copies == out.copies { return (Int32(length), false) }
        if operand.count == 1 && operand.copies == 1 { return (Int32(length), true) }
        return nil
    }

    func run() {
        for op in ops {
            let n = Int(op.length), o = op.out, a = op.a, b = op.b
            if n == 1 {
                switch op.code {
                case .add: o[0] = a[0] + b[0]
                case .sub: o[0] = a[0] - b[0]
                case .mul: o[0] = a[0] * b[0]
                case .div: o[0] = a[0] / b[0]
                case .neg: o[0] = -a[0]
                case .square: o[0] = a[0] * a[0]
                case .sum: o[0] = 0 + a[0]
                case .dot: o[0] = cblas_ddot(1, a, 1, b, 1)
                }
                continue
            }
            switch op.code {
            case .add: Self.map(n, o, a, b, op.broadcastA, op.broadcastB) { $0 + $1 }
            case .sub: Self.map(n, o, a, b, op.broadcastA, op.broadcastB) { $0 - $1 }
            case .mul: Self.map(n, o, a, b, op.broadcastA, op.broadcastB) { $0 * $1 }
            case .div: Self.map(n, o, a, b, op.broadcastA, op.broadcastB) { $0 / $1 }
            case .neg: for i in 0..<n { o[i] = -a[i] }
            case .square: for i in 0..<n { o[i] = a[i] * a[i] }
            // As the dispatch computes them: a sum in order, OpenBLAS's dot product.
            case .sum: var t = 0.0; for i in 0..<n { t += a[i] }; o[0] = t
            case .dot: o[0] = cblas_ddot(Int32(n), a, 1, b, 1)
            }
        }
    }

    /// o[i] = f(a[i], b[i]) with either operand broadcast, a loop per case so that each
    /// is a plain loop over contiguous elements.
    @inline(__always)
    private static func map(_ n: Int, _ o: UnsafeMutablePointer<Double>, _ a: UnsafeMutablePointer<Double>,
                            _ b: UnsafeMutablePointer<Double>, _ broadcastA: Bool, _ broadcastB: Bool,
                            _ f: (Double, Double) -> Double) {
        switch (broadcastA, broadcastB) {
        case (false, false): for i in 0..<n { o[i] = f(a[i], b[i]) }
        case (true, false): let x = a[0]; for i in 0..<n { o[i] = f(x, b[i]) }
        case (false, true): let y = b[0]; for i in 0..<n { o[i] = f(a[i], y) }
        case (true, true): let v = f(a[0], b[0]); for i in 0..<n { o[i] = v }
        }
    }
}

extension Executable {
    /// `steps` with every run of two or more small arithmetic steps as one `ArithmeticRun`,
    /// inside loop bodies and branches too.
    func fusingArithmetic(_ steps: [Step]) -> [Step] {
        var out: [Step] = [], run: [ArithmeticRun.Op] = [], pending: [Step] = []
        func flush() {
            if run.count >= 2 { out.append(.arithmetic(keep(ArithmeticRun(run)))) } else { out += pending }
            run.removeAll()
            pending.removeAll()
        }
        for step in steps {
            if let op = ArithmeticRun.op(step) {
                run.append(op)
                pending.append(step)
                continue
            }
            flush()
            switch step {
            case .loop(let reference):
                let loop = reference.takeUnretainedValue()
                loop.body = fusingArithmetic(loop.body)
            case .cond(let reference):
                let cond = reference.takeUnretainedValue()
                cond.branches = cond.branches.map(fusingArithmetic)
            default:
                break
            }
            out.append(step)
        }
        flush()
        return out
    }
}
