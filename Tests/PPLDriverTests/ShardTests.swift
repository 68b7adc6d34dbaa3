import CLITestSupport
import Foundation
import PPLDriver
import PPLEngine
import PPLInference
import PPLSema
import PPLSyntax
import XCTest

/// Sharded fits (`ppl fit --shard N` under mpirun; `Sources/PPLDriver/Shard.swift`). In one
/// process, with the ranks' runtimes side by side: each rank reads exactly its rows, and the
/// ranks' parts of the density and its gradient add up to the whole data's. Under Open
/// MPI's mpirun (skipped where it is not installed): fits with 1, 2 and 3 ranks — 1,001 rows,
/// which 2 and 3 do not divide — agree with the fit in one process to 1e-8, a shard only
/// one rank can see is wrong ends every rank with that rank's message, and a rank killed
/// mid-fit ends the job instead of leaving the others waiting.
final class ShardTests: XCTestCase {
    static let folder = CLI.root + "/Tests/Data/shard"

    func model(_ name: String) throws -> CheckedModel {
        try Compilation.compile(path: Self.folder + "/" + name).checked()
    }

    func model(text: String) throws -> CheckedModel {
        try XCTUnwrap(Compilation.compile(file: SourceFile(path: "m.ppl", text: text)).model)
    }

    /// Rank `rank` of `ranks`' runtime: its rows, its part of the density. Nothing is summed here.
    func part(_ model: CheckedModel, _ data: String, rank: Int, of ranks: Int) throws(PPLError) -> ModelRuntime {
        try ModelRuntime(model: model, dataPath: Self.folder + "/" + data, hint: "",
                         shard: (Shard(size: "N", rank: rank, ranks: ranks), RankSum { _ in }))
    }

    func testEachRankReadsItsOwnRowsStoredOrCompressed() throws {
        let m = try model("linreg.ppl")
        let whole = try ModelRuntime(model: m, dataPath: Self.folder + "/linreg.npz", hint: "").values
        for file in ["linreg.npz", "linreg_compressed.npz"] {
            for ranks in 1...4 {
                var next = 0
                for rank in 0..<ranks {
                    let values = try part(m, file, rank: rank, of: ranks).values
                    let n = try XCTUnwrap(values["N"]).values[0]
                    // ⌊1001/R⌋ or one more, the first ranks taking the remainder.
                    XCTAssertEqual(Int(n), 1001 / ranks + (rank < 1001 % ranks ? 1 : 0), "\(file) rank \(rank) of \(ranks)")
                    XCTAssertEqual(values[MinibatchedDensity.totalInput]?.values, [1001])
                    let rows = next..<(next + Int(n))
                    XCTAssertEqual(values["X"]?.shape, [Int(n), 3])
                    XCTAssertEqual(values["X"]?.values, Array(whole["X"]!.values[(3 * rows.lowerBound)..<(3 * rows.upperBound)]))
                    XCTAssertEqual(values["y"]?.values, Array(whole["y"]!.values[rows]))
                    next = rows.upperBound
                }
                XCTAssertEqual(next, 1001)
            }
        }
    }

    func testTheRanksPartsOfTheDensityAndGradientAddUpToTheWhole() throws {
        let linreg = try String(contentsOfFile: Self.folder + "/linreg.ppl", encoding: .utf8)
        // N read as a number in the density is the whole data's, on every rank.
        let counted = linreg.replacingOccurrences(of: "half_normal(1)", with: "half_normal(sqrt(N) / 30)")
        for m in [try model(text: linreg), try model(text: counted)] {
            let whole = try ModelRuntime(model: m, dataPath: Self.folder + "/linreg.npz", hint: "")
            var rng = RNG(seed: 7)
            let theta = (0..<whole.dimension).map { _ in 0.5 * rng.normal() }
            func evaluate(_ runtime: ModelRuntime) throws -> [Double] {
                let gradient = try runtime.executable(runtime.gradientProgram())
                _ = gradient.input("theta").update(fromContentsOf: theta)
                try gradient.run()
                return [gradient.output("target")[0]] + Array(gradient.output("grad.theta"))
            }
            let expected = try evaluate(whole)
            for ranks in 1...3 {
                var total = [Double](repeating: 0, count: expected.count)
                for rank in 0..<ranks {
                    let parts = try evaluate(try part(m, "linreg.npz", rank: rank, of: ranks))
                    for i in total.indices { total[i] += parts[i] }
                }
                for (a, b) in zip(total, expected) {
                    XCTAssertEqual(a, b, accuracy: 1e-11 * max(1, abs(b)), "\(ranks) ranks: \(total) against \(expected)")
                }
            }
        }
    }

    /// What a sharded fit refuses, before any rank fits: the user's error, saying why.
    func testModelsAndGuidesASplitWouldGetWrongAreRefused() throws {
        func refusal(_ text: String, data: String = "linreg.npz") throws -> String {
            let m = try model(text: text)
            do {
                _ = try part(m, data, rank: 0, of: 2)
                return ""
            } catch {
                XCTAssertEqual(error.kind, .user)
                return error.text(color: false)
            }
        }
        let linreg = try String(contentsOfFile: Self.folder + "/linreg.ppl", encoding: .utf8)
        let centred = linreg.replacingOccurrences(of: "param alpha", with: "let ybar = mean(y)\nparam alpha")
            .replacingOccurrences(of: "normal(alpha +", with: "normal(ybar + alpha +")
        let centredRefusal = try refusal(centred)
        XCTAssertTrue(centredRefusal.contains("transformed data 'ybar' is computed from the rows of N, which each rank holds a part of"),
                      centredRefusal)
        let counted = linreg.replacingOccurrences(of: "param alpha", with: "let root = sqrt(N)\nparam alpha")
            .replacingOccurrences(of: "normal(0, 10)", with: "normal(0, root)")
        let countedRefusal = try refusal(counted)
        XCTAssertTrue(countedRefusal.contains("transformed data 'root' reads N as a number, which on each rank is its count of rows"),
                      countedRefusal)
        let local = linreg + "param u: vector[N]\nu ~ normal(0, 1)\n"
        let localRefusal = try refusal(local)
        XCTAssertTrue(localRefusal.contains("param 'u' has N in its shape (vector[N]), and its rows would live on the ranks apart"),
                      localRefusal)
        let fitted = linreg + "generate {\n  let mean_mu = mean(alpha + X * beta)\n}\n"
        // Generated quantities of the rows are left to `ppl sample` of the saved fit, in one process.
        XCTAssertEqual(try refusal(fitted), "")
        let withheld = try part(try model(text: fitted), "linreg.npz", rank: 0, of: 2).generatedWithheld
        XCTAssertTrue(withheld?.contains("generated quantity 'mean_mu' is computed from the rows of N") == true, withheld ?? "nil")
        // Row by row is each rank's own business: 2y of its rows.
        let rowwise = linreg.replacingOccurrences(of: "param alpha", with: "let y2 = 2 * y\nparam alpha")
            .replacingOccurrences(of: "y ~ normal(alpha + X * beta, sigma)", with: "y2 ~ normal(2 * (alpha + X * beta), 2 * sigma)")
        XCTAssertEqual(try refusal(rowwise), "")
        let json = try CLI.temporaryFolder("shard-json") + "/d.json"
        try #"{"N": 2, "K": 1, "X": [[1], [2]], "y": [1, 2]}"#.write(toFile: json, atomically: true, encoding: .utf8)
        let m = try model("linreg.ppl")
        do {
            _ = try ModelRuntime(model: m, dataPath: json, hint: "",
                                 shard: (Shard(size: "N", rank: 0, ranks: 2), RankSum { _ in }))
            XCTFail("JSON data were sharded")
        } catch {
            XCTAssertTrue(error.message.contains("--shard N reads each rank's rows of an .npz archive, not of JSON"), error.message)
        }
        // An HVI guide follows the whole density's gradient inside its draw.
        let runtime = try part(try model("linreg.ppl"), "linreg.npz", rank: 0, of: 2)
        XCTAssertThrowsError(try FitSession(runtime: runtime, guide: "hvi", settings: [])) { error in
            XCTAssertTrue((error as? PPLError)?.message.contains("--shard N: a hvi guide moves along the density's gradient") == true,
                          "\(error)")
        }
    }

    // MARK: - Under mpirun

    /// mpirun, or a skip where Open MPI is not installed: the ppl binary and its tests do
    /// not need it.
    func mpirun() throws -> String {
        guard let path = ["/usr/bin/mpirun", "/usr/local/bin/mpirun"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("Open MPI's mpirun is not installed (.ci/setup installs openmpi-bin)")
        }
        return path
    }

    /// `mpirun -np ranks ppl ARGS`, on this machine alone, as root too.
    func mpi(_ ranks: Int, _ args: [String], in folder: String) throws -> CLI.Run {
        try CLI.run(["--oversubscribe", "--allow-run-as-root", "-np", "\(ranks)", CLI.binary] + args, in: folder,
                    executable: try mpirun(), environment: ["OMPI_MCA_btl_vader_single_copy_mechanism": "none"])
    }

    /// Every number of a summary JSON but its timings and build, by path.
    func numbers(_ path: String) throws -> [String: Double] {
        var out: [String: Double] = [:]
        func walk(_ v: Any, _ at: String) {
            if let d = v as? [String: Any] { for (k, x) in d where !["seconds", "commit", "version"].contains(k) { walk(x, at + "/" + k) } }
            else if let a = v as? [Any] { for (i, x) in a.enumerated() { walk(x, at + "[\(i)]") } }
            else if let n = v as? NSNumber { out[at] = n.doubleValue }
        }
        walk(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))), "")
        return out
    }

    func testFitsOn1To3RanksAgreeWithTheFitInOneProcess() throws {
        _ = try mpirun()
        let folder = try CLI.temporaryFolder("shard-fit")
        for guide in ["meanfield", "fullrank"] {
            let args = ["fit", Self.folder + "/linreg.ppl", "--data", Self.folder + "/linreg.npz", "--guide", guide, "--seed", "5",
                        "--quiet", "--summary-json"]
            let one = try CLI.run(args + ["one.json"], in: folder)
            XCTAssertEqual(one.status, 0, one.stderr)
            let expected = try numbers(folder + "/one.json")
            XCTAssertGreaterThan(expected.count, 20)
            for ranks in 1...3 {
                let r = try mpi(ranks, args + ["\(ranks).json", "--shard", "N"], in: folder)
                XCTAssertEqual(r.status, 0, r.stderr)
                XCTAssertTrue(r.stdout.contains("shard: N = 1001 rows over \(ranks) rank"), r.stdout)
                let got = try numbers(folder + "/\(ranks).json")
                XCTAssertEqual(Set(got.keys), Set(expected.keys))
                for (key, value) in expected {
                    let other = try XCTUnwrap(got[key])
                    // k̂, a fit of the weights' tail, and the effective sample size from it
                    // magnify the order of the sums: 1e-7 measured on a 50,000-row GLM.
                    let tolerance = key.hasSuffix("khat") || key.hasSuffix("_ess") ? 1e-5 : 1e-8
                    XCTAssertEqual(other, value, accuracy: tolerance * max(abs(value), 1e-3), "\(guide), \(ranks) ranks: \(key)")
                }
            }
        }
    }

    func testAShardOnlyOneRankCanSeeIsWrongEndsEveryRankWithItsMessage() throws {
        let folder = try CLI.temporaryFolder("shard-bad")
        let r = try mpi(3, ["fit", Self.folder + "/counts.ppl", "--data", Self.folder + "/counts.npz", "--shard", "N", "--quiet"],
                        in: folder)
        XCTAssertNotEqual(r.status, 0)
        // The last row is the last rank's; it alone says so, once.
        let message = "ppl: rank 2 of 3: error: " + Self.folder + "/counts.npz: 'y[1001]' is -1, below the lower bound 0"
        XCTAssertTrue(r.stderr.contains(message), r.stderr)
        XCTAssertEqual(r.stderr.components(separatedBy: "error:").count, 2, r.stderr)
        XCTAssertEqual(r.stdout, "")
    }

    func testARankKilledMidFitEndsTheJob() throws {
        let mpirun = try mpirun()
        let folder = try CLI.temporaryFolder("shard-kill")
        // A fit that would run for hours: a step size too small to converge at.
        let script = """
            timeout 120 \(mpirun) --oversubscribe --allow-run-as-root -np 2 "$PPL" fit \(Self.folder)/linreg.ppl \
              --data \(Self.folder)/linreg.npz --shard N --steps 100000000 --lr 1e-12 --runs 1 --quiet --seed 1 > out.txt 2> err.txt &
            job=$!
            for i in $(seq 100); do
              sleep 0.2
              for p in $(pgrep -f "$PPL fit \(Self.folder)/linreg.ppl"); do
                if tr '\\0' '\\n' < /proc/$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then victim=$p; fi
              done
              [ -n "$victim" ] && break
            done
            sleep 2
            kill -9 $victim
            wait $job
            echo "status $?"
            """
        let r = try CLI.shell(script, in: folder)
        let status = try XCTUnwrap(Int(r.stdout.split(separator: " ").last?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        // Not 0, and not timeout's 124: the job ended on its own.
        XCTAssertNotEqual(status, 0)
        XCTAssertNotEqual(status, 124, "the other rank waited for the killed one")
        let err = try String(contentsOfFile: folder + "/err.txt", encoding: .utf8)
        XCTAssertTrue(err.contains("exited on signal 9"), err)
    }
}
