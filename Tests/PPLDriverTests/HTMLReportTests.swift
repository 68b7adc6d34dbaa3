import CLITestSupport
import Foundation
import PPLDriver
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// `ppl fit --report FILE.html` and the REPL's `:report FILE`: one self-contained page whose
/// every plot is an `<svg>` with marks at finite coordinates; in a real browser (Chromium,
/// where it is installed), the page renders them.
final class HTMLReportTests: XCTestCase {
    /// A regression whose `y_rep` (a param-dependent `let`) the predictive checks compare
    /// with the data `y`.
    func folder() throws -> String {
        let d = try CLI.temporaryFolder("ppl-report")
        try """
            data N: int<lower=1>
            data x: vector[N]
            data y: vector[N]
            param alpha: real
            param beta: real
            param sigma: real<lower=0>
            alpha ~ normal(0, 10)
            beta ~ normal(0, 10)
            sigma ~ normal(0, 5)
            y ~ normal(alpha + beta * x, sigma)
            let y_rep = alpha + beta * x

            """.write(toFile: d + "/m.ppl", atomically: true, encoding: .utf8)
        let x = (0..<30).map { Double($0) / 5 }
        let y = x.enumerated().map { 1 + 0.5 * $1 + 0.4 * sin(Double($0 * 7)) }
        try "{\"N\": 30, \"x\": \(x), \"y\": \(y)}".write(toFile: d + "/m.data.json", atomically: true, encoding: .utf8)
        return d
    }

    /// The plots of a page: each `<svg>`'s title and its marks (the elements drawn in it
    /// but its frame and gridlines), with every numeric attribute checked finite.
    final class Plots: NSObject, XMLParserDelegate {
        var titles: [String] = []
        var marks: [Int] = []
        var problems: [String] = []
        var scripts = 0
        var inSVG = false, inTitle = false
        var title = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if name == "script" { scripts += 1 }
            if name == "svg" {
                inSVG = true
                marks.append(0)
                title = ""
            }
            guard inSVG else { return }
            if name == "title" { inTitle = true }
            if ["polyline", "circle", "line", "rect"].contains(name), !["frame", "gl"].contains(attributes["class"] ?? "") {
                marks[marks.count - 1] += 1
            }
            for (key, value) in attributes {
                if value.lowercased().contains("nan") || value.lowercased().contains("inf") { problems.append("\(name) \(key)=\(value)") }
                guard ["x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "width", "height", "points"].contains(key) else { continue }
                let numbers = value.split { $0 == " " || $0 == "," }.map { Double($0) }
                if numbers.isEmpty || numbers.contains(where: { $0 == nil || !$0!.isFinite }) { problems.append("\(name) \(key)=\(value)") }
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if inTitle { title += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "title" && inSVG {
                inTitle = false
                titles.append(title)
            }
            if name == "svg" { inSVG = false }
        }
    }

    func plots(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> Plots {
        let parser = try XCTUnwrap(XMLParser(contentsOf: URL(fileURLWithPath: path)))
        let plots = Plots()
        parser.delegate = plots
        XCTAssertTrue(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")", file: file, line: line)
        XCTAssertEqual(plots.titles.count, plots.marks.count, file: file, line: line)
        XCTAssertEqual(plots.problems, [], file: file, line: line)
        XCTAssertEqual(plots.scripts, 0, file: file, line: line)
        for (t, m) in zip(plots.titles, plots.marks) { XCTAssertGreaterThan(m, 0, "the plot '\(t)' is empty", file: file, line: line) }
        return plots
    }

    func testTheReportHasEveryPlotWithContentAndFetchesNothing() throws {
        let d = try folder()
        let r = try CLI.run(["fit", "m.ppl", "--report", "r.html", "--summary-json", "s.json"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try plots(d + "/r.html")
        // The ELBO; three marginals; the pairs plot of the three params (three histograms, three
        // scatter plots); the tail of the importance ratios; y against y_rep, twice.
        XCTAssertEqual(p.titles.filter { $0 == "ELBO by step" }.count, 1, "\(p.titles)")
        XCTAssertEqual(p.titles.filter { ["alpha", "beta", "sigma"].contains($0) }.count, 6, "\(p.titles)")
        XCTAssertEqual(Set(p.titles.filter { $0.contains(" vs ") }), ["beta vs alpha", "sigma vs alpha", "sigma vs beta"])
        XCTAssertTrue(p.titles.contains { $0.hasPrefix("The largest ") && $0.hasSuffix(" importance ratios") }, "\(p.titles)")
        XCTAssertTrue(p.titles.contains("y against y_rep") && p.titles.contains("y_rep by observation"), "\(p.titles)")
        XCTAssertEqual(p.titles.count, 13)
        let html = try String(contentsOfFile: d + "/r.html", encoding: .utf8)
        // Nothing from the network: the one URL is SVG's namespace.
        XCTAssertEqual(Set(html.components(separatedBy: "http").dropFirst().map { String($0.prefix(23)) }), ["://www.w3.org/2000/svg\""])
        // The header says what the summary says.
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: d + "/s.json"))) as! [String: Any]
        let khat = try XCTUnwrap(summary["khat"] as? Double)
        XCTAssertTrue(html.contains(">\(FitReports.number(khat))</span>: \(summary["verdict"] as! String)"), html.prefix(3000).description)
        let state = summary["converged"] as? Bool == true ? "converged" : "step cap reached"
        XCTAssertTrue(html.contains("<td class=\"key\">steps</td><td>\(summary["steps"] as! Int) (\(state))"), html.prefix(3000).description)
    }

    /// At most 40 marginal densities, saying how many are left out; an unwritable report is
    /// an error before the fit.
    func testMarginalsAreCappedAndTheReportIsCheckedBeforeTheFit() throws {
        let d = try folder()
        try "param z: vector[45]\nz ~ normal(0, 1)\n".write(toFile: d + "/wide.ppl", atomically: true, encoding: .utf8)
        let r = try CLI.run(["fit", "wide.ppl", "--runs", "1", "--steps", "300", "--quiet", "--report", "w.html"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        let p = try plots(d + "/w.html")
        XCTAssertEqual(p.titles.filter { $0.hasPrefix("z[") && !$0.contains(" vs ") }.count, 40 + 5, "40 marginals, 5 pairs diagonals")
        XCTAssertTrue(try String(contentsOfFile: d + "/w.html", encoding: .utf8).contains("5 more components are not shown (the first 40 are)"))
        let bad = try CLI.run(["fit", "m.ppl", "--report", "no/such/folder/r.html"], in: d)
        XCTAssertEqual(bad.status, 65)
        XCTAssertTrue(bad.stderr.contains("cannot write 'no/such/folder/r.html'"), bad.stderr)
        XCTAssertEqual(bad.stdout, "")
    }

    /// A model's `generate` block: its `y_rep` is checked against the data `y`; `zeros_rep`,
    /// with no data `zeros`, is a marginal like a derived quantity, and `--params` takes it.
    func testGeneratedQuantitiesAreCheckedAgainstTheData() throws {
        let d = try folder()
        let r = try CLI.run(["fit", CLI.root + "/models/poisson_counts.ppl", "--runs", "1", "--quiet", "--report", "r.html",
                             "--params", "alpha,zeros_rep"], in: d)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").filter { $0.hasPrefix("alpha ") || $0.hasPrefix("zeros_rep ") }.count, 2, r.stdout)
        XCTAssertFalse(r.stdout.contains("y_rep["), r.stdout)
        let p = try plots(d + "/r.html")
        XCTAssertTrue(p.titles.contains("y against y_rep") && p.titles.contains("y_rep by observation"), "\(p.titles)")
        XCTAssertTrue(p.titles.contains("zeros_rep"), "\(p.titles)")
        XCTAssertFalse(p.titles.contains { $0.hasPrefix("y_rep[") }, "\(p.titles)")
    }

    /// A fit that failed (draws overflowing: an improper posterior; an ELBO never finite)
    /// still gets its report, with finite coordinates, saying how it failed.
    func testAFailedFitsReportIsWellFormed() throws {
        let d = try folder()
        try "param mu: real\nparam s: real<lower=0>\ns ~ normal(0, 1)\n".write(toFile: d + "/imp.ppl", atomically: true, encoding: .utf8)
        try "param mu: real\ntarget += log(-1 - mu * mu)\n".write(toFile: d + "/nan.ppl", atomically: true, encoding: .utf8)
        for (model, flags) in [("imp.ppl", ["--steps", "3000", "--lr", "1", "--no-precondition"]), ("nan.ppl", [])] {
            let r = try CLI.run(["fit", model, "--runs", "1", "--quiet", "--report", "r.html"] + flags, in: d)
            XCTAssertEqual(r.status, 70, r.stderr)
            _ = try plots(d + "/r.html")
            let html = try String(contentsOfFile: d + "/r.html", encoding: .utf8)
            XCTAssertTrue(html.contains("<p class=\"warning\">warning: "), model)
        }
    }

    func testTheReplWritesTheSameReport() throws {
        let d = try folder()
        let r = try CLI.run(["repl", "m.ppl"], input: ":report early.html\n:set runs 1\n:fit 500\n:report r.html\n", in: d)
        XCTAssertEqual(r.status, 65, "':report' before a fit: \(r.stderr)")
        XCTAssertTrue(r.stderr.contains("nothing fitted yet"), r.stderr)
        XCTAssertTrue(r.stdout.contains("wrote the report to r.html"), r.stdout)
        let p = try plots(d + "/r.html")
        XCTAssertEqual(p.titles.count, 13, "\(p.titles)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: d + "/early.html"))
    }

    /// The page in headless Chromium: its DOM holds every plot, and its screenshot is a
    /// picture (many colours, much of it not white), not a blank page.
    func testChromiumRendersThePlots() throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
            .first(where: FileManager.default.isExecutableFile) else { throw XCTSkip("no Chromium here") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") else { throw XCTSkip("no python3 to read the PNG") }
        let d = try folder()
        XCTAssertEqual(try CLI.run(["fit", "m.ppl", "--quiet", "--report", "r.html"], in: d).status, 0)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
        let dom = try CLI.run(flags + ["--dump-dom", "file://\(d)/r.html"], in: d, executable: chromium, environment: [:])
        XCTAssertEqual(dom.status, 0, dom.stderr)
        XCTAssertEqual(dom.stdout.components(separatedBy: "<svg").count - 1, 13)
        XCTAssertEqual(dom.stdout.components(separatedBy: "<polyline").count - 1 > 10, true)
        let shot = try CLI.run(flags + ["--screenshot=\(d)/r.png", "--window-size=900,2000", "file://\(d)/r.html"], in: d,
                               executable: chromium, environment: [:])
        XCTAssertEqual(shot.status, 0, shot.stderr)
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: d + "/r.png")[.size] as? Int)
        XCTAssertGreaterThan(size, 50_000)
        let png = try CLI.run(["-c", Self.pngColours, d + "/r.png"], in: d, executable: "/usr/bin/python3", environment: [:])
        XCTAssertEqual(png.status, 0, png.stderr)
        let fields = png.stdout.split(separator: " ").compactMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        XCTAssertEqual(fields.count, 4, png.stdout)
        XCTAssertEqual(fields[0], 900)
        XCTAssertEqual(fields[1], 2000)
        XCTAssertGreaterThan(fields[2], 50, "distinct colours")
        XCTAssertGreaterThan(fields[3], 0.05, "the fraction of pixels that are not white")
    }

    /// Decodes an 8-bit RGB or RGBA PNG (zlib, the five row filters) and prints its width,
    /// height, number of distinct colours and fraction of pixels not white.
    static let pngColours = """
        import struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n'
        pos, idat = 8, b''
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos + 8])
            body = data[pos + 8:pos + 8 + n]
            if kind == b'IHDR':
                w, h, depth, colour = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT':
                idat += body
            pos += 12 + n
        assert depth == 8 and colour in (2, 6), (depth, colour)
        bpp = 3 if colour == 2 else 4
        raw = zlib.decompress(idat)
        stride = w * bpp
        prev = bytearray(stride)
        colours, coloured = set(), 0
        for y in range(h):
            f = raw[y * (stride + 1)]
            line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if f == 1: line[i] = (line[i] + a) & 255
                elif f == 2: line[i] = (line[i] + b) & 255
                elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                px = bytes(line[x:x + 3])
                colours.add(px)
                if px != b'\\xff\\xff\\xff': coloured += 1
            prev = line
        print(w, h, len(colours), coloured / (w * h))
        """
}
