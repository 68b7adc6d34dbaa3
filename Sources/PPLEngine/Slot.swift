/// Where a value lives in the arena: `copies` particles (1 for values that do not vary)
/// of `count` elements each, particle-major. The sizes are stored in 32 bits: steps carry
/// several slots and are read at every evaluation, so a smaller step is a cheaper one.
struct Slot {
    let ptr: UnsafeMutablePointer<Double>
    private let elements: Int32
    private let particles: Int32

    init(ptr: UnsafeMutablePointer<Double>, count: Int, copies: Int) {
        // BufferPlan.init refuses larger values with an error.
        precondition(count <= Int(Int32.max) && copies <= Int(Int32.max))
        self.ptr = ptr
        elements = Int32(count)
        particles = Int32(copies)
    }

    @inline(__always) var count: Int { Int(elements) }
    @inline(__always) var copies: Int { Int(particles) }
    /// Elements between particles: 0 for a value shared by all particles.
    @inline(__always) var stride: Int { copies == 1 ? 0 : count }
    @inline(__always) func base(_ s: Int) -> UnsafeMutablePointer<Double> { ptr + s * stride }
}
