import Foundation

/// One plot as inline SVG, for the HTML report: a frame with numbered ticks on both axes, a
/// title and axis labels, and marks (lines, bars, points, segments, text) in data
/// coordinates. A mark outside the axes' ranges is clamped to the frame, and a non-finite
/// value is dropped, so every coordinate written is a finite number.
struct SVGPlot {
    let width: Double, height: Double
    let title: String
    let x: Axis, y: Axis
    var xLabel = "", yLabel = ""
    private var marks: [String] = []

    /// The margins around the frame, for the tick numbers, labels and title.
    static let left = 56.0, right = 14.0, top = 26.0, bottom = 40.0

    /// An axis: its data range and scale (a log axis takes positive values).
    struct Axis {
        let lo: Double, hi: Double
        let log: Bool

        /// [lo, hi] widened to a usable range: a little around one value, and by `pad`
        /// (a fraction of the span) each side.
        init(_ lo: Double, _ hi: Double, pad: Double = 0.04, log: Bool = false) {
            self.log = log
            var (a, b) = log ? (Foundation.log10(lo), Foundation.log10(hi)) : (lo, hi)
            // Values of a fit that diverged: no range to show them on, but finite coordinates still.
            if !(a.isFinite && b.isFinite && (b - a).isFinite && b >= a) { (a, b) = (0, 1) }
            if b - a < 1e-12 * max(1, abs(a)) {
                let h = max(0.5, abs(a) * 0.1)
                (a, b) = (a - h, b + h)
            }
            let p = (b - a) * pad
            (self.lo, self.hi) = (a - p, b + p)
        }

        /// The value on the axis's own scale (log10 on a log axis).
        func scaled(_ v: Double) -> Double { log ? Foundation.log10(v) : v }

        /// Round values inside the range: 1, 2 or 5 times a power of ten apart (about
        /// `count` of them); on a log axis, powers of ten, or 1-2-5 within a decade.
        func ticks(count: Int) -> [(at: Double, label: String)] {
            let steps = SVGPlot.niceTicks(lo, hi, count: count)
            guard log else { return steps.values.map { ($0, SVGPlot.label($0, step: steps.step)) } }
            let decades = Int(Foundation.floor(lo))...Int(Foundation.ceil(hi))
            var out: [(Double, String)] = []
            let multiples: [Double] = decades.count > 3 ? [1] : [1, 2, 5]
            for e in decades {
                for m in multiples {
                    let at = Foundation.log10(m) + Double(e)
                    if at >= lo && at <= hi { out.append((at, SVGPlot.label(m * Foundation.pow(10, Double(e)), step: Foundation.pow(10, Double(e))))) }
                }
            }
            return out
        }
    }

    init(width: Double, height: Double, title: String, x: Axis, y: Axis) {
        (self.width, self.height, self.title, self.x, self.y) = (width, height, title, x, y)
    }

    /// The pixel of a data value, clamped to the frame.
    func px(_ v: Double) -> Double {
        Self.left + Self.clamped((x.scaled(v) - x.lo) / (x.hi - x.lo)) * (width - Self.left - Self.right)
    }

    func py(_ v: Double) -> Double {
        height - Self.bottom - Self.clamped((y.scaled(v) - y.lo) / (y.hi - y.lo)) * (height - Self.top - Self.bottom)
    }

    /// A fraction of the frame, within it (a value beyond the range, or NaN, at an edge).
    static func clamped(_ f: Double) -> Double { f.isNaN ? 0 : min(1, max(0, f)) }

    static func n(_ v: Double) -> String { String(format: "%.2f", v) }

    /// A line through the points, broken where a value is not finite; dashed if `dashed`.
    mutating func line(_ xs: [Double], _ ys: [Double], color: String, width w: Double = 1.5, opacity: Double = 1,
                       dashed: Bool = false) {
        var runs: [[String]] = [[]]
        for (a, b) in zip(xs, ys) {
            if a.isFinite && b.isFinite && (!x.log || a > 0) && (!y.log || b > 0) {
                runs[runs.count - 1].append(Self.n(px(a)) + "," + Self.n(py(b)))
            } else if !runs[runs.count - 1].isEmpty {
                runs.append([])
            }
        }
        for r in runs where r.count > 1 {
            marks.append("<polyline points=\"\(r.joined(separator: " "))\" fill=\"none\" stroke=\"\(color)\" "
                         + "stroke-width=\"\(w)\" stroke-opacity=\"\(opacity)\" stroke-linejoin=\"round\""
                         + (dashed ? " stroke-dasharray=\"6 3\"" : "") + "/>")
        }
    }

    /// Bars of `heights` between consecutive `edges` (a histogram), from zero.
    mutating func bars(edges: [Double], heights: [Double], color: String, opacity: Double = 0.55) {
        for (i, h) in heights.enumerated() where h.isFinite && h > 0 && edges[i].isFinite && edges[i + 1].isFinite {
            let x0 = px(edges[i]), x1 = px(edges[i + 1]), top = py(h), base = py(0)
            marks.append("<rect x=\"\(Self.n(x0))\" y=\"\(Self.n(top))\" width=\"\(Self.n(max(0, x1 - x0)))\" "
                         + "height=\"\(Self.n(max(0, base - top)))\" fill=\"\(color)\" fill-opacity=\"\(opacity)\" stroke=\"white\" stroke-width=\"0.5\"/>")
        }
    }

    /// A point at each finite (x, y).
    mutating func points(_ xs: [Double], _ ys: [Double], color: String, radius: Double = 1.6, opacity: Double = 0.5) {
        for (a, b) in zip(xs, ys) where a.isFinite && b.isFinite && (!x.log || a > 0) && (!y.log || b > 0) {
            marks.append("<circle cx=\"\(Self.n(px(a)))\" cy=\"\(Self.n(py(b)))\" r=\"\(radius)\" fill=\"\(color)\" fill-opacity=\"\(opacity)\"/>")
        }
    }

    /// Line segments from (x0, y0) to (x1, y1), each finite one.
    mutating func segments(_ s: [(x0: Double, y0: Double, x1: Double, y1: Double)], color: String, width w: Double = 1.2,
                           opacity: Double = 1) {
        for (a, b, c, d) in s where [a, b, c, d].allSatisfy(\.isFinite) {
            marks.append("<line x1=\"\(Self.n(px(a)))\" y1=\"\(Self.n(py(b)))\" x2=\"\(Self.n(px(c)))\" y2=\"\(Self.n(py(d)))\" "
                         + "stroke=\"\(color)\" stroke-width=\"\(w)\" stroke-opacity=\"\(opacity)\"/>")
        }
    }

    /// Text at a fraction of the frame (0, 0 its bottom left; 1, 1 its top right).
    mutating func note(_ text: String, atFraction fx: Double, _ fy: Double, anchor: String = "end") {
        let x0 = Self.left + fx * (width - Self.left - Self.right)
        let y0 = height - Self.bottom - fy * (height - Self.top - Self.bottom)
        marks.append("<text x=\"\(Self.n(x0))\" y=\"\(Self.n(y0))\" text-anchor=\"\(anchor)\" class=\"note\">\(HTMLReport.escape(text))</text>")
    }

    /// A legend entry (a short line and its text), the `row`-th from the top right.
    mutating func legend(_ text: String, color: String, row: Int, dashed: Bool = false) {
        let x1 = width - Self.right - 8, y0 = Self.top + 12 + Double(row) * 14
        let textWidth = Double(text.count) * 6.2
        marks.append("<rect x=\"\(Self.n(x1 - textWidth - 26))\" y=\"\(Self.n(y0 - 11))\" width=\"\(Self.n(textWidth + 30))\" "
                     + "height=\"14\" fill=\"white\" fill-opacity=\"0.85\"/>")
        marks.append("<line x1=\"\(Self.n(x1 - textWidth - 22))\" y1=\"\(Self.n(y0 - 4))\" x2=\"\(Self.n(x1 - textWidth - 6))\" "
                     + "y2=\"\(Self.n(y0 - 4))\" stroke=\"\(color)\" stroke-width=\"2.5\"" + (dashed ? " stroke-dasharray=\"6 3\"" : "") + "/>")
        marks.append("<text x=\"\(Self.n(x1))\" y=\"\(Self.n(y0))\" text-anchor=\"end\" class=\"note\">\(HTMLReport.escape(text))</text>")
    }

    /// The plot as an `<svg>` element.
    func render() -> String {
        let fx0 = Self.left, fx1 = width - Self.right, fy0 = Self.top, fy1 = height - Self.bottom
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\">"
        out += "<title>\(HTMLReport.escape(title))</title>"
        out += "<rect x=\"\(Self.n(fx0))\" y=\"\(Self.n(fy0))\" width=\"\(Self.n(fx1 - fx0))\" height=\"\(Self.n(fy1 - fy0))\" class=\"frame\"/>"
        let xTicks = x.ticks(count: max(3, Int((fx1 - fx0) / 60)))
        let yTicks = y.ticks(count: max(3, Int((fy1 - fy0) / 36)))
        // Gridlines and tick numbers, placed on the axes' own scales.
        func tx(_ t: Double) -> Double { fx0 + (t - x.lo) / (x.hi - x.lo) * (fx1 - fx0) }
        func ty(_ t: Double) -> Double { fy1 - (t - y.lo) / (y.hi - y.lo) * (fy1 - fy0) }
        for t in xTicks {
            let p = Self.n(tx(t.at))
            out += "<line x1=\"\(p)\" y1=\"\(Self.n(fy0))\" x2=\"\(p)\" y2=\"\(Self.n(fy1 + 4))\" class=\"gl\"/>"
            out += "<text x=\"\(p)\" y=\"\(Self.n(fy1 + 16))\" text-anchor=\"middle\" class=\"tick\">\(t.label)</text>"
        }
        for t in yTicks {
            let p = Self.n(ty(t.at))
            out += "<line x1=\"\(Self.n(fx0 - 4))\" y1=\"\(p)\" x2=\"\(Self.n(fx1))\" y2=\"\(p)\" class=\"gl\"/>"
            out += "<text x=\"\(Self.n(fx0 - 7))\" y=\"\(p)\" dy=\"0.32em\" text-anchor=\"end\" class=\"tick\">\(t.label)</text>"
        }
        out += marks.joined()
        out += "<text x=\"\(Self.n((fx0 + fx1) / 2))\" y=\"17\" text-anchor=\"middle\" class=\"title\">\(HTMLReport.escape(title))</text>"
        if !xLabel.isEmpty {
            out += "<text x=\"\(Self.n((fx0 + fx1) / 2))\" y=\"\(Self.n(height - 6))\" text-anchor=\"middle\" class=\"label\">\(HTMLReport.escape(xLabel))</text>"
        }
        if !yLabel.isEmpty {
            out += "<text transform=\"translate(13,\(Self.n((fy0 + fy1) / 2))) rotate(-90)\" text-anchor=\"middle\" class=\"label\">"
                + "\(HTMLReport.escape(yLabel))</text>"
        }
        return out + "</svg>"
    }

    /// About `count` round values in [lo, hi] (at least two), a step of 1, 2 or 5 times a
    /// power of ten apart, and that step.
    static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> (values: [Double], step: Double) {
        let raw = (hi - lo) / Double(max(1, count))
        guard raw > 0, raw.isFinite else { return ([lo], 1) }
        let magnitude = pow(10, floor(log10(raw)))
        let steps = [0.1, 0.2, 0.5, 1, 2, 5, 10].map { $0 * magnitude }
        var k = steps.firstIndex { $0 >= raw * 0.999 } ?? steps.count - 1
        while true {
            let step = steps[k]
            guard abs(lo / step) < 1e12, abs(hi / step) < 1e12 else { return ([lo], step) }
            let first = Int((lo / step).rounded(.up)), last = Int((hi / step).rounded(.down))
            if last - first >= 1 || k == 0 { return (first <= last ? (first...last).map { Double($0) * step } : [lo], step) }
            k -= 1
        }
    }

    /// A tick's number, with as many decimals as its step needs; exponent form when very
    /// large or small.
    static func label(_ v: Double, step: Double) -> String {
        if v == 0 { return "0" }
        if abs(v) >= 1e5 || abs(v) < 1e-4 { return String(format: "%.3g", v) }
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        return String(format: "%.\(min(decimals, 6))f", v)
    }
}
