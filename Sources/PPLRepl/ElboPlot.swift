import PPLDriver

/// The ELBO trace of a fit as a bar chart for the terminal, one column per group of steps
/// (their mean), bars in eighths of a character cell.
///
/// The first steps of a fit are often far below the rest and would flatten the chart, so
/// the vertical range is that of the columns after the first tenth; a column below it is
/// drawn empty, and the chart says so.
public enum ElboPlot {
    static let eighths: [Character] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    public static func render(_ trace: [Double], width: Int = 60, height: Int = 15) -> String {
        let values = trace.filter(\.isFinite)
        guard !values.isEmpty else { return "no ELBO values to plot\n" }
        let columns = min(width, values.count)
        let means: [Double] = (0..<columns).map { c in
            let slice = values[c * values.count / columns..<(c + 1) * values.count / columns]
            return slice.reduce(0, +) / Double(slice.count)
        }
        let settled = means.dropFirst(columns / 10)
        var hi = settled.max()!, lo = settled.min()!
        if hi - lo < 1e-12 * max(1, abs(hi)) {
            hi += 0.5
            lo -= 0.5
        }
        let labels = [FitReports.number(hi), FitReports.number(lo)]
        let gutter = labels.map(\.count).max()!
        func pad(_ s: String) -> String { String(repeating: " ", count: gutter - s.count) + s }
        let perColumn = Double(values.count) / Double(columns)
        var out = "ELBO over \(values.count) step\(values.count == 1 ? "" : "s")"
        out += perColumn > 1 ? String(format: " (each column the mean of %.3g steps)\n", perColumn) : "\n"
        // Heights in eighths of a cell; a column below the range has none.
        let levels = means.map { m -> Int in
            m < lo ? 0 : max(1, Int(((m - lo) / (hi - lo) * Double(height * 8 - 1)).rounded()) + 1)
        }
        for row in 0..<height {
            let label = row == 0 ? pad(labels[0]) : row == height - 1 ? pad(labels[1]) : String(repeating: " ", count: gutter)
            let floor = (height - 1 - row) * 8
            out += label + (row == 0 || row == height - 1 ? " ┤" : " │")
            let bars = String(levels.map { eighths[min(8, max(0, $0 - floor))] })
            out += String(bars.reversed().drop { $0 == " " }.reversed()) + "\n"
        }
        out += String(repeating: " ", count: gutter) + " └" + String(repeating: "─", count: columns) + "\n"
        let first = "1", last = String(values.count)
        out += String(repeating: " ", count: gutter + 2) + first
            + String(repeating: " ", count: max(1, columns - first.count - last.count)) + last + "\n"
        if means.contains(where: { $0 < lo }) {
            out += "(the first steps, below \(labels[1]), are cut off)\n"
        }
        return out
    }
}
