/// A half-open byte range `start..<end` in one source file.
public struct SourceSpan: Hashable, Sendable {
    public let file: SourceFile?
    public let start: Int
    public let end: Int

    public init(file: SourceFile?, start: Int, end: Int) {
        self.file = file
        self.start = start
        self.end = max(start, end)
    }

    /// A span for things that have no place in a source (generated code, command-line input).
    public static let none = SourceSpan(file: nil, start: 0, end: 0)

    /// The smallest span covering both.
    public func to(_ other: SourceSpan) -> SourceSpan {
        guard file === other.file else { return self }
        return SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
    }

    public static func == (a: SourceSpan, b: SourceSpan) -> Bool {
        a.file === b.file && a.start == b.start && a.end == b.end
    }

    public func hash(into h: inout Hasher) {
        h.combine(start)
        h.combine(end)
    }
}
