/// What a fit does with each step: take it, or reject it — its ELBO or gradient is not
/// finite, or its ELBO fell far below the last window's (`explosion`) — halving the step
/// size. Five rejections running mean the parameters themselves have gone bad, not one
/// draw: back off to the best state reached. Thirty running, give up. A window without a
/// rejection doubles the step size back towards its setting.
///
/// An IAF fit of a 103-dimensional stochastic-volatility model once went from an ELBO of
/// about −100 to −8.6e194 in a few finite steps and never came back; this is the guard
/// against that.
struct StepGuard {
    enum Verdict: Equatable {
        case take
        case reject
        /// Reject, and restore the best state reached.
        case backOff
        case giveUp
    }

    /// The factor on the step size.
    private(set) var scale = 1.0
    /// Rejections running.
    private(set) var running = 0
    /// Whether the last rejection was of a finite ELBO that exploded.
    private(set) var exploded = false
    private var rejectedInWindow = false
    /// The last window's mean and sd of the per-step ELBO.
    private var reference: (mean: Double, sd: Double)?

    static let backOffAfter = 5
    static let giveUpAfter = 30

    /// How far below the last window's mean a step's ELBO must fall to count as exploded:
    /// 100 of that window's per-step sds, and ten times the ELBO's own magnitude. Healthy
    /// noise is a few sds.
    static func explosion(mean: Double, sd: Double) -> Double {
        max(100 * sd, 10 * abs(mean) + 100)
    }

    mutating func judge(_ value: Double, finite: Bool) -> Verdict {
        exploded = finite && reference.map { value < $0.mean - Self.explosion(mean: $0.mean, sd: $0.sd) } ?? false
        guard !finite || exploded else {
            running = 0
            return .take
        }
        running += 1
        rejectedInWindow = true
        scale *= 0.5
        if running >= Self.giveUpAfter { return .giveUp }
        return running % Self.backOffAfter == 0 ? .backOff : .reject
    }

    /// At the end of a window of taken steps with this mean and sd.
    mutating func endWindow(mean: Double, sd: Double) {
        reference = (mean, sd)
        if !rejectedInWindow { scale = min(1, scale * 2) }
        rejectedInWindow = false
    }
}
