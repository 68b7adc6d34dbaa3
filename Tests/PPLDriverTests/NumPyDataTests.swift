import CLITestSupport
import Foundation
import PPLDriver
import PPLEngine
import PPLSema
import PPLSyntax
import XCTest

/// NumPy data files (`Sources/PPLDriver/DataLoader+NumPy.swift`): archives numpy wrote
/// (`Tests/Data/npy/make.py`) read to the same values as the same data in JSON, every dtype
/// and both compressions and a ZIP64 archive; the refusals, with the named errors of JSON
/// data; and every truncation and every flipped byte of an archive read right or refused
/// with a user error, never read wrong or trapped.
final class NumPyDataTests: XCTestCase {
    static let folder = CLI.root + "/Tests/Data/npy"

    func model(_ text: String) throws -> CheckedModel {
        try XCTUnwrap(Compilation.compile(file: SourceFile(path: "m.ppl", text: text)).model)
    }

    var kinds: CheckedModel {
        get throws { try Compilation.compile(path: Self.folder + "/kinds.ppl").checked() }
    }

    func load(_ model: CheckedModel, _ file: String) throws(PPLError) -> [String: Tensor] {
        try ModelRuntime(model: model, dataPath: Self.folder + "/" + file, hint: "").values
    }

    /// The message of the user error loading `file` (a fixture's name, or its contents) gives.
    func failure(_ model: CheckedModel, _ file: String, contents: [UInt8]? = nil) -> String? {
        do {
            if let contents {
                _ = try ModelRuntime(model: model, contents: contents, file: file)
            } else {
                _ = try load(model, file)
            }
            return nil
        } catch {
            XCTAssertEqual(error.kind, .user, error.message)
            return error.message
        }
    }

    func testEveryDtypeStoredDeflatedAndZIP64ReadsAsTheSameJSON() throws {
        let m = try kinds
        let json = try load(m, "kinds.json")
        for file in ["kinds.npz", "kinds_compressed.npz", "zip64.npz"] {
            let data = try load(m, file)
            for d in m.data {
                XCTAssertEqual(data[d.name], json[d.name], "\(file): \(d.name)")
            }
        }
        // The float32 array is its float32 values exactly; the bools are 0 and 1.
        XCTAssertEqual(json["y"]?.values.allSatisfy { Double(Float($0)) == $0 }, true)
        XCTAssertEqual(json["flags"]?.values, [1, 0, 0, 0, 0])
        XCTAssertEqual(json["pixels"]?.shape, [5, 3])
    }

    func testOneArrayInANpyFileForAModelOfOneDataValue() throws {
        let data = try load(try model("data x: vector[5]\nparam mu: real\nmu ~ normal(0, 1)\n"), "vector.npy")
        XCTAssertEqual(data["x"], Tensor(vector: [0, 0.25, 0.5, 0.75, 1]))
    }

    func testRefusalsAreNamedErrors() throws {
        let vector = try model("data x: vector[5]\nparam mu: real\nmu ~ normal(0, 1)\n")
        let matrix = try model("data x: matrix[2, 3]\nparam mu: real\nmu ~ normal(0, 1)\n")
        let counts = try model("data N: int\ndata counts: array[N] int\nparam mu: real\nmu ~ normal(0, 1)\n")
        let misspelt = try model("data N: int\ndata count: array[N] int\nparam mu: real\nmu ~ normal(0, 1)\n")
        let cases: [(CheckedModel, String, String)] = [
            (vector, "big_endian.npy", "big_endian.npy: a big-endian array ('>f8'); save x.astype('<f8'), little-endian"),
            (vector, "objects.npy", "objects.npy: an object array (pickled Python objects), which ppl does not read"),
            (vector, "complex.npy", "complex.npy: an array of dtype '<c16', which ppl does not read: it reads float64, float32, int64"),
            (vector, "halves.npy", "halves.npy: an array of dtype '<f2', which ppl does not read"),
            (matrix, "fortran.npy", "fortran.npy: an array in Fortran (column-major) order; save np.ascontiguousarray(x), in C order"),
            (matrix, "vector.npy", "vector.npy: 'x' is an array of shape (5,), but its type matrix[2, 3] needs (2, 3)"),
            (counts, "misshapen.npz", "misshapen.npz: 'counts' is an array of shape (1, 3), but its type array[N] int needs (3,)"),
            (counts, "fractional.npz", "fractional.npz: 'counts[2]' is 2.5, but 'counts' is array[N] int: an integer is needed"),
            (counts, "huge.npz", "huge.npz: 'counts[2]' is 4611686018427387904, beyond ±2^53 (9007199254740992), the largest integers held exactly"),
            (counts, "vector.npy", "vector.npy: a .npy file holds one array, but the model declares 2 data values (N, counts); "
                + "save them in an .npz archive with np.savez(\"data.npz\", N=N, counts=counts)"),
            (misspelt, "huge.npz", "huge.npz: missing data 'count' (array[N] int); the archive has 'counts'"),
        ]
        for (m, file, message) in cases {
            let got = failure(m, file)
            XCTAssertTrue(got?.contains(message) == true, "\(file): \(got ?? "loaded")")
        }
        // The bounds are checked as JSON data's are.
        let bounded = try model("data N: int\ndata counts: array[N] int<upper=3>\nparam mu: real\nmu ~ normal(0, 1)\n")
        XCTAssertTrue(failure(bounded, "huge.npz")?.hasSuffix("'counts[2]' is 4611686018427387904, beyond ±2^53 (9007199254740992), the largest integers held exactly") == true)
        let small = try model("data N: int\ndata counts: array[N] real<upper=3>\nparam mu: real\nmu ~ normal(0, 1)\n")
        XCTAssertTrue(failure(small, "huge.npz")?.hasSuffix("huge.npz: 'counts[2]' is 4.611686018427388e+18, above the upper bound 3 of array[N] real<upper=3>") == true,
                      failure(small, "huge.npz") ?? "")
        let r = try CLI.run(["check", "m.ppl", "--data", "fortran.npy"], in: try folder(with: "data x: matrix[2, 3]\nparam mu: real\nmu ~ normal(0, 1)\n", copying: "fortran.npy"))
        XCTAssertEqual(r.status, 65)
        XCTAssertEqual(r.stderr, "ppl: error: fortran.npy: an array in Fortran (column-major) order; save np.ascontiguousarray(x), in C order\n")
    }

    /// A folder with the model `m.ppl` and a copy of a fixture.
    func folder(with model: String, copying file: String) throws -> String {
        let d = try CLI.temporaryFolder("ppl-npy")
        try model.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Self.folder + "/" + file, toPath: d + "/" + file)
        return d
    }

    /// Every seventh truncation and every fourth byte flipped, of each archive.
    func testDamagedArchivesAreReadRightOrRefused() throws {
        let m = try kinds
        let expected = try load(m, "kinds.json")
        for file in ["kinds.npz", "kinds_compressed.npz", "zip64.npz"] {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + file)))
            var refusals: Set<String> = []
            func check(_ contents: [UInt8], _ what: String) {
                do {
                    let data = try ModelRuntime(model: m, contents: contents, file: "x.npz").values
                    for d in m.data { XCTAssertEqual(data[d.name], expected[d.name], "\(file) \(what): \(d.name) read wrong") }
                } catch {
                    XCTAssertEqual(error.kind, .user, "\(file) \(what): \(error.message)")
                    refusals.insert(error.message.replacingOccurrences(of: #"[0-9]+"#, with: "#", options: .regularExpression))
                }
            }
            for n in stride(from: 0, to: bytes.count, by: 7) { check(Array(bytes[0..<n]), "cut at \(n)") }
            // Every fourth byte (every byte takes seconds): each field and each member is hit.
            for k in stride(from: 0, to: bytes.count, by: 4) {
                var flipped = bytes
                flipped[k] ^= 0x5A
                check(flipped, "byte \(k) flipped")
            }
            XCTAssertTrue(refusals.contains { $0.hasSuffix("its CRC-# does not match its bytes (the file is corrupt)") }, "\(file): \(refusals)")
            XCTAssertTrue(refusals.contains("x.npz: not a zip archive: no end of central directory record (truncated?)"), "\(file): \(refusals)")
            if file == "kinds_compressed.npz" {
                XCTAssertTrue(refusals.contains { $0.contains("the compressed data are corrupt (zlib: ") }, "\(refusals)")
            }
        }
    }
}
