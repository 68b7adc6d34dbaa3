import Foundation
import PPLSema

/// The most memory a fit may plan for, checked before anything of that size is allocated,
/// so that a guide or a number of draws too large for the machine is an error naming the
/// size, not a process the kernel kills (or a machine that swaps for an hour).
/// `PPL_MEMORY_LIMIT` sets it (bytes, or a number with K, M, G or T); the default is half
/// the physical memory.
public enum MemoryBudget {
    public static var bytes: Double {
        if let text = ProcessInfo.processInfo.environment["PPL_MEMORY_LIMIT"], let b = parse(text) { return b }
        return Double(ProcessInfo.processInfo.physicalMemory) / 2
    }

    /// `4G`, `512M`, `1000000`: bytes.
    static func parse(_ text: String) -> Double? {
        let units: [Character: Double] = ["K": 0x1p10, "M": 0x1p20, "G": 0x1p30, "T": 0x1p40]
        let t = text.trimmingCharacters(in: .whitespaces).uppercased()
        guard let last = t.last else { return nil }
        let (number, scale) = units[last].map { (String(t.dropLast()), $0) } ?? (t, 1)
        guard let x = Double(number), x > 0, x.isFinite else { return nil }
        return x * scale
    }

    /// `1.5 GB`, for messages.
    static func text(_ bytes: Double) -> String {
        for (unit, size) in [("TB", 0x1p40), ("GB", 0x1p30), ("MB", 0x1p20)] where bytes >= size {
            return String(format: "%.3g %@", bytes / size, unit)
        }
        return String(format: "%.0f bytes", bytes)
    }

    /// Fails if `elements` doubles for `what` exceed the budget.
    static func check(_ elements: Double, for what: String, help: String? = nil) throws(PPLError) {
        let needed = elements * 8
        let budget = bytes
        guard needed > budget else { return }
        throw .user("\(what) would need at least \(text(needed)) of memory, more than the \(text(budget)) a fit may use "
                    + "(half the physical memory; PPL_MEMORY_LIMIT sets it)" + (help.map { "; " + $0 } ?? ""))
    }

    /// The doubles a fit of `options` in `d` dimensions holds at least, counted in floating
    /// point so that no count overflows: the guide's parameters four times over (φ, its
    /// gradient, Adam's two moments) and the tensors its networks keep (MADE's masks),
    /// each step's draws, and the draws kept for the summary. Of the d coordinates, `locals`
    /// are local params' rows (`LocalLatents`), which a diagonal Gaussian per row guides
    /// beside the family's guide of the others.
    static func fitElements(_ options: FitOptions, dimension d: Int, locals: Int = 0, columns: Int) -> (guide: Double, draws: Double) {
        // The IR of a flow layer or an HVI transition, its gradient and its buffers: tens of KB.
        let program = 4096 * Double(options.layers + options.transitions * max(1, options.leapfrog))
        let x = Double(d - locals)
        let widths = (options.hidden.isEmpty ? [max(16, 2 * d)] : options.hidden).map(Double.init)
        // A conditioner network from d inputs through the hidden widths to 2d outputs.
        var network = x * widths[0] + widths[widths.count - 1] * 2 * x
        for (a, b) in zip(widths, widths.dropFirst()) { network += a * b }
        let layers = Double(options.layers)
        let guide: Double
        switch options.family {
        case .meanfield: guide = 2 * x
        case .fullrank: guide = x + x * x
        case .lowrank: guide = 2 * x + x * Double(options.rank(d))
        // The frame's factor.
        case .laplace, .map: guide = x * x
        // The particles, their gradients and the kernel matrix.
        case .svgd: guide = Double(options.particles) * (3 * x + Double(options.particles))
        case .planar: guide = layers * (2 * x + 1)
        case .radial: guide = layers * (x + 2)
        case .nice, .realnvp, .maf, .iaf: guide = 2 * layers * network
        case .hvi: guide = x + x * x + Double(options.transitions) * (2 * network + Double(options.leapfrog) * x)
        case .amortized: guide = options.base == .fullrank ? x + x * x : 2 * x
        case .mixture: guide = Double(options.components) * (options.of == .fullrank ? x + x * x : 2 * x)
        }
        let perStep = Double(options.samples) * Double(d) * 4
        let kept = Double(options.draws) * Double(options.runs) * perDraw(columns)
        return (4 * (guide + 2 * Double(locals)) + perStep + program, kept)
    }

    /// Fails, before a fit of `options` allocates anything, if it would not fit.
    public static func checkFit(_ options: FitOptions, dimension d: Int, locals: Int = 0, columns: Int) throws(PPLError) {
        let (guide, draws) = fitElements(options, dimension: d, locals: locals, columns: columns)
        try check(guide, for: "the guide '\(options.guide)' (\(options.family.rawValue)) in \(d) dimension\(d == 1 ? "" : "s")")
        try check(draws, for: "\(options.draws) draws of \(columns) value\(columns == 1 ? "" : "s") for each of \(options.runs) run\(options.runs == 1 ? "" : "s")",
                  help: "fewer draws (--draws-n) need less")
    }

    /// The doubles a kept draw takes: its values and log-weight, the copy its summary sorts,
    /// and a row's own overhead.
    static func perDraw(_ columns: Int) -> Double { 2 * Double(columns + 2) + 8 }

    /// Fails if `count` draws of `columns` values would not fit.
    public static func checkDraws(_ count: Int, columns: Int) throws(PPLError) {
        try check(Double(count) * perDraw(columns), for: "\(count) draws of \(columns) value\(columns == 1 ? "" : "s")")
    }
}
