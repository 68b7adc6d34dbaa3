import PPLIR

/// Where the free elements of a lower-triangular R×C matrix sit in its unconstrained vector:
/// read row by row, as Stan reads them. Every position of the row-major matrix gets its
/// 1-based place in the vector, or n + 1 where the element is not free, so that unpacking is
/// one gather from the vector with a zero appended, and packing one scatter. The index
/// vectors depend only on the sizes: the engine computes them once.
struct TriangularPacking {
    let rows: Size, cols: Size
    /// Number of free elements.
    let count: Size
    /// Row and column (1-based) of every position, as int vectors of length R·C.
    let row: Value, col: Value
    /// 1 where the element is free (strictly below the diagonal, or on and below it).
    let free: Value
    let place: Value

    /// `strict`: the elements strictly below the diagonal of a square matrix, K(K-1)/2 of
    /// them; otherwise those on and below the diagonal of an R×C matrix with R ≥ C,
    /// C(C+1)/2 + (R-C)C of them.
    init(_ e: Emitter, rows: Size, cols: Size, strict: Bool) {
        self.rows = rows
        self.cols = cols
        let constraint: Constraint = strict ? .choleskyFactorCorr : .choleskyFactorCov
        count = constraint.unconstrainedSize(of: .matrix(rows, cols))
        let positions = e.range(Size(1), rows * cols)
        let one = e.int(1), c = e.size(cols)
        row = e.add(e.div(e.sub(positions, one), c), one)
        col = e.sub(positions, e.mul(e.sub(row, one), c))
        let padding = e.add(e.size(count), one)
        /// n(n+1)/2 elementwise, on ints.
        func triangle(_ n: Value) -> Value { e.div(e.mul(n, e.add(n, one)), e.int(2)) }
        if strict {
            free = e.bin(.lt, col, row)
            place = e.select(free, e.add(triangle(e.sub(row, e.int(2))), col), padding)
        } else {
            free = e.bin(.le, col, row)
            // Rows below the C-th hold C free elements each.
            let within = e.add(triangle(e.sub(row, one)), col)
            let below = e.add(e.add(triangle(c), e.mul(e.sub(e.sub(row, one), c), c)), col)
            place = e.select(free, e.select(e.bin(.le, row, c), within, below), padding)
        }
    }

    /// An int vector over the positions as an R×C matrix.
    func matrix(_ e: Emitter, _ v: Value) -> Value {
        e.b.append(.reshape, [v], type: IRType(e.type(v).elem, .matrix(rows, cols)))
    }

    /// The R×C matrix with the elements of `y` at their places and zeros elsewhere.
    func unpack(_ e: Emitter, _ y: Value) -> Value {
        let padded = e.op(.concat, y, e.fill(e.c(0), .vector(Size(1))))
        return matrix(e, e.op(.at, padded, place))
    }

    /// The free elements of an R×C matrix, in their order.
    func pack(_ e: Emitter, _ x: Value) -> Value {
        let flat = e.b.append(.reshape, [x], type: .vector(rows * cols))
        let spread = e.op(.scatterAdd, e.zeros(.vector(count + Size(1))), place, e.select(free, flat, e.c(0)))
        return e.op(.at, spread, e.range(Size(1), count))
    }

    /// A 0/1 real matrix from an int condition over the positions.
    func indicator(_ e: Emitter, _ condition: Value) -> Value {
        matrix(e, e.select(condition, e.c(1), e.c(0)))
    }
}

extension Shape {
    /// Rows and columns of a matrix (a vector is one column).
    var rows: Size {
        switch self {
        case .scalar, .rowVector: return Size(1)
        case .vector(let n), .matrix(let n, _): return n
        }
    }
    var cols: Size {
        switch self {
        case .scalar, .vector: return Size(1)
        case .rowVector(let n), .matrix(_, let n): return n
        }
    }
}
