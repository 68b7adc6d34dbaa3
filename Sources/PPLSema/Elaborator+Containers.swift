import PPLIR

/// The builtins that build, cut and combine vectors and matrices (Stan's names and
/// conventions), each lowered to ops that have derivative rules.
extension Elaborator {
    // swiftlint:disable:next cyclomatic_complexity function_body_length
    func containerFunction(_ s: ContainerFn, _ args: [TV], sizes: [Size]) throws(ShapeError) -> TV {
        func op(_ o: Op, _ vs: TV...) throws(ShapeError) -> TV { try apply(o, vs) }
        func typed(_ o: Op, _ vs: [TV], _ t: IRType) -> TV {
            TV(value: builder.append(o, vs.map(\.value), type: t), type: t, dep: vs.map(\.dep).max() ?? .literal)
        }
        func int(_ n: Int) -> TV { TV(value: builder.constant(Double(n), .int), type: .int, dep: .literal, size: Size(n), constant: Double(n)) }
        func size(_ n: Size) -> TV {
            if let c = n.constant { return int(c) }
            return TV(value: builder.append(.size(n), [], type: .int), type: .int, dep: .literal, size: n)
        }
        func real(_ x: Double) -> TV { TV(value: builder.constant(x), type: .real, dep: .literal, constant: x) }
        /// The indices lo, lo + 1, ..., lo + n - 1.
        func indices(from lo: TV, count n: Size) throws(ShapeError) -> TV {
            let hi = try op(.binary(.sub), try op(.binary(.add), lo, size(n)), int(1))
            return typed(.range, [lo, hi], .intArray(n))
        }
        /// x[lo:(lo + n - 1)] for a one-dimensional x.
        func slice(_ x: TV, from lo: TV, count n: Size) throws(ShapeError) -> TV {
            try op(.at, x, try indices(from: lo, count: n))
        }
        func dimensions(_ m: TV) throws(ShapeError) -> (rows: Size, cols: Size) {
            guard case .matrix(let r, let c) = m.type.shape else { throw ShapeError("A must be a matrix") }
            return (r, c)
        }
        /// A \ b for a symmetric positive-definite A: L' \ (L \ b) with L its Cholesky factor.
        func solveSPD(_ a: TV, _ b: TV) throws(ShapeError) -> TV {
            let l = try op(.cholesky, a)
            return try op(.triSolveLowerT, l, try op(.triSolveLower, l, b))
        }
        func identity(_ n: Size) throws(ShapeError) -> TV { try op(.diagMatrix, typed(.fill, [real(1)], .vector(n))) }
        switch s {
        case .cholesky_decompose:
            return try op(.cholesky, args[0])
        case .log_determinant_spd:
            let l = try op(.cholesky, args[0])
            return try op(.binary(.mul), real(2), try op(.sum, try op(.unary(.log), try op(.diagonal, l))))
        case .gp_exp_quad_cov, .cov_exp_quad:
            // alpha^2 exp(-d^2 / (2 rho^2)) over the squared distances d^2 between the points.
            let (x1, x2) = (args[0], args.count == 4 ? args[1] : args[0])
            let (alpha, rho) = (args[args.count - 2], args[args.count - 1])
            let d2 = try squaredDistances(toReal(x1), toReal(x2))
            let scale = try op(.binary(.mul), real(-0.5), try op(.unary(.inv), try op(.unary(.square), rho)))
            return try op(.binary(.mul), try op(.unary(.square), alpha), try op(.unary(.exp), try op(.binary(.mul), scale, d2)))
        case .quad_form, .quad_form_sym:
            let (a, b) = (args[0], args[1])
            let ab = try op(.matmul, a, b)
            if case .vector = b.type.shape { return try op(.dot, b, ab) }
            guard case .matrix = b.type.shape else { throw ShapeError("B must be a vector or a matrix") }
            let r = try op(.matmul, try op(.transpose, b), ab)
            if s == .quad_form { return r }
            return try op(.binary(.mul), real(0.5), try op(.binary(.add), r, try op(.transpose, r)))
        case .quad_form_diag:
            let column = try toColumn(args[1])
            return try op(.binary(.mul), args[0], try op(.matmul, column, try op(.transpose, column)))
        case .add_diag:
            let m = args[0]
            guard case .matrix(let r, let c) = m.type.shape else { throw ShapeError("M must be a matrix") }
            var assume: [SizeAssumption] = []
            try ShapeRules.unify(r, c, &assume)
            let d = args[1].type.isScalar ? typed(.fill, [toReal(args[1])], .vector(r)) : try toColumn(args[1])
            return try op(.binary(.add), m, try op(.diagMatrix, d))
        case .append_row:
            return try appendRows(args[0], args[1])
        case .append_col:
            let (a, b) = (args[0], args[1])
            if isRowLike(a), isRowLike(b) {
                return try op(.concat, try toRow(a), try toRow(b))
            }
            return try op(.transpose, try appendRows(try op(.transpose, a), try op(.transpose, b)))
        case .rep_array:
            let x = args[0]
            return typed(.fill, [x], IRType(x.type.elem, .vector(sizes[0])))
        case .segment:
            return try slice(args[0], from: args[1], count: sizes[0])
        case .head:
            return try slice(args[0], from: int(1), count: sizes[0])
        case .tail:
            let n = args[0].type.shape.count
            return try slice(args[0], from: try op(.binary(.add), try op(.binary(.sub), size(n), size(sizes[0])), int(1)), count: sizes[0])
        case .reverse:
            let n = args[0].type.shape.count
            let up = typed(.range, [int(1), size(n)], .intArray(n))
            return try op(.at, args[0], try op(.binary(.sub), try op(.binary(.add), size(n), int(1)), up))
        case .crossprod:
            return try op(.matmul, try op(.transpose, args[0]), args[0])
        case .tcrossprod:
            return try op(.matmul, args[0], try op(.transpose, args[0]))
        case .trace:
            return try op(.sum, try op(.diagonal, args[0]))
        case .identity_matrix:
            return try identity(sizes[0])
        case .columns_dot_product:
            let rows = try dimensions(args[0]).rows
            return try op(.matmul, typed(.fill, [real(1)], .rowVector(rows)), try op(.binary(.mul), args[0], args[1]))
        case .rows_dot_product:
            let cols = try dimensions(args[0]).cols
            return try op(.matmul, try op(.binary(.mul), args[0], args[1]), typed(.fill, [real(1)], .vector(cols)))
        case .mdivide_left_spd:
            return try solveSPD(args[0], toReal(args[1]))
        case .mdivide_right_spd, .mdivide_right_tri_low:
            // b / A = (A' \ b')': A \ b' for a symmetric A, L' \ b' for a lower-triangular L. A
            // vector b is taken as the row it would be, and the result kept a vector.
            let b = toReal(args[0])
            let column = b.type.shape.rank == 1 && !isRowLike(b)
            let rhs = column ? b : try op(.transpose, b)
            let solved = s == .mdivide_right_spd ? try solveSPD(args[1], rhs) : try op(.triSolveLowerT, args[1], rhs)
            return column ? solved : try op(.transpose, solved)
        case .inverse_spd:
            return try solveSPD(args[0], try identity(try dimensions(args[0]).rows))
        case .squared_distance, .distance:
            let d = try op(.binary(.sub), toReal(args[0]), toReal(args[1]))
            let squared = try op(.dot, d, d)
            return s == .distance ? try op(.unary(.sqrt), squared) : squared
        case .norm1:
            return try op(.sum, try op(.unary(.abs), toReal(args[0])))
        case .norm2:
            return try op(.unary(.sqrt), try op(.sum, try op(.unary(.square), toReal(args[0]))))
        case .prod:
            // exp(Σ log|x|), negative where an odd number of elements are.
            let x = toReal(args[0])
            let magnitude = try op(.unary(.exp), try op(.sum, try op(.unary(.log), try op(.unary(.abs), x))))
            let negatives = toReal(try op(.sum, try op(.binary(.lt), x, real(0))))
            let odd = try op(.binary(.sub), negatives, try op(.binary(.mul), real(2),
                                                               try op(.unary(.floor), try op(.binary(.mul), real(0.5), negatives))))
            return try op(.binary(.mul), magnitude, try op(.binary(.sub), real(1), try op(.binary(.mul), real(2), odd)))
        case .col:
            let rows = try dimensions(args[0]).rows
            return try op(.at2, args[0], try indices(from: int(1), count: rows), args[1])
        case .row:
            let cols = try dimensions(args[0]).cols
            return try op(.transpose, try op(.at2, args[0], args[1], try indices(from: int(1), count: cols)))
        case .block:
            return try op(.at2, args[0], try indices(from: args[1], count: sizes[0]), try indices(from: args[2], count: sizes[1]))
        case .sub_col:
            return try op(.at2, args[0], try indices(from: args[1], count: sizes[0]), args[2])
        case .sub_row:
            return try op(.transpose, try op(.at2, args[0], args[1], try indices(from: args[2], count: sizes[0])))
        case .linspaced_vector:
            // lo + (hi - lo) t with t = (k - 1) / (n - 1); n = 1 gives hi, as in Stan.
            let n = sizes[0]
            let k = toReal(typed(.range, [int(1), size(n)], .intArray(n)))
            let count = toReal(size(n))
            let one = toReal(try op(.binary(.eq), count, real(1)))
            let steps = try op(.binary(.fmax), try op(.binary(.sub), count, real(1)), real(1))
            let t = try op(.binary(.div), try op(.binary(.add), try op(.binary(.sub), k, real(1)), one), steps)
            let (lo, hi) = (toReal(args[1]), toReal(args[2]))
            return try op(.binary(.add), lo, try op(.binary(.mul), try op(.binary(.sub), hi, lo), t))
        case .ones_vector, .zeros_vector:
            return typed(.fill, [real(s == .ones_vector ? 1 : 0)], .vector(sizes[0]))
        case .ones_row_vector, .zeros_row_vector:
            return typed(.fill, [real(s == .ones_row_vector ? 1 : 0)], .rowVector(sizes[0]))
        case .to_matrix:
            let x = toReal(args[0])
            if args.count == 1 {
                switch x.type.shape {
                case .matrix: return x
                case .vector(let n): return typed(.reshape, [x], .matrix(n, Size(1)))
                case .rowVector(let n): return typed(.reshape, [x], .matrix(Size(1), n))
                case .scalar: throw ShapeError("x must be a container")
                }
            }
            let (m, n) = (sizes[0], sizes[1])
            var assume: [SizeAssumption] = []
            try ShapeRules.unify(x.type.shape.count, m * n, &assume)
            for a in assume { try? builder.assume(a.lhs, equals: a.rhs) }
            // A matrix is read column by column too, as Stan does.
            let flat = x.type.shape.rank == 2 ? typed(.reshape, [try op(.transpose, x)], .vector(m * n)) : x
            let columnMajor = try op(.transpose, typed(.reshape, [flat], .matrix(n, m)))
            if args.count == 3 || args[3].constant.map({ $0 != 0 }) == true { return columnMajor }
            let rowMajor = typed(.reshape, [x.type.shape.rank == 2 ? typed(.reshape, [x], .vector(m * n)) : x], .matrix(m, n))
            if args[3].constant == 0 { return rowMajor }
            return try op(.select, args[3], columnMajor, rowMajor)
        }
    }

    /// The squared Euclidean distances between the points of `a` and of `b`: their elements
    /// for one-dimensional values, their rows for matrices.
    private func squaredDistances(_ a: TV, _ b: TV) throws(ShapeError) -> TV {
        func op(_ o: Op, _ vs: TV...) throws(ShapeError) -> TV { try apply(o, vs) }
        func ones(_ t: IRType) -> TV {
            TV(value: builder.append(.fill, [builder.constant(1)], type: t), type: t, dep: .literal)
        }
        switch (a.type.shape, b.type.shape) {
        case (.matrix(let n1, let d1), .matrix(let n2, let d2)):
            var assume: [SizeAssumption] = []
            try ShapeRules.unify(d1, d2, &assume)
            for x in assume { try? builder.assume(x.lhs, equals: x.rhs) }
            // |a_i|^2 + |b_j|^2 - 2 a_i . b_j, never below zero.
            let ra = try op(.matmul, try op(.unary(.square), a), ones(.vector(d1)))
            let rb = try op(.matmul, try op(.unary(.square), b), ones(.vector(d2)))
            let sum = try op(.binary(.add), try op(.matmul, ra, ones(.rowVector(n2))), try op(.matmul, ones(.vector(n1)), try op(.transpose, rb)))
            let cross = try op(.matmul, a, try op(.transpose, b))
            let d = try op(.binary(.sub), sum, try op(.binary(.mul), TV(value: builder.constant(2), type: .real, dep: .literal, constant: 2), cross))
            return try op(.binary(.fmax), d, TV(value: builder.constant(0), type: .real, dep: .literal, constant: 0))
        case (.vector, .vector), (.vector, .rowVector), (.rowVector, .vector), (.rowVector, .rowVector):
            // (a_i - b_j)^2 from the outer differences a 1' - 1 b'.
            let (ca, cb) = (try toColumn(a), try toColumn(b))
            let (n1, n2) = (a.type.shape.count, b.type.shape.count)
            let left = try op(.matmul, ca, ones(.rowVector(n2)))
            let right = try op(.matmul, ones(.vector(n1)), try op(.transpose, cb))
            return try op(.unary(.square), try op(.binary(.sub), left, right))
        default:
            throw ShapeError("the points must both be one-dimensional (reals) or both matrices (one point per row)")
        }
    }

    /// `b` below `a`: scalars and vectors end to end as a vector; row_vectors and matrices
    /// stacked as the rows of a matrix.
    private func appendRows(_ a: TV, _ b: TV) throws(ShapeError) -> TV {
        func op(_ o: Op, _ vs: TV...) throws(ShapeError) -> TV { try apply(o, vs) }
        let (a, b) = (toReal(a), toReal(b))
        if isColumnLike(a), isColumnLike(b) {
            return try op(.concat, try toColumn(a), try toColumn(b))
        }
        func rows(_ x: TV) throws(ShapeError) -> (Size, Size) {
            switch x.type.shape {
            case .rowVector(let n): return (Size(1), n)
            case .matrix(let r, let c): return (r, c)
            default: throw ShapeError("a row_vector or matrix cannot be stacked with \(x.type)")
            }
        }
        let (r1, c1) = try rows(a), (r2, c2) = try rows(b)
        var assume: [SizeAssumption] = []
        try ShapeRules.unify(c1, c2, &assume)
        for x in assume { try? builder.assume(x.lhs, equals: x.rhs) }
        func flat(_ x: TV, _ n: Size) -> TV {
            let t = IRType.vector(n)
            return TV(value: builder.append(.reshape, [x.value], type: t), type: t, dep: x.dep)
        }
        let joined = try op(.concat, flat(a, r1 * c1), flat(b, r2 * c2))
        let t = IRType.matrix(r1 + r2, c1)
        return TV(value: builder.append(.reshape, [joined.value], type: t), type: t, dep: joined.dep)
    }

    private func isColumnLike(_ x: TV) -> Bool {
        switch x.type.shape {
        case .scalar, .vector: return true
        default: return false
        }
    }

    private func isRowLike(_ x: TV) -> Bool {
        switch x.type.shape {
        case .scalar, .rowVector: return true
        default: return false
        }
    }

    /// A scalar as a vector of one, a row_vector transposed, a vector as it is.
    private func toColumn(_ x: TV) throws(ShapeError) -> TV {
        let x = toReal(x)
        switch x.type.shape {
        case .scalar:
            let t = IRType.vector(Size(1))
            return TV(value: builder.append(.pack, [x.value], type: t), type: t, dep: x.dep)
        case .vector: return x
        case .rowVector: return try apply(.transpose, [x])
        case .matrix: throw ShapeError("a matrix is not a vector")
        }
    }

    /// A scalar as a row_vector of one, a row_vector as it is.
    private func toRow(_ x: TV) throws(ShapeError) -> TV {
        let x = toReal(x)
        if x.type.isScalar {
            let t = IRType.rowVector(Size(1))
            return TV(value: builder.append(.pack, [x.value], type: t), type: t, dep: x.dep)
        }
        return x
    }
}
