import Foundation
import PPLDriver
import PPLIR
import PPLSyntax
import XCTest

/// Seeded random inputs through lexer, parser and checker: none may crash, and each must
/// either check (with IR that verifies) or fail with at least one located error.
final class RobustnessTests: XCTestCase {
    struct SplitMix64 {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    }

    static let vocabulary: [String] = {
        var v = Keyword.allCases.map(\.rawValue) + Symbol.allCases.map(\.rawValue)
        v += ["x", "y", "mu", "sigma", "N", "K", "normal", "beta", "sum", "exp", "log_mix", "normal_lpdf", "meanfield",
              "iaf", "layers", "hidden", "lower", "upper", "logpdf", "0", "1", "2", "3.5", ".5", "1e-3", "\"lib.ppl\"",
              "\n", "\n", "\n", " ", "//c\n", "/*", "*/", "[]", "1:N"]
        return v
    }()

    func corpus() -> [[UInt8]] {
        let root = GoldenTests.root
        var files = GoldenTests.models(in: root + "/../shared/bench/models") + GoldenTests.models(in: root + "/models")
        files += GoldenTests.models(in: GoldenTests.golden + "/good") + GoldenTests.models(in: GoldenTests.golden + "/errors")
        return files.compactMap { FileManager.default.contents(atPath: $0).map { [UInt8]($0) } }
    }

    func testThreeThousandRandomInputsNeverCrash() {
        var rng = SplitMix64(state: 20_261_121)
        let seeds = corpus()
        XCTAssertGreaterThan(seeds.count, 10)
        var checked = 0, rejected = 0
        for i in 0..<3_000 {
            let bytes: [UInt8]
            switch i % 10 {
            case 0, 1, 2: bytes = randomBytes(&rng)
            case 3, 4, 5: bytes = randomTokens(&rng)
            default: bytes = mutate(seeds[rng.below(seeds.count)], &rng)
            }
            let c = Compilation.compile(file: SourceFile(path: "fuzz\(i).ppl", bytes: bytes))
            if let m = c.model {
                checked += 1
                for p in [m.transformedData, m.logDensity, m.derived, m.paramBounds] {
                    XCTAssertEqual(Verifier.verify(p), [], "input \(i): \(p.name) does not verify")
                }
            } else {
                rejected += 1
                XCTAssertTrue(c.diagnostics.contains { $0.severity == .error }, "input \(i) failed without an error")
                for d in c.diagnostics where d.span.file == nil {
                    XCTFail("input \(i) has an unlocated error: \(d.message)")
                }
                _ = c.renderDiagnostics(color: false)
            }
        }
        XCTAssertEqual(checked + rejected, 3_000)
        XCTAssertGreaterThan(checked, 30, "mutations should leave some models valid")
    }

    private func randomBytes(_ rng: inout SplitMix64) -> [UInt8] {
        (0..<rng.below(300)).map { _ in
            // Mostly printable, with control bytes, invalid UTF-8 and NULs mixed in.
            rng.below(4) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : UInt8(32 + rng.below(95))
        }
    }

    private func randomTokens(_ rng: inout SplitMix64) -> [UInt8] {
        let v = Self.vocabulary
        return Array((0..<rng.below(80)).map { _ in v[rng.below(v.count)] }.joined(separator: " ").utf8)
    }

    private func mutate(_ source: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var s = source
        for _ in 0..<(1 + rng.below(4)) {
            let at = rng.below(s.count + 1)
            switch rng.below(5) {
            case 0: // delete a span
                let len = min(s.count - at, rng.below(20))
                s.removeSubrange(at..<at + len)
            case 1: // insert a token
                s.insert(contentsOf: Array(Self.vocabulary[rng.below(Self.vocabulary.count)].utf8), at: at)
            case 2: // replace a byte
                if at < s.count { s[at] = UInt8(32 + rng.below(95)) }
            case 3: // duplicate a line-sized span
                let len = min(s.count - at, rng.below(60))
                s.insert(contentsOf: s[at..<at + len], at: at)
            default: // swap two spans' worth of bytes
                let b = rng.below(s.count + 1)
                if at < s.count, b < s.count { s.swapAt(at, b) }
            }
        }
        return s
    }
}
