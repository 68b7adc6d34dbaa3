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

    /// The mode of the unconstrained density and the curvature there (`ModeSearch`, from
    /// z = 0), or why there is none, with the seconds the search took. Searched once per
    /// runtime.
    public func posteriorMode() throws(PPLError) -> (outcome: ModeSearch.Outcome, seconds: Double) {
        if let mode { return (mode.outcome, mode.seconds) }
        let start = DispatchTime.now().uptimeNanoseconds
        let d = dimension
        let search = try PPLError.during(.computation) {
            try ModeSearch(gradient: gradientProgram(), hessianVector: hessianVectorProgram(), data: values, dimension: d,
                           ranks: shard?.ranks)
        }
        let outcome = search.run(from: [Double](repeating: 0, count: d))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        mode = (outcome, seconds, search)
        return (outcome, seconds)
    }

    /// The posterior mode to the rounding of Newton's method, for the guides placed at it
    /// (`map` reports it): the search goes on from `posteriorMode`'s, which stops within
    /// 1e-9 nats (about 1e-5 sds: enough for a frame), until the decrement is below 1e-14
    /// nats — one or two steps more, converging quadratically. Where rounding stops those
    /// steps, the first mode stands.
    public func preciseMode() throws(PPLError) -> (outcome: ModeSearch.Outcome, seconds: Double) {
        let (outcome, seconds) = try posteriorMode()
        guard case .found(let first) = outcome, let search = mode?.search else { return (outcome, seconds) }
        let start = DispatchTime.now().uptimeNanoseconds
        let polished = search.run(from: first.location, tolerance: 1e-14)
        let total = seconds + Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard case .found(let better) = polished else { return (outcome, total) }
        let merged = ModeSearch.Mode(location: better.location, logDensity: better.logDensity,
                                     curvatureFactor: better.curvatureFactor, iterations: first.iterations + better.iterations)
        return (.found(merged), total)
    }

    /// The failure of a fit whose density is flat along `direction` (θ's coordinates): the
    /// posterior is improper, and no guide fits it.
    func improper(_ v: [Double]) -> PPLError {
        // The line's sign is arbitrary: its first coordinate written is positive.
        let sign = (v.first { abs($0) >= 0.05 } ?? 1) < 0 ? -1.0 : 1.0
        let direction = v.map { sign * $0 }
        var ints: [String: Int] = [:]
        for (k, v) in values where v.count == 1 { ints[k] = Int(exactly: v.values[0]) }
        var terms: [(name: String, weight: Double)] = []
        var names: [String] = []
        for l in space.layout {
            guard let offset = l.offset.evaluate({ ints[$0] }), let length = l.length.evaluate({ ints[$0] }) else { continue }
            for k in 0..<length where offset + k < direction.count && abs(direction[offset + k]) >= 0.05 {
                let scalar = l.type.isScalar
                terms.append((scalar ? l.name : "\(l.name) (unconstrained coordinate \(k + 1))", direction[offset + k]))
                if names.last != l.name { names.append(l.name) }
            }
        }
        let line = terms.prefix(6).enumerated().map { i, t in
            (i == 0 ? (t.weight < 0 ? "−" : "") : (t.weight < 0 ? " − " : " + ")) + (abs(abs(t.weight) - 1) < 5e-5 ? "" : FitReports.number(abs(t.weight)) + "·") + t.name
        }.joined() + (terms.count > 6 ? " + …" : "")
        return .computation("the posterior is improper: the log density changes by less than "
                            + "\(ModeSearch.flatTolerance) nats over ±\(FitReports.number(ModeSearch.flatReach)) "
                            + "along the direction \(line) of the unconstrained space, so the model does not identify "
                            + names.map { "'\($0)'" }.joined(separator: names.count == 2 ? " and " : ", ")
                            + (names.count == 1 ? "; give it a prior, or data that inform it"
                                                : "; give them priors, or data that tell them apart"))
    }

    private func searchFrame() throws(PPLError) -> (frame: Frame?, note: String) {
        let d = dimension
        let mode: ModeSearch.Mode
        switch try posteriorMode().outcome {
        case .found(let m): mode = m
        case .none(let reason): return (nil, "none (\(reason))")
        case .flat(let direction): throw improper(direction)
        }
        let frame = Frame(location: mode.location, curvatureFactor: mode.curvatureFactor)
        let draws = 1000
        let chunk = try PPLError.during(.computation) {
            try Executable.batch(space.density, varying: ["theta"], data: values, upTo: draws)
        }
        let density = try executable(space.density, batch: chunk)
        var rng = RNG(seed: 0x1A9)
        var logDensities: [Double] = [], logq: [Double] = []
        let buffer = density.input("theta")
        while logDensities.count < draws {
            let count = min(chunk, draws - logDensities.count)
            for k in 0..<count {
                let eps = (0..<d).map { _ in rng.normal() }
                let z = frame.place(eps)
                for i in 0..<d { buffer[k * d + i] = z[i] }
                logq.append(-0.5 * eps.reduce(0) { $0 + $1 * $1 } - 0.5 * Double(d) * log(2 * Double.pi) - frame.logDeterminant)
            }
            try PPLError.during(.computation) { try density.run() }
            logDensities += (0..<count).map { density.output("target", particle: $0)[0] }
        }
        // A rank of a sharded fit has its part of each.
        shard?.ranks(&logDensities)
        let logWeights = zip(logDensities, logq).map { $0 - $1 }
        let khat = ParetoSmoothing.khat(logWeights)
        let detail = "Newton, \(mode.iterations) iteration\(mode.iterations == 1 ? "" : "s"); Laplace k̂ \(FitReports.number(khat))"
        guard khat < 0.7 else { return (nil, "none (the Laplace approximation at the mode is poor: \(detail))") }
        return (frame, "the posterior mode's curvature (\(detail))")
    }
}
