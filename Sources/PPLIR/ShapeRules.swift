/// Why an op cannot take arguments of these types.
public struct ShapeError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// How two sizes compare: provably equal, provably different, or only known with the data.
public enum SizeComparison { case equal, different, unknown }

public func compareSizes(_ a: Size, _ b: Size) -> SizeComparison {
    if a == b { return .equal }
    if let x = a.constant, let y = b.constant { return x == y ? .equal : .different }
    return .unknown
}

/// Result types of ops from their argument types: the rules the builder and the verifier share.
/// Sizes that are equal only for some data are recorded as assumptions.
public enum ShapeRules {
    /// Elementwise broadcasting: scalars broadcast; otherwise shapes must agree.
    public static func broadcast(_ a: Shape, _ b: Shape, assume: inout [SizeAssumption]) throws(ShapeError) -> Shape {
        if a == .scalar { return b }
        if b == .scalar { return a }
        switch (a, b) {
        case (.vector(let m), .vector(let n)), (.rowVector(let m), .rowVector(let n)):
            try unify(m, n, &assume)
            return a
        case (.matrix(let r1, let c1), .matrix(let r2, let c2)):
            try unify(r1, r2, &assume)
            try unify(c1, c2, &assume)
            return a
        default:
            throw ShapeError("shapes do not match")
        }
    }

    public static func unify(_ a: Size, _ b: Size, _ assume: inout [SizeAssumption]) throws(ShapeError) {
        switch compareSizes(a, b) {
        case .equal: return
        case .different: throw ShapeError("sizes \(a) and \(b) differ")
        case .unknown:
            let pair = SizeAssumption(lhs: a, rhs: b)
            if !assume.contains(pair) { assume.append(pair) }
        }
    }

    public static func resultType(_ op: Op, _ args: [IRType], assume: inout [SizeAssumption]) throws(ShapeError) -> IRType {
        func arity(_ n: Int) throws(ShapeError) {
            if args.count != n { throw ShapeError("\(op.mnemonic) takes \(n) arguments, got \(args.count)") }
        }
        switch op {
        case .unary(let f):
            try arity(1)
            if f == .not { return args[0].with(elem: .int) }
            return args[0].elem == .int && f.preservesInt ? args[0] : args[0].with(elem: .real)
        case .polygamma:
            try arity(1)
            return args[0].with(elem: .real)
        case .stopGradient:
            try arity(1)
            return args[0]
        case .incomplete(let f, let orders):
            try arity(f.arity)
            guard orders.count == f.arity, orders.allSatisfy({ $0 >= 0 }) else { throw ShapeError("\(f.rawValue) takes one order per argument") }
            var shape = args[0].shape
            for a in args.dropFirst() { shape = try broadcast(shape, a.shape, assume: &assume) }
            return IRType(.real, shape)
        case .random(let f, _, let keys):
            try arity(keys + f.arity)
            guard keys >= 1 else { throw ShapeError("a random draw needs a key") }
            var shape = args[0].shape
            for a in args.dropFirst() { shape = try broadcast(shape, a.shape, assume: &assume) }
            return IRType(f.isDiscrete ? .int : .real, shape)
        case .binary(let f):
            try arity(2)
            let shape = try broadcast(args[0].shape, args[1].shape, assume: &assume)
            if f.isComparison { return IRType(.int, shape) }
            let bothInt = args[0].elem == .int && args[1].elem == .int
            return IRType(bothInt && f.preservesInt ? .int : .real, shape)
        case .select:
            try arity(3)
            var shape = try broadcast(args[1].shape, args[2].shape, assume: &assume)
            shape = try broadcast(args[0].shape, shape, assume: &assume)
            let bothInt = args[1].elem == .int && args[2].elem == .int
            return IRType(bothInt ? .int : .real, shape)
        case .sum:
            try arity(1)
            return IRType(args[0].elem, .scalar)
        case .minElement, .maxElement:
            try arity(1)
            return IRType(args[0].elem, .scalar)
        case .logSumExp:
            try arity(1)
            return .real
        case .cumulativeSum:
            try arity(1)
            guard args[0].shape.rank == 1 else { throw ShapeError("cumulative_sum takes a vector") }
            return args[0]
        case .dot:
            try arity(2)
            guard args[0].shape.rank == 1, args[1].shape.rank == 1 else { throw ShapeError("dot takes two vectors") }
            try unify(args[0].shape.count, args[1].shape.count, &assume)
            return .real
        case .matmul:
            try arity(2)
            switch (args[0].shape, args[1].shape) {
            case (.matrix(let r, let k), .vector(let n)):
                try unify(k, n, &assume); return .vector(r)
            case (.matrix(let r, let k), .matrix(let n, let c)):
                try unify(k, n, &assume); return .matrix(r, c)
            case (.rowVector(let k), .matrix(let n, let c)):
                try unify(k, n, &assume); return .rowVector(c)
            case (.rowVector(let k), .vector(let n)):
                try unify(k, n, &assume); return .real
            case (.vector(let r), .rowVector(let c)):
                return .matrix(r, c)
            default:
                throw ShapeError("no matrix product of these shapes")
            }
        case .transpose:
            try arity(1)
            switch args[0].shape {
            case .scalar: return args[0]
            case .vector(let n): return IRType(args[0].elem, .rowVector(n))
            case .rowVector(let n): return IRType(args[0].elem, .vector(n))
            case .matrix(let r, let c): return IRType(args[0].elem, .matrix(c, r))
            }
        case .triSolveLower:
            try arity(2)
            guard case .matrix(let r, let c) = args[0].shape else { throw ShapeError("the triangular factor must be a matrix") }
            try unify(r, c, &assume)
            switch args[1].shape {
            case .vector(let n): try unify(c, n, &assume); return .vector(r)
            case .matrix(let n, let k): try unify(c, n, &assume); return .matrix(r, k)
            default: throw ShapeError("the right-hand side must be a vector or matrix")
            }
        case .triSolveLowerT:
            return try resultType(.triSolveLower, args, assume: &assume)
        case .tril:
            try arity(1)
            guard case .matrix(let r, let c) = args[0].shape else { throw ShapeError("tril takes a matrix") }
            try unify(r, c, &assume)
            return args[0]
        case .cholesky:
            try arity(1)
            guard case .matrix(let r, let c) = args[0].shape else { throw ShapeError("cholesky takes a matrix") }
            try unify(r, c, &assume)
            return args[0].with(elem: .real)
        case .concat:
            try arity(2)
            switch (args[0].shape, args[1].shape) {
            case (.vector(let m), .vector(let n)): return IRType(args[0].elem == .int && args[1].elem == .int ? .int : .real, .vector(m + n))
            case (.rowVector(let m), .rowVector(let n)): return IRType(args[0].elem == .int && args[1].elem == .int ? .int : .real, .rowVector(m + n))
            default: throw ShapeError("concat takes two vectors or two row vectors")
            }
        case .scatterAdd:
            return try resultType(.set, args, assume: &assume).with(elem: .real)
        case .scatterAdd2:
            return try resultType(.set2, args, assume: &assume).with(elem: .real)
        case .diagonal:
            try arity(1)
            guard case .matrix(let r, let c) = args[0].shape else { throw ShapeError("diagonal takes a matrix") }
            try unify(r, c, &assume)
            return .vector(r)
        case .diagMatrix:
            try arity(1)
            guard case .vector(let n) = args[0].shape else { throw ShapeError("diag_matrix takes a vector") }
            return .matrix(n, n)
        case .at:
            try arity(2)
            guard args[1].elem == .int else { throw ShapeError("indices must be int") }
            switch (args[0].shape, args[1].shape) {
            case (.vector, .scalar), (.rowVector, .scalar): return IRType(args[0].elem, .scalar)
            case (.vector, .vector(let m)): return IRType(args[0].elem, .vector(m))
            case (.rowVector, .vector(let m)): return IRType(args[0].elem, .rowVector(m))
            case (.matrix(_, let c), .scalar): return IRType(args[0].elem, .vector(c))
            case (.matrix(_, let c), .vector(let m)): return IRType(args[0].elem, .matrix(m, c))
            default: throw ShapeError("cannot index this value with this index")
            }
        case .at2:
            try arity(3)
            guard case .matrix = args[0].shape else { throw ShapeError("two indices need a matrix") }
            guard args[1].elem == .int, args[2].elem == .int else { throw ShapeError("indices must be int") }
            switch (args[1].shape, args[2].shape) {
            case (.scalar, .scalar): return IRType(args[0].elem, .scalar)
            case (.vector(let m), .scalar): return IRType(args[0].elem, .vector(m))
            case (.scalar, .vector(let m)): return IRType(args[0].elem, .vector(m))
            case (.vector(let m), .vector(let n)): return IRType(args[0].elem, .matrix(m, n))
            default: throw ShapeError("matrix indices must be ints or int vectors")
            }
        case .set:
            try arity(3)
            let element = try resultType(.at, [args[0], args[1]], assume: &assume)
            _ = try broadcast(element.shape, args[2].shape, assume: &assume)
            if element.shape.rank < args[2].shape.rank { throw ShapeError("the assigned value has too many dimensions") }
            if args[0].elem == .int && args[2].elem == .real { throw ShapeError("cannot assign a real to an int") }
            return args[0]
        case .set2:
            try arity(4)
            let element = try resultType(.at2, [args[0], args[1], args[2]], assume: &assume)
            _ = try broadcast(element.shape, args[3].shape, assume: &assume)
            return args[0]
        case .const, .input, .size, .fill, .pack, .range, .reshape, .loop, .cond:
            throw ShapeError("\(op.mnemonic) needs an explicit type")
        }
    }
}
