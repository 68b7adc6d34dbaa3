import Foundation
import PPLDriver
import PPLIR
import PPLSema
import XCTest

/// Drop-in golden tests: every model in a golden folder has its expected output beside it
/// (or, for models outside this repo, in Tests/Golden/<folder>/). `PPL_UPDATE_GOLDEN=1
/// swift test` rewrites them and fails the run so an update never passes silently.
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().standardizedFileURL.path
    static let golden = root + "/Tests/Golden"
    let update = ProcessInfo.processInfo.environment["PPL_UPDATE_GOLDEN"] == "1"

    static func models(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".ppl") }.sorted().map { dir + "/" + $0 }
    }

    /// Valid models: their IR must match and verify.
    func testGoodModelsPrintTheirIR() throws {
        var cases: [(model: String, expected: String)] = []
        for m in Self.models(in: Self.golden + "/good") { cases.append((m, String(m.dropLast(4)) + ".ir")) }
        let bench = URL(fileURLWithPath: Self.root + "/../shared/bench/models").standardizedFileURL.path
        let benchModels = Self.models(in: bench)
        XCTAssertEqual(benchModels.count, 7, "the bench models are expected at ../shared/bench/models")
        for m in benchModels { cases.append((m, Self.golden + "/bench/" + name(m) + ".ir")) }
        let examples = Self.models(in: Self.root + "/models")
        XCTAssertGreaterThanOrEqual(examples.count, 8)
        for m in examples { cases.append((m, Self.golden + "/models/" + name(m) + ".ir")) }
        XCTAssertGreaterThanOrEqual(cases.count, 40)

        var updated = 0
        for (model, expected) in cases {
            let c = Compilation.compile(path: model)
            guard let m = c.model else {
                XCTFail("\(name(model)) does not check:\n" + c.renderDiagnostics(color: false))
                continue
            }
            for p in [m.transformedData, m.logDensity, m.derived, m.paramBounds] {
                XCTAssertEqual(Verifier.verify(p), [], "\(name(model)): \(p.name) does not verify")
            }
            if compare(Reports.ir(m), expected) { updated += 1 }
        }
        if updated > 0 { XCTFail("updated \(updated) golden IR files; run again without PPL_UPDATE_GOLDEN") }
    }

    /// The density over the unconstrained space and its gradient, for every bench model,
    /// and the Hessian-vector product program for two of them.
    func testGradientProgramsOfBenchModels() throws {
        let bench = URL(fileURLWithPath: Self.root + "/../shared/bench/models").standardizedFileURL.path
        var updated = 0
        for m in Self.models(in: bench) {
            let c = Compilation.compile(path: m)
            let model = try XCTUnwrap(c.model, name(m))
            let programs = DerivedPrograms(model: model)
            let gradient = try programs.gradient(), hessianVector = try programs.hessianVector()
            for p in [programs.unconstrained.density, gradient, hessianVector] {
                XCTAssertEqual(Verifier.verify(p), [], "\(name(m)): \(p.name) does not verify")
            }
            var text = Printer.print(programs.unconstrained.density) + "\n" + Printer.print(gradient)
            if ["banana", "eight_schools"].contains(name(m)) { text += "\n" + Printer.print(hessianVector) }
            if compare(text, Self.golden + "/grad/" + name(m) + ".ir") { updated += 1 }
        }
        if updated > 0 { XCTFail("updated \(updated) golden gradient files; run again without PPL_UPDATE_GOLDEN") }
    }

    /// Every guide family that can be fitted has a model in Golden/guides named after it,
    /// whose ELBO program and gradient (what `ppl ir FILE --guide g` prints) must match.
    func testGuideProgramsOfEveryFamily() throws {
        let dir = Self.golden + "/guides"
        var updated = 0, covered = 0
        for family in GuideFamily.allCases {
            let model = dir + "/\(family.rawValue).ppl"
            guard FileManager.default.fileExists(atPath: model) else {
                XCTAssertThrowsError(try FitSession.open(model: Self.root + "/models/regression.ppl",
                                                         data: Self.root + "/models/regression.data.json",
                                                         guide: family.rawValue),
                                     "\(family.rawValue) can be fitted but has no golden guide model")
                continue
            }
            let session = try FitSession.open(model: model, data: nil, guide: "g")
            XCTAssertEqual(session.family.family, family)
            for p in [session.elbo.program, session.elbo.gradient] {
                XCTAssertEqual(Verifier.verify(p), [], "\(family.rawValue): \(p.name) does not verify")
            }
            let text = Printer.print(session.elbo.program) + "\n" + Printer.print(session.elbo.gradient)
            if compare(text, dir + "/\(family.rawValue).ir") { updated += 1 }
            covered += 1
        }
        XCTAssertGreaterThanOrEqual(covered, 8)
        if updated > 0 { XCTFail("updated \(updated) golden guide files; run again without PPL_UPDATE_GOLDEN") }
    }

    /// Bad models: each must fail with exactly its expected, located messages.
    func testBadModelsReportTheirErrors() throws {
        let dir = Self.golden + "/errors"
        let models = Self.models(in: dir)
        XCTAssertGreaterThanOrEqual(models.count, 30)
        var updated = 0
        for model in models {
            let c = Compilation.compile(path: model)
            XCTAssertTrue(c.model == nil, "\(name(model)) should not check")
            XCTAssertFalse(c.diagnostics.isEmpty && c.readError == nil, "\(name(model)) failed without a message")
            let text = c.renderDiagnostics(color: false).replacingOccurrences(of: Self.root + "/", with: "")
            XCTAssertTrue(text.contains("error:"), name(model))
            if compare(text, String(model.dropLast(4)) + ".err") { updated += 1 }
        }
        if updated > 0 { XCTFail("updated \(updated) golden error files; run again without PPL_UPDATE_GOLDEN") }
    }

    private func name(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// Compares with the golden file; returns true when it was (re)written.
    private func compare(_ actual: String, _ path: String) -> Bool {
        let expected = try? String(contentsOfFile: path, encoding: .utf8)
        if expected == actual { return false }
        if update {
            try? FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path,
                                                     withIntermediateDirectories: true)
            try? actual.write(toFile: path, atomically: true, encoding: .utf8)
            return true
        }
        if let expected {
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let line = Array(zip(a, e)).firstIndex { $0.0 != $0.1 } ?? min(a.count, e.count)
            XCTFail("""
                \(path) differs at line \(line + 1):
                  expected: \(line < e.count ? String(e[line]) : "<end>")
                  actual:   \(line < a.count ? String(a[line]) : "<end>")
                run PPL_UPDATE_GOLDEN=1 swift test to accept the new output
                """)
        } else {
            XCTFail("\(path) is missing; run PPL_UPDATE_GOLDEN=1 swift test to create it")
        }
        return false
    }
}
