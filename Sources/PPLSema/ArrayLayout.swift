import PPLIR

/// An array as the checker sees it: its dimensions and its element type.
///
/// The IR has no arrays: an array is one value holding its elements row-major (the order
/// of Stan's JSON), viewed as a vector or a matrix:
/// - a 1-D array of scalars is a vector (`array[N] int` an int vector);
/// - an array of scalars with more dimensions is a matrix with the last dimension as its
///   columns: `array[N, M, L] real` is `matrix[N*M, L]`;
/// - an array of vectors, row vectors or matrices is a matrix with one element per row:
///   `array[N] vector[K]` is `matrix[N, K]`, `array[N] matrix[R, C]` is `matrix[N, R*C]`.
///
/// So `x[n]` of `array[N] vector[K]` is row n, a `vector[K]`; `x[n]` of
/// `array[N, M] vector[K]` is the block of M rows from (n-1)*M + 1; `x[n]` of
/// `array[N] matrix[R, C]` is row n reshaped to `matrix[R, C]`. Elementwise distributions
/// see the elements directly, and a constrained element type (`simplex`, `ordered`)
/// constrains each row.
public struct ArrayLayout: Hashable, Sendable, CustomStringConvertible {
    public var dims: [Size]
    /// A scalar, vector, row vector or matrix; int or real.
    public var element: IRType

    public init(dims: [Size], element: IRType) {
        self.dims = dims
        self.element = element
    }

    /// The dimensions that count rows of the IR value: all of them for an array of
    /// containers, all but the last for an array of scalars.
    public var rowDims: [Size] { element.isScalar ? Array(dims.dropLast()) : dims }

    /// Elements of one row of the IR value.
    public var columns: Size { element.isScalar ? dims.last ?? Size(1) : element.shape.count }

    public var irType: IRType {
        if element.isScalar, dims.count == 1 { return IRType(element.elem, .vector(dims[0])) }
        return IRType(element.elem, .matrix(rowDims.reduce(Size(1), *), columns))
    }

    /// Whether the IR value is a vector, which needs no layout to be read.
    public var isVector: Bool { element.isScalar && dims.count == 1 }

    /// The array without its first `k` dimensions (the element when none are left).
    public func dropping(_ k: Int) -> (layout: ArrayLayout?, type: IRType) {
        if k >= dims.count { return (nil, element) }
        let rest = ArrayLayout(dims: Array(dims.dropFirst(k)), element: element)
        return (rest, rest.irType)
    }

    /// Every dimension of a component, the element's own included: `array[N] matrix[R, C]`
    /// has [N, R, C]. Components are named with them (`x[2,1,3]`).
    public var componentDims: [Size] {
        switch element.shape {
        case .scalar: return dims
        case .vector(let n), .rowVector(let n): return dims + [n]
        case .matrix(let r, let c): return dims + [r, c]
        }
    }

    public var description: String {
        "array[\(dims.map(\.description).joined(separator: ", "))] \(elementName)"
    }

    private var elementName: String {
        switch (element.elem, element.shape) {
        case (.int, .scalar): return "int"
        case (.real, .scalar): return "real"
        case (_, .vector(let n)): return "vector[\(n)]"
        case (_, .rowVector(let n)): return "row_vector[\(n)]"
        case (_, .matrix(let r, let c)): return "matrix[\(r), \(c)]"
        }
    }
}
