import Foundation
import PPLEngine
import PPLInference

extension ModelRuntime {
    /// The frame guides are fitted in (`Frame`): the mode of the unconstrained density and
    /// the curvature there, if there is a mode and the Laplace approximation at it is usable —
    /// its Pareto k̂, over 1,000 of its draws weighted by the density, below 0.7. A funnel's
    /// mode lies deep in its neck, where the curvature says sds of 1e-9, and a hierarchical
    /// model's joint mode shrinks the groups together: there k̂ is well above 1, and a frame
    /// from it would make things worse. `note` says which, for the fit's header. Searched
    /// once per runtime.
    public func laplaceFrame() throws(PPLError) -> (frame: Frame?, note: String) {
        if let laplace { return laplace }
        let found = try searchFrame()
        laplace = found
        return found
    }

    private func searchFrame() throws(PPLError) -> (frame: Frame?, note: String) {
        let d = dimension
        let search = try PPLError.during(.computation) {
            try ModeSearch(gradient: gradientProgram(), hessianVector: hessianVectorProgram(), data: values, dimension: d)
        }
        let mode: ModeSearch.Mode
        switch search.run(from: [Double](repeating: 0, count: d)) {
        case .found(let m): mode = m
        case .none(let reason): return (nil, "none (\(reason))")
        }
        let frame = Frame(location: mode.location, curvatureFactor: mode.curvatureFactor)
        let draws = 1000
        let chunk = try PPLError.during(.computation) {
            try Executable.batch(space.density, varying: ["theta"], data: values, upTo: draws)
        }
        let density = try executable(space.density, batch: chunk)
        var rng = RNG(seed: 0x1A9)
        var logWeights: [Double] = []
        let buffer = density.input("theta")
        while logWeights.count < draws {
            let count = min(chunk, draws - logWeights.count)
            var logq: [Double] = []
            for k in 0..<count {
                let eps = (0..<d).map { _ in rng.normal() }
                let z = frame.place(eps)
                for i in 0..<d { buffer[k * d + i] = z[i] }
                logq.append(-0.5 * eps.reduce(0) { $0 + $1 * $1 } - 0.5 * Double(d) * log(2 * Double.pi) - frame.logDeterminant)
            }
            try PPLError.during(.computation) { try density.run() }
            logWeights += (0..<count).map { density.output("target", particle: $0)[0] - logq[$0] }
        }
        let khat = ParetoSmoothing.khat(logWeights)
        let detail = "Newton, \(mode.iterations) iteration\(mode.iterations == 1 ? "" : "s"); Laplace k̂ \(FitReports.number(khat))"
        guard khat < 0.7 else { return (nil, "none (the Laplace approximation at the mode is poor: \(detail))") }
        return (frame, "the posterior mode's curvature (\(detail))")
    }
}
