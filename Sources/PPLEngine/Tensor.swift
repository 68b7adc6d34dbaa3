/// A dense array of doubles with a shape (row-major), used to pass data and parameters in
/// and results out of the engine. Ints are stored exactly as doubles.
public struct Tensor: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    public init(scalar: Double) { self.init(shape: [], values: [scalar]) }
    public init(vector: [Double]) { self.init(shape: [vector.count], values: vector) }
    public init(matrix rows: [[Double]]) {
        self.init(shape: [rows.count, rows.first?.count ?? 0], values: rows.flatMap { $0 })
    }

    public var count: Int { values.count }
    public var scalar: Double { values[0] }
}

/// A failure while evaluating a program: an index out of range, a size the data do not
/// satisfy. Evaluation never traps; it stops with one of these.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
