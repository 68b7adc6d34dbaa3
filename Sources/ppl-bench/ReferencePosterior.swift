import Foundation
import PPLInference

/// A reference posterior from ../shared/bench/reference (long NUTS runs, or exact draws):
/// per component, its mean and sd. The scores are the ones NumPyro's anchor script reports,
/// so the two can be compared: over the latent components, the mean of
/// |mean_q - mean_ref| / sd_ref and of |log(sd_q / sd_ref)|; analytic values are used where
/// the file has them (funnel, banana).
struct ReferencePosterior {
    let latent: Set<String>
    let components: [String: (mean: Double, sd: Double)]

    struct Score: Sendable {
        let meanError: Double, logSDError: Double
        /// The fitted sd of each latent component.
        let sd: [String: Double]
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path),
              let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let latent = root["latent_sites"] as? [String],
              let components = root["components"] as? [String: [String: Any]] else {
            throw Failure(description: "'\(path)' is not a reference posterior (latent_sites, components)")
        }
        let analytic = root["analytic"] as? [String: [String: Any]] ?? [:]
        var out: [String: (Double, Double)] = [:]
        for (name, c) in components {
            let a = analytic[name] ?? [:]
            guard let mean = (a["mean"] ?? c["mean"]) as? Double, let sd = (a["sd"] ?? c["sd"]) as? Double else { continue }
            out[name] = (mean, sd)
        }
        self.latent = Set(latent)
        self.components = out
    }

    /// Scores draws against the reference; nil when no latent component matches.
    func score(_ draws: PosteriorDraws) -> Score? {
        var meanErrors: [Double] = [], sdErrors: [Double] = []
        var sd: [String: Double] = [:]
        for (name, s) in zip(draws.names, draws.summaries()) {
            guard let r = components[name], latent.contains(String(name.prefix { $0 != "[" })) else { continue }
            meanErrors.append(abs(s.mean - r.mean) / r.sd)
            sdErrors.append(abs(log(s.sd / r.sd)))
            sd[name] = s.sd
        }
        guard !meanErrors.isEmpty else { return nil }
        return Score(meanError: meanErrors.reduce(0, +) / Double(meanErrors.count),
                     logSDError: sdErrors.reduce(0, +) / Double(sdErrors.count), sd: sd)
    }
}
