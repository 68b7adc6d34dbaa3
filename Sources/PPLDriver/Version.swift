/// ppl's version, and the commit it was built from (`commit`, written at build time by
/// `Plugins/BuildCommit`: a short hash, with `-dirty` for uncommitted changes, or `unknown`
/// outside a git checkout).
public enum Version {
    /// The one place the version number is set.
    public static let number = "0.1.0"

    /// `ppl 0.1.0 (commit 1a2b3c4d5e6f)`, as `ppl --version` prints it.
    public static var text: String { "ppl \(number) (commit \(commit))" }
}
