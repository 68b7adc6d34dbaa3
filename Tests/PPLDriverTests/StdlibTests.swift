import CLITestSupport
import Foundation
import PPLDriver
import XCTest

/// The standard library the binary carries (`Sources/PPLDriver/Stdlib+Embedded.swift`) is
/// the checkout's `stdlib/`, file for file; `PPL_UPDATE_GOLDEN=1 swift test --filter
/// StdlibTests` regenerates it (then rebuild). A binary copied alone to an empty folder
/// checks and fits a model.
final class StdlibTests: XCTestCase {
    static let generated = CLI.root + "/Sources/PPLDriver/Stdlib+Embedded.swift"

    /// The Swift source that embeds `files` (name, text).
    static func render(_ files: [(name: String, text: String)]) -> String {
        var out = """
            // Generated from stdlib/*.ppl by `PPL_UPDATE_GOLDEN=1 swift test --filter StdlibTests`
            // (StdlibTests fails while it differs from the folder); do not edit.

            extension Stdlib {
                /// The files of stdlib/, by name, in name order.
                static let embedded: [(name: String, text: String)] = [

            """
        for f in files {
            // A multi-line literal drops the line break before its closing delimiter.
            out += "        (\"\(f.name)\", #\"\"\"\n" + f.text + "\n\"\"\"#),\n"
        }
        return out + "    ]\n}\n"
    }

    func testTheEmbeddedLibraryIsTheCheckoutsFolder() throws {
        let dir = CLI.root + "/stdlib"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".ppl") }.sorted()
        XCTAssertFalse(names.isEmpty)
        let files = try names.map { (name: $0, text: try String(contentsOfFile: dir + "/" + $0, encoding: .utf8)) }
        for f in files { XCTAssertFalse(f.text.contains("\"\"\"#"), "\(f.name) holds the raw string's delimiter") }
        let expected = Self.render(files)
        if ProcessInfo.processInfo.environment["PPL_UPDATE_GOLDEN"] == "1" {
            try expected.write(toFile: Self.generated, atomically: true, encoding: .utf8)
            XCTFail("rewrote \(Self.generated): rebuild and run the tests again")
            return
        }
        XCTAssertEqual(try String(contentsOfFile: Self.generated, encoding: .utf8), expected,
                       "stdlib/ and the embedded copy differ: run PPL_UPDATE_GOLDEN=1 swift test --filter StdlibTests, then rebuild")
        let embedded = try XCTUnwrap(ProcessInfo.processInfo.environment["PPL_STDLIB"] == nil ? Stdlib.sources() : nil,
                                     "PPL_STDLIB is set: the embedded copy is not used")
        XCTAssertEqual(embedded.map(\.path), names.map { "stdlib/" + $0 })
        XCTAssertEqual(embedded.map(\.bytes), files.map { Array($0.text.utf8) })
    }

    /// The binary alone in an empty folder, far from the checkout, without PPL_STDLIB:
    /// it checks and fits; PPL_STDLIB naming a folder without a library is a clear error.
    func testTheBinaryRunsAloneAndPPLStdlibOverridesTheEmbeddedCopy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-alone-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: dir + "/ppl")
        try "param mu: real\ndata y: real\nmu ~ student_t(3, 0, 1)\ny ~ normal(mu, 1)\n"
            .write(toFile: dir + "/m.ppl", atomically: true, encoding: .utf8)
        try "{\"y\": 1.5}".write(toFile: dir + "/m.data.json", atomically: true, encoding: .utf8)
        /// The copy, in its folder; PPL_STDLIB empty is as unset.
        func run(_ args: [String], stdlib: String) throws -> (status: Int32, out: String) {
            let r = try CLI.run(args, in: dir, executable: dir + "/ppl", environment: ["PPL_STDLIB": stdlib])
            return (r.status, r.stdout + r.stderr)
        }
        let check = try run(["check", "m.ppl"], stdlib: "")
        XCTAssertEqual(check.status, 0, check.out)
        let fit = try run(["fit", "m.ppl", "--runs", "1", "--quiet"], stdlib: "")
        XCTAssertEqual(fit.status, 0, fit.out)
        XCTAssertTrue(fit.out.contains("Pareto k̂"), fit.out)
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: false)
        let wrong = try run(["check", "m.ppl"], stdlib: dir + "/empty")
        XCTAssertEqual(wrong.status, 65, wrong.out)
        XCTAssertTrue(wrong.out.contains("no standard library in PPL_STDLIB (\(dir)/empty)"), wrong.out)
        let checkout = try run(["check", "m.ppl"], stdlib: CLI.root + "/stdlib")
        XCTAssertEqual(checkout.status, 0, checkout.out)
    }
}
