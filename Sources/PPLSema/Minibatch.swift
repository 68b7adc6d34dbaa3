/// `minibatch = "N=256"` (`--minibatch N=256`): each step of a fit reads a batch of M = 256
/// of the N rows of the data along the int data `N`, and the terms of the log density that
/// sum over those rows count N/M times (`MinibatchedDensity`).
public struct Minibatch: Hashable, Sendable, CustomStringConvertible {
    /// The int data whose rows are drawn.
    public let size: String
    /// The rows of a batch, M.
    public let batch: Int

    public init(size: String, batch: Int) {
        self.size = size
        self.batch = batch
    }

    /// `N=256`; nil unless a name, `=` and a positive integer.
    public init?(text: String) {
        let parts = text.split(separator: "=", omittingEmptySubsequences: false)
        guard parts.count == 2, let first = parts[0].first, first.isLetter || first == "_",
              parts[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
              let m = Int(parts[1]), m >= 1 else { return nil }
        self.init(size: String(parts[0]), batch: m)
    }

    public var description: String { "\(size)=\(batch)" }
}
