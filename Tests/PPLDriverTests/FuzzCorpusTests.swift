import CLITestSupport
import Foundation
import XCTest

/// The fuzz targets (Sources/ppl-fuzz, scripts/fuzz) replayed over their corpora: every
/// golden model and every finding kept in Tests/Fuzz/frontend through the front end, and
/// Tests/Fuzz/data through the data loader, each without a crash. The fuzzing itself runs
/// with libFuzzer and AddressSanitizer (scripts/fuzz), outside the test suite.
final class FuzzCorpusTests: XCTestCase {
    var binary: String { URL(fileURLWithPath: CLI.binary).deletingLastPathComponent().appendingPathComponent("ppl-fuzz").path }

    func files(_ folders: [String], suffixes: [String]) throws -> [String] {
        var out: [String] = []
        for folder in folders {
            let dir = CLI.root + "/" + folder
            guard let items = FileManager.default.enumerator(atPath: dir) else { continue }
            for case let item as String in items where suffixes.contains(where: item.hasSuffix) { out.append(dir + "/" + item) }
        }
        return out.sorted()
    }

    func replay(_ target: String, _ inputs: [String]) throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), binary)
        let r = try CLI.run([target] + inputs, in: nil, executable: binary, environment: [:])
        XCTAssertEqual(r.status, 0, "\(target): \(r.stderr.suffix(2000))")
        XCTAssertTrue(r.stdout.contains("\(inputs.count) inputs, no crash"), r.stdout)
    }

    func testTheFrontEndCorpusReplaysWithoutACrash() throws {
        let inputs = try files(["Tests/Golden", "Tests/Fuzz/frontend"], suffixes: [".ppl"])
        XCTAssertGreaterThan(inputs.count, 150)
        try replay("frontend", inputs)
    }

    func testTheDataCorpusReplaysWithoutACrash() throws {
        let inputs = try files(["Tests/Fuzz/data"], suffixes: [".json", ".npz"])
        XCTAssertGreaterThanOrEqual(inputs.count, 4)
        try replay("data", inputs)
    }
}
