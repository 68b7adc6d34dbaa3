import CLITestSupport
import Foundation
import XCTest

/// The files `ppl fit`, `ppl sample` and the REPL write (`OutputFile`): regular files
/// replaced atomically with their permissions, symlinks followed, devices and pipes written
/// in place, failures named with exit status 65, output paths checked before the fit.
final class OutputFileTests: XCTestCase {
    let model = CLI.bench + "/models/eight_schools.ppl", data = CLI.bench + "/data/eight_schools.json"
    /// A short fit: the outputs are what these tests look at.
    var fit: [String] { ["fit", model, "--data", data, "--steps", "200", "--runs", "1", "--no-precondition", "--quiet"] }

    func dir() throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("ppl-out-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    func mode(_ path: String) -> mode_t {
        var st = stat()
        XCTAssertEqual(lstat(path, &st), 0, path)
        return st.st_mode
    }

    func shell(_ script: String, in directory: String) throws -> CLI.Run { try CLI.shell(script, in: directory) }

    /// A device number as Linux encodes it, for numbers below 256 (glibc's makedev is a macro).
    func device(_ major: dev_t, _ minor: dev_t) -> dev_t { major << 8 | minor }

    func testASymlinkIsFollowedAndTheReplacedFileKeepsItsPermissions() throws {
        let d = try dir()
        try "old\n".write(toFile: d + "/real.csv", atomically: false, encoding: .utf8)
        XCTAssertEqual(chmod(d + "/real.csv", 0o640), 0)
        XCTAssertEqual(symlink("real.csv", d + "/link.csv"), 0)
        let r = try CLI.run(fit + ["--draws", d + "/link.csv", "--summary-json", d + "/summary.json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(d + "/link.csv") & S_IFMT, S_IFLNK, "the link stays a link")
        XCTAssertEqual(mode(d + "/real.csv") & S_IFMT, S_IFREG)
        XCTAssertEqual(mode(d + "/real.csv") & 0o7777, 0o640, "the permissions carry over")
        let csv = try String(contentsOfFile: d + "/real.csv", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(csv.count, 1001)
        XCTAssertTrue(csv[0].hasPrefix("lp__,log_p__,log_g__,mu,tau,eta.1,"))
        // A new file gets the usual permissions (0666 less the umask), and no temporary file is left.
        let umask = Foundation.umask(0o022)
        Foundation.umask(umask)
        XCTAssertEqual(mode(d + "/summary.json") & 0o7777, 0o666 & ~umask)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d).sorted(), ["link.csv", "real.csv", "summary.json"])
    }

    func testAFailedWriteIsAnErrorNamingTheFile() throws {
        for flag in ["--draws", "--summary-json", "--save"] {
            let r = try CLI.run(fit + [flag, "/dev/full"])
            XCTAssertEqual(r.status, 65, flag)
            XCTAssertTrue(r.stderr.contains("ppl: error: cannot write '/dev/full': No space left on device"), r.stderr)
        }
        let d = try dir()
        let s = try CLI.run(fit + ["--save", d + "/fit.json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let sample = try CLI.run(["sample", d + "/fit.json", "--draws", "/dev/full"])
        XCTAssertEqual(sample.status, 65)
        XCTAssertTrue(sample.stderr.contains("cannot write '/dev/full': No space left on device"), sample.stderr)
    }

    func testOutputPathsAreCheckedBeforeTheFit() throws {
        let d = try dir()
        let cases = [
            ("--draws", d + "/missing/draws.csv", "cannot write '\(d)/missing/draws.csv': the folder '\(d)/missing' does not exist"),
            ("--summary-json", d, "cannot write '\(d)': it is a folder"),
            ("--save", d + "/", "cannot write '\(d)/': it is a folder"),
        ]
        for (flag, path, message) in cases {
            // 20,000 steps would take seconds; the check fails before the first.
            let r = try CLI.run(["fit", model, "--data", data, "--steps", "20000", flag, path])
            XCTAssertEqual(r.status, 65)
            XCTAssertTrue(r.stderr.contains("ppl: error: " + message), r.stderr)
            XCTAssertEqual(r.stdout, "", "nothing fitted")
        }
        let s = try CLI.run(fit + ["--save", d + "/fit.json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let sample = try CLI.run(["sample", d + "/fit.json", "--summary-json", d + "/missing/s.json"])
        XCTAssertEqual(sample.status, 65)
        XCTAssertTrue(sample.stderr.contains("the folder '\(d)/missing' does not exist"), sample.stderr)
        XCTAssertEqual(sample.stdout, "")
    }

    /// A careless `--draws model.ppl`: the inputs are never replaced by an output, through
    /// a symlink either.
    func testAnOutputOverAnInputIsRefused() throws {
        let d = try dir()
        let m = d + "/m.ppl", data = d + "/m.json"
        try FileManager.default.copyItem(atPath: model, toPath: m)
        try FileManager.default.copyItem(atPath: self.data, toPath: data)
        XCTAssertEqual(symlink("m.json", d + "/link.json"), 0)
        let fit = ["fit", m, "--data", data, "--steps", "200", "--runs", "1", "--no-precondition", "--quiet"]
        let cases = [
            (["--draws", m], "cannot write '\(m)': it is the model '\(m)', which ppl reads, not replaces"),
            (["--summary-json", d + "/link.json"], "cannot write '\(d)/link.json': it is the data '\(data)', which ppl reads, not replaces"),
        ]
        for (flags, message) in cases {
            let r = try CLI.run(fit + flags)
            XCTAssertEqual(r.status, 65)
            XCTAssertTrue(r.stderr.contains("ppl: error: " + message), r.stderr)
        }
        let s = try CLI.run(fit + ["--save", d + "/fit.json"])
        XCTAssertEqual(s.status, 0, s.stderr)
        let sample = try CLI.run(["sample", d + "/fit.json", "--draws", d + "/fit.json"])
        XCTAssertEqual(sample.status, 65)
        XCTAssertTrue(sample.stderr.contains("it is the saved fit '\(d)/fit.json'"), sample.stderr)
        XCTAssertEqual(try String(contentsOfFile: m, encoding: .utf8), try String(contentsOfFile: model, encoding: .utf8))
        XCTAssertEqual(try String(contentsOfFile: data, encoding: .utf8), try String(contentsOfFile: self.data, encoding: .utf8))
    }

    func testAFifoIsWrittenInPlace() throws {
        let d = try dir()
        XCTAssertEqual(mkfifo(d + "/fifo", 0o600), 0)
        // A reader, as `ppl fit --draws >(wc -l)` has one.
        let r = try shell("cat fifo > read.csv & \"$PPL\" fit '\(model)' --data '\(data)' --steps 200 --runs 1 "
                          + "--no-precondition --quiet --draws fifo > /dev/null; s=$?; wait; exit $s", in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(d + "/fifo") & S_IFMT, S_IFIFO, "still a FIFO")
        XCTAssertEqual(try String(contentsOfFile: d + "/read.csv", encoding: .utf8).split(separator: "\n")
            .filter { !$0.hasPrefix("#") }.count, 1001)
    }

    /// A device node made with mknod (root only): written to, not replaced by a file.
    func testADeviceNodeIsWrittenInPlace() throws {
        try XCTSkipIf(getuid() != 0, "mknod needs root")
        let d = try dir()
        XCTAssertEqual(mknod(d + "/null", S_IFCHR | 0o666, device(1, 3)), 0, "the node of /dev/null")
        XCTAssertEqual(mknod(d + "/full", S_IFCHR | 0o666, device(1, 7)), 0, "the node of /dev/full")
        let r = try CLI.run(fit + ["--draws", d + "/null", "--save", d + "/null"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(mode(d + "/null") & S_IFMT, S_IFCHR, "still a device")
        let full = try CLI.run(fit + ["--summary-json", d + "/full"])
        XCTAssertEqual(full.status, 65)
        XCTAssertTrue(full.stderr.contains("cannot write '\(d)/full': No space left on device"), full.stderr)
        XCTAssertEqual(mode(d + "/full") & S_IFMT, S_IFCHR)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d).sorted(), ["full", "null"])
    }

    func testStandardOutputAsATarget() throws {
        let d = try dir()
        // `-` and /dev/stdout write after the table, into the file the shell opened, not over it.
        for target in ["-", "/dev/stdout"] {
            let r = try shell("\"$PPL\" fit '\(model)' --data '\(data)' --steps 200 --runs 1 --no-precondition --quiet "
                              + "--draws \(target) > out.txt", in: d)
            XCTAssertEqual(r.status, 0, r.stderr)
            let out = try String(contentsOfFile: d + "/out.txt", encoding: .utf8)
            XCTAssertTrue(out.hasPrefix("\(model): guide 'mf'"), out)
            XCTAssertTrue(out.contains("Pareto k̂ = "))
            let lines = out.split(separator: "\n")
            let header = try XCTUnwrap(lines.firstIndex { $0.hasPrefix("lp__,log_p__,log_g__,mu,tau,eta.1,") }, target)
            XCTAssertEqual(lines.count - header, 1001, target)
        }
    }

    func testAClosedOrBrokenStandardOutputIsAnError() throws {
        let d = try dir()
        let closed = try shell("\"$PPL\" fit '\(model)' --data '\(data)' --steps 200 --runs 1 --quiet >&-", in: d)
        XCTAssertEqual(closed.status, 65)
        XCTAssertTrue(closed.stderr.contains("ppl: error: cannot write the standard output: it is closed"), closed.stderr)
        let full = try shell("\"$PPL\" fit '\(model)' --data '\(data)' --steps 200 --runs 1 --quiet > /dev/full", in: d)
        XCTAssertEqual(full.status, 65)
        XCTAssertTrue(full.stderr.contains("cannot write the standard output: No space left on device"), full.stderr)
        // `| head`: EPIPE is an error, not a death by SIGPIPE (exit 141).
        let piped = try shell("\"$PPL\" fit '\(model)' --data '\(data)' --steps 200 --runs 1 --quiet --draws-n 10000 "
                              + "--draws - | head -1 > /dev/null; exit ${PIPESTATUS[0]}", in: d)
        XCTAssertEqual(piped.status, 65)
        XCTAssertTrue(piped.stderr.contains("cannot write '-': Broken pipe"), piped.stderr)
    }

    func testTheReplSaveFailsAndTheSessionGoesOn() throws {
        let d = try dir()
        let r = try CLI.run(["repl"], input: [":load models/regression.ppl", ":fit 100", ":save /dev/full",
                                              ":draws 20 \(d)/missing/d.csv", ":draws 20 \(d)/d.csv"].joined(separator: "\n") + "\n",
                            in: CLI.root)
        XCTAssertEqual(r.status, 65, "the first failure's status")
        XCTAssertTrue(r.stderr.contains("cannot write '/dev/full': No space left on device"), r.stderr)
        XCTAssertTrue(r.stderr.contains("cannot write '\(d)/missing/d.csv': No such file or directory"), r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote 20 draws"), r.stdout)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d), ["d.csv"])
    }

    /// SIGTERM while a fit runs (with an old output file in place) leaves the old file and no
    /// temporary file.
    func testSigtermDuringAFitLeavesNoTemporaryFile() throws {
        let d = try dir()
        try "old\n".write(toFile: d + "/draws.csv", atomically: false, encoding: .utf8)
        // maf at a tiny step size is still fitting after a second.
        let r = try shell("\"$PPL\" fit '\(model)' --data '\(data)' --steps 1000000 --runs 1 --quiet --guide maf --lr 0.0001 "
                          + "--draws draws.csv --save fit.json > /dev/null & sleep 1; kill -TERM $!; wait $!", in: d)
        XCTAssertEqual(r.status, 128 + SIGTERM)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: d).filter { $0.hasSuffix(".tmp") }, [])
        XCTAssertEqual(try String(contentsOfFile: d + "/draws.csv", encoding: .utf8), "old\n")
    }
}
