import CLITestSupport
import Foundation
import XCTest

/// Sizes, indices and counts from the user's numbers that would overflow, divide by zero
/// or not fit in memory: each is a named error with exit status 65 in `check`,
/// `check --gradients`, `fit` and the REPL (which goes on), never a trap.
final class HostileInputTests: XCTestCase {
    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-hostile-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Writes `files` (name → text) into a fresh folder; returns it.
    func folder(_ files: [String: String]) throws -> String {
        let d = try dir()
        for (name, text) in files { try text.write(toFile: d + "/" + name, atomically: true, encoding: .utf8) }
        return d
    }

    func expectFailure(_ args: [String], _ message: String, in d: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let r = try CLI.run(args, in: d)
        XCTAssertEqual(r.status, 65, "\(args): \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.contains(message), "expected \(message) in \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), file: file, line: line)
    }

    func testSizesFromTheDataThatOverflowOrAreNotCounts() throws {
        let d = try folder([
            "twice.ppl": "data N: int\nparam x: vector[2*N]\nx ~ normal(0, 1)\n",
            "cube.ppl": "data N: int\nparam x: vector[N*N*N]\nx ~ normal(0, 1)\n",
            "less.ppl": "data N: int\nparam x: vector[N - 5]\nx ~ normal(0, 1)\n",
            "ratio.ppl": "data N: int\nlet k = 7 / N\nparam x: vector[k]\nx ~ normal(0, 1)\n",
            "mean.ppl": "data N: int\nlet k = 7 / N\nparam x: real\nx ~ normal(k, 1)\n",
            "max.json": "{\"N\": 9223372036854775807}",
            "big.json": "{\"N\": 3000000}",
            "two.json": "{\"N\": 2}",
            "zero.json": "{\"N\": 0}",
            "twice.json": "{\"N\": 2, \"N\": 3}",
        ])
        let cases: [(String, String, String)] = [
            ("twice.ppl", "max.json", "max.json: 'N' is 9223372036854775807, beyond ±2^53 (9007199254740992), the largest integers held exactly"),
            ("twice.ppl", "twice.json", "twice.json: invalid JSON at line 1, column 10: the key \"N\" appears twice in the same object"),
            ("cube.ppl", "big.json", "big.json: 'x' is vector[N*N*N]: its size N*N*N overflows"),
            ("less.ppl", "two.json", "two.json: 'x' is vector[N - 5]: its size N - 5 is -3, a negative number"),
            ("ratio.ppl", "zero.json", "zero.json: 'k' is an int, but with these data it is inf (an integer division by zero?)"),
            ("mean.ppl", "zero.json", "zero.json: 'k' is an int, but with these data it is inf (an integer division by zero?)"),
        ]
        for (model, data, message) in cases {
            for command in [["check"], ["check", "--gradients"], ["fit", "--steps", "50"]] {
                try expectFailure(command + [model, "--data", data], message, in: d)
            }
        }
        // The REPL reports each and goes on to the next command.
        let r = try CLI.run(["repl"], input: ":load cube.ppl\n:data big.json\n:load ratio.ppl\n:data zero.json\n:load less.ppl\n"
                                 + ":data two.json\n:data max.json\n:data twice.json\n:load mean.ppl\n:data big.json\n:fit 50\n",
                            in: d)
        XCTAssertEqual(r.status, 65)
        for (_, _, message) in cases { XCTAssertTrue(r.stderr.contains(message.drop { $0 != " " }), message) }
        XCTAssertTrue(r.stdout.contains("50 steps"), "the session fits at the end: \(r.stdout)")
    }

    /// Declarations the data make impossible are located errors naming the declaration.
    func testBoundsThatCrossAndEmptySimplexesAreLocatedErrors() throws {
        let d = try folder([
            "m.ppl": "data a: real\ndata b: real\ndata c: real\ndata K: int\nparam x: real<lower=a, upper=b>\nparam s: simplex[K]\n"
                + "param o: ordered[0]\nparam v: vector<lower=0, upper=c>[2]\nx ~ normal(0, 1)\n",
            "m.json": "{\"a\": 3, \"b\": 1, \"c\": -1, \"K\": 0}",
        ])
        let expected = [
            "m.ppl:5:7: error: 'x' is real<lower=a, upper=b>, but with these data its lower bound 3 is above its upper bound 1",
            "m.ppl:6:7: error: 's' is simplex[K], of no element with these data, but a simplex has at least one",
            "m.ppl:7:7: error: 'o' is ordered[0], of no element with these data, but an ordered vector has at least one",
            "m.ppl:8:7: error: 'v' is vector<lower=0, upper=c>[2], but with these data its lower bound 0 is above its upper bound -1",
            "4 errors",
        ]
        for command in [["check"], ["fit"], ["check", "--gradients"]] {
            let r = try CLI.run(command + ["m.ppl", "--data", "m.json"], in: d)
            XCTAssertEqual(r.status, 65, r.stderr)
            for e in expected { XCTAssertTrue(r.stderr.contains(e), "expected \(e) in \(r.stderr)") }
        }
        let repl = try CLI.run(["repl"], input: ":load m.ppl\n:data m.json\n:fit 10\nparam w: real\n", in: d)
        XCTAssertEqual(repl.status, 65)
        XCTAssertTrue(repl.stderr.contains(expected[1]), repl.stderr)
    }

    func testFlagsAndGuidesTooLargeForMemoryAreRefusedBeforeTheFit() throws {
        let d = try folder([
            "m.ppl": "param x: real\nx ~ normal(0, 1)\nguide g = planar { layers = 100000000 }\n",
            "n.ppl": "data N: int\nparam x: vector[N]\nx ~ normal(0, 1)\n",
            "n.json": "{\"N\": 1000000000}",
        ])
        // A cap of 1 GB, whatever the machine's memory.
        func run(_ args: [String]) throws -> CLI.Run { try CLI.run(args, in: d, environment: ["PPL_MEMORY_LIMIT": "1G"]) }
        let limit = "of memory, more than the 1 GB a fit may use (half the physical memory; PPL_MEMORY_LIMIT sets it)"
        let cases = [
            // 10^8 layers of 3 parameters, and some KB of program each.
            (["fit", "m.ppl"], "the guide 'g' (planar) in 1 dimension would need at least 2.99 TB " + limit),
            // (2·3 + 8) doubles for each of 4·10^7 draws.
            (["fit", "m.ppl", "--guide", "meanfield", "--draws-n", "10000000"],
             "10000000 draws of 1 value for each of 4 runs would need at least 4.17 GB " + limit),
            (["fit", "n.ppl", "--data", "n.json", "--guide", "fullrank"],
             "the guide 'fullrank' (fullrank) in 1000000000 dimensions would need at least 2.91e+07 TB " + limit),
            (["fit", "n.ppl", "--data", "n.json"], "the guide 'meanfield' (meanfield) in 1000000000 dimensions would need at least"),
        ]
        for (args, message) in cases {
            let r = try run(args)
            XCTAssertEqual(r.status, 65, r.stderr)
            XCTAssertTrue(r.stderr.contains("ppl: error: " + message), "expected \(message) in \(r.stderr)")
            XCTAssertEqual(r.stdout, "", "refused before fitting")
        }
        // Under the cap the same flags fit.
        let small = try run(["fit", "m.ppl", "--guide", "meanfield", "--draws-n", "1000", "--steps", "100"])
        XCTAssertEqual(small.status, 0, small.stderr)
    }

    /// 2,000 'target +=' lines: a chain of 2,000 sums, whose particle-sum analysis
    /// (BufferPlan.reducible) swept the whole chain once per link: in a debug build 1,000
    /// lines took 13 s and 2,500 took 84 s before; 2,000 take 6 s now.
    func testALongChainOfSumsChecksInLinearTime() throws {
        let lines = (0..<2000).map { "target += -0.5 * (x - \($0)) ^ 2" }
        let d = try folder(["long.ppl": "param x: real\nx ~ normal(0, 1)\n" + lines.joined(separator: "\n") + "\n"])
        let start = Date()
        let r = try CLI.run(["check", "long.ppl", "--gradients"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 25)
    }
}
