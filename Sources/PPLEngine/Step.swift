import PPLIR

/// One compiled instruction with its buffers resolved. Steps are plain values, so walking
/// them costs no reference counting: the few objects some carry (loop bodies, index
/// caches) are kept alive by the executable and referenced unmanaged.
enum Step {
    case unary(UnaryFn, out: Slot, a: Slot)
    case polygamma(Int, out: Slot, a: Slot)
    case binary(BinaryFn, out: Slot, a: Slot, b: Slot)
    /// Division of ints, truncated toward zero (as in Stan).
    case intDivide(out: Slot, a: Slot, b: Slot)
    case select(out: Slot, c: Slot, a: Slot, b: Slot)
    case sum(out: Slot, a: Slot)
    case logSumExp(out: Slot, a: Slot)
    case minElement(out: Slot, a: Slot)
    case maxElement(out: Slot, a: Slot)
    case cumulativeSum(out: Slot, a: Slot)
    case dot(out: Slot, a: Slot, b: Slot)
    case matmul(MatMul)
    case transpose(out: Slot, a: Slot, rows: Int, cols: Int)
    case triSolve(out: Slot, l: Slot, b: Slot, n: Int, k: Int, transposed: Bool)
    case tril(out: Slot, a: Slot, n: Int)
    case cholesky(out: Slot, a: Slot, n: Int)
    case incomplete(Unmanaged<Incomplete>)
    case random(Unmanaged<RandomDraw>)
    case diagonal(out: Slot, a: Slot, n: Int)
    case diagMatrix(out: Slot, a: Slot, n: Int)
    case fill(out: Slot, a: Slot)
    case pack(out: Slot, items: Unmanaged<SlotList>)
    case range(out: Slot, lo: Slot)
    case concat(out: Slot, a: Slot, b: Slot)
    /// Gather elements (row length 1) or rows of a matrix.
    case at(out: Slot, x: Slot, index: Slot, row: Int, cache: Unmanaged<IndexCache>)
    case at2(out: Slot, x: Slot, i: Slot, j: Slot, rows: Int, cols: Int, outer: Bool, cache: Unmanaged<IndexCache>)
    case set(out: Slot, x: Slot, index: Slot, v: Slot, row: Int, add: Bool, cache: Unmanaged<IndexCache>)
    case set2(out: Slot, x: Slot, i: Slot, j: Slot, v: Slot, rows: Int, cols: Int, outer: Bool, add: Bool,
              cache: Unmanaged<IndexCache>)
    case copy(out: Slot, a: Slot)
    /// out = Σ over the particles of a.
    case particleSum(out: Slot, a: Slot)
    case loop(Unmanaged<Loop>)
    case cond(Unmanaged<Cond>)
    /// A GLM-shaped region run block of rows by block of rows (`RowBlocks`).
    case rowBlocks(Unmanaged<RowBlocks>)
    /// A run of small arithmetic steps walked as one table (`ArithmeticRun`).
    case arithmetic(Unmanaged<ArithmeticRun>)
}

/// An incomplete beta or gamma function (or a partial derivative of one), elementwise over
/// its arguments with broadcasting.
final class Incomplete {
    let f: IncompleteFn
    let orders: [Int]
    let out: Slot
    let args: [Slot]
    init(_ f: IncompleteFn, orders: [Int], out: Slot, args: [Slot]) {
        self.f = f
        self.orders = orders
        self.out = out
        self.args = args
    }
}

/// A `random` op: draws of `f`, elementwise over its key values and parameters with
/// broadcasting.
final class RandomDraw {
    let f: RandomFn
    let site: Int
    let keys: Int
    let out: Slot
    let args: [Slot]
    init(_ f: RandomFn, site: Int, keys: Int, out: Slot, args: [Slot]) {
        self.f = f
        self.site = site
        self.keys = keys
        self.out = out
        self.args = args
    }
}

final class SlotList {
    let slots: [Slot]
    init(_ slots: [Slot]) { self.slots = slots }
}

/// A matrix product, with the shapes of one particle: (m×k)·(k×n), where a vector operand
/// is a k×1 or 1×k matrix.
struct MatMul {
    let out: Slot, a: Slot, b: Slot
    let m: Int, k: Int, n: Int
    /// `a` holds the transpose of the left operand (k×m, one copy): a transpose that was
    /// folded into the product instead of being copied.
    var transposedA = false
}

final class Loop {
    let lo: Slot, hi: Slot
    let index: Slot
    let carried: [Slot]
    let inits: [Slot]
    let yields: [Slot]
    let results: [Slot]
    var body: [Step] = []

    init(lo: Slot, hi: Slot, index: Slot, carried: [Slot], inits: [Slot], yields: [Slot], results: [Slot]) {
        self.lo = lo
        self.hi = hi
        self.index = index
        self.carried = carried
        self.inits = inits
        self.yields = yields
        self.results = results
    }
}

final class Cond {
    let condition: Slot
    var branches: [[Step]] = [[], []]
    var yields: [[Slot]] = [[], []]
    let results: [Slot]

    init(condition: Slot, results: [Slot]) {
        self.condition = condition
        self.results = results
    }
}

/// What an index step reports when an index is out of range, and the 0-based indices of an
/// index value that does not vary (data), converted and checked once.
final class IndexCache {
    /// The indexed expression (`'y'`), or "a value" where the program has no source.
    let subject: String
    /// `model.ppl:12`, when the step comes from a model's source.
    let location: String?
    let constant: Bool
    var indices: UnsafeMutableBufferPointer<Int>?
    /// The first index when the indices are consecutive (a segment): then gathers and
    /// scatters are block copies and vector adds.
    var start: Int?
    init(site: SourceSite?, constant: Bool) {
        subject = site?.subject ?? "a value"
        location = site?.location.isEmpty == false ? site?.location : nil
        self.constant = constant
    }
    deinit { indices?.deallocate() }

    enum Dimension { case elements, rows, columns }

    /// `model.ppl:12: index 0 out of range for 'y' (size 10)`.
    func outOfRange(_ x: Double, _ n: Int, _ dimension: Dimension) -> String {
        let index = x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
        let message: String
        if x.isNaN {
            message = "an index into \(subject) is not a number"
        } else {
            switch dimension {
            case .elements: message = "index \(index) out of range for \(subject) (size \(n))"
            case .rows: message = "row index \(index) out of range for \(subject) (\(n) rows)"
            case .columns: message = "column index \(index) out of range for \(subject) (\(n) columns)"
            }
        }
        return location.map { "\($0): \(message)" } ?? message
    }
}
