import CLITestSupport
import Foundation
import XCTest

/// The fuzz targets (Sources/ppl-fuzz, scripts/fuzz) replayed over their corpora: every
/// golden model and every finding kept in Tests/Fuzz/frontend through the front end, and
/// Tests/Fuzz/data through the data loader, each without a crash; then each fuzzed by
/// libFuzzer with AddressSanitizer for a short budget (`PPL_FUZZ_QUICK`). The long runs
/// are `scripts/fuzz TARGET SECONDS`.
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

    /// 20 seconds of libFuzzer per target, on a debug build with AddressSanitizer: it builds,
    /// runs inputs it made by mutation, and finds no crash, hang or memory error.
    func testLibFuzzerRunsEachTargetForAShortBudget() throws {
        for target in ["frontend", "data"] {
            let r = try CLI.run(["-c", "scripts/fuzz \(target) 20 2>&1"], in: CLI.root, executable: "/bin/bash",
                                environment: ["PPL_FUZZ_QUICK": "1"])
            let log = r.stdout
            XCTAssertEqual(r.status, 0, "\(target): \(log.suffix(3000))")
            XCTAssertFalse(log.contains("ERROR: AddressSanitizer") || log.contains("ERROR: libFuzzer"), "\(target): \(log.suffix(3000))")
            let units = log.split(separator: "\n").first { $0.hasPrefix("stat::number_of_executed_units:") }
            let count = units.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            XCTAssertGreaterThan(count, 10, "\(target): \(log.suffix(3000))")
        }
    }

    func testTheDataCorpusReplaysWithoutACrash() throws {
        let inputs = try files(["Tests/Fuzz/data"], suffixes: [".json"])
        XCTAssertGreaterThanOrEqual(inputs.count, 2)
        try replay("data", inputs)
    }
}
