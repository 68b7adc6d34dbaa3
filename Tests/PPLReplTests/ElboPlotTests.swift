import PPLRepl
import XCTest

final class ElboPlotTests: XCTestCase {
    func testARisingTraceFillsFromTheBottomWithItsRangeLabelled() {
        let trace = (0..<600).map { -100 + 90 * (1 - exp(-Double($0) / 100)) }
        let lines = ElboPlot.render(trace, width: 60, height: 10).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        XCTAssertEqual(lines[0], "ELBO over 600 steps (each column the mean of 10 steps)")
        let rows = Array(lines[1...10])
        XCTAssertTrue(rows[0].hasPrefix("-10.24 ┤ "), rows[0])
        XCTAssertTrue(rows[1].hasPrefix("       │ "), rows[1])
        // The range is that of the columns after the first tenth (6 of 60): those six are
        // below it and empty, the seventh is at the bottom, the last at the top.
        XCTAssertEqual(rows[9], "-57.24 ┤      ▁" + String(repeating: "█", count: 53))
        XCTAssertTrue(rows[0].hasSuffix("█"), rows[0])
        for (upper, lower) in zip(rows.dropLast(), rows.dropFirst()) {
            XCTAssertLessThanOrEqual(upper.filter { $0 != " " }.count, lower.filter { $0 != " " }.count)
        }
        XCTAssertEqual(lines[11], "       └" + String(repeating: "─", count: 60))
        XCTAssertEqual(lines[12], "        1" + String(repeating: " ", count: 56) + "600")
        XCTAssertEqual(lines[13], "(the first steps, below -57.24, are cut off)")
    }

    func testAShortOrFlatTraceStillPlots() {
        let flat = ElboPlot.render([-5, -5, -5], width: 60, height: 4)
        XCTAssertTrue(flat.hasPrefix("ELBO over 3 steps\n"), flat)
        XCTAssertTrue(flat.contains("-4.5 ┤"), flat)
        XCTAssertTrue(flat.contains("-5.5 ┤"), flat)
        XCTAssertFalse(flat.contains("cut off"), flat)
        XCTAssertEqual(ElboPlot.render([]), "no ELBO values to plot\n")
    }
}
