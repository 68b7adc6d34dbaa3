import PPLEngine
import PPLIR
import XCTest

/// Kernels whose result depends on the element type of the IR value.
final class KernelTests: XCTestCase {
    /// `/` of ints truncates toward zero, as the IR types it (int / int is an int) and as in
    /// Stan; of reals it divides. Vectors and scalars, data and varying inputs.
    func testIntDivisionTruncatesTowardZero() throws {
        let b = Builder()
        let e = Emitter(b)
        let n = b.inputValue(.intArray(Size(4)))
        let k = b.inputValue(.int)
        let x = b.inputValue(.vector(Size(4)))
        let ints = e.div(n, k)
        let scalar = e.div(e.op(.at, n, e.int(1)), k)
        let reals = e.div(x, k)
        let (instrs, types) = b.finish()
        let program = Program(
            name: "p", inputs: [Input(name: "n", value: n, role: .data, type: .intArray(Size(4)), constraint: .none),
                               Input(name: "k", value: k, role: .data, type: .int, constraint: .none),
                               Input(name: "x", value: x, role: .param, type: .vector(Size(4)), constraint: .none)],
            body: Block(instrs: instrs, yields: [ints, scalar, reals]), outputNames: ["ints", "scalar", "reals"], types: types)
        XCTAssertEqual(e.type(ints), .intArray(Size(4)))
        let exe = try Executable(program, varying: ["x"], data: ["n": Tensor(vector: [-7, 7, 6, 1]), "k": Tensor(scalar: 2)])
        exe.input("x").update(from: [-7, 7, 6, 1])
        try exe.run()
        XCTAssertEqual(Array(exe.output("ints")), [-3, 3, 3, 0])
        XCTAssertEqual(Array(exe.output("scalar")), [-3])
        XCTAssertEqual(Array(exe.output("reals")), [-3.5, 3.5, 3, 0.5])
    }
}
