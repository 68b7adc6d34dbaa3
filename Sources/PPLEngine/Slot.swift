/// Where a value lives in the arena: `copies` particles (1 for values that do not vary)
/// of `count` elements each, particle-major.
struct Slot {
    let ptr: UnsafeMutablePointer<Double>
    let count: Int
    let copies: Int

    /// Elements between particles: 0 for a value shared by all particles.
    @inline(__always) var stride: Int { copies == 1 ? 0 : count }
    @inline(__always) func base(_ s: Int) -> UnsafeMutablePointer<Double> { ptr + s * stride }
}
