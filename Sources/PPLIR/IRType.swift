/// The element kind of a value. Ints index, count and size; only reals are differentiable.
public enum Elem: String, Hashable, Sendable { case int, real }

public enum Shape: Hashable, Sendable {
    case scalar
    case vector(Size)
    case rowVector(Size)
    case matrix(Size, Size)

    public var rank: Int {
        switch self {
        case .scalar: return 0
        case .vector, .rowVector: return 1
        case .matrix: return 2
        }
    }

    /// Number of elements, symbolically.
    public var count: Size {
        switch self {
        case .scalar: return Size(1)
        case .vector(let n), .rowVector(let n): return n
        case .matrix(let r, let c): return r * c
        }
    }
}

/// The type of an IR value: element kind and symbolic shape. `int[N]` is an int vector.
public struct IRType: Hashable, Sendable, CustomStringConvertible {
    public var elem: Elem
    public var shape: Shape

    public init(_ elem: Elem, _ shape: Shape) {
        self.elem = elem
        self.shape = shape
    }

    public static let real = IRType(.real, .scalar)
    public static let int = IRType(.int, .scalar)
    public static func vector(_ n: Size) -> IRType { IRType(.real, .vector(n)) }
    public static func rowVector(_ n: Size) -> IRType { IRType(.real, .rowVector(n)) }
    public static func matrix(_ r: Size, _ c: Size) -> IRType { IRType(.real, .matrix(r, c)) }
    public static func intArray(_ n: Size) -> IRType { IRType(.int, .vector(n)) }

    public var isScalar: Bool { shape == .scalar }
    public func with(elem: Elem) -> IRType { IRType(elem, shape) }
    public func with(shape: Shape) -> IRType { IRType(elem, shape) }

    public var description: String {
        switch (elem, shape) {
        case (.int, .scalar): return "int"
        case (.real, .scalar): return "real"
        case (.int, .vector(let n)): return "int[\(n)]"
        case (.real, .vector(let n)): return "vector[\(n)]"
        case (.int, .rowVector(let n)): return "int_row[\(n)]"
        case (.real, .rowVector(let n)): return "row_vector[\(n)]"
        case (.int, .matrix(let r, let c)): return "int_matrix[\(r), \(c)]"
        case (.real, .matrix(let r, let c)): return "matrix[\(r), \(c)]"
        }
    }
}
