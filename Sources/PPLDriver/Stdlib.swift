import Foundation

/// Finds the `stdlib/` folder of distributions written in the language: `$PPL_STDLIB`,
/// else beside or above the executable (a build tree), else the source checkout this
/// binary was built from.
public enum Stdlib {
    public static func directory() -> String? {
        let fm = FileManager.default
        func isStdlib(_ p: String) -> Bool { fm.fileExists(atPath: p + "/continuous.ppl") }
        if let env = ProcessInfo.processInfo.environment["PPL_STDLIB"], isStdlib(env) { return env }
        var dir = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("stdlib").path
            if isStdlib(candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("stdlib").path
        return isStdlib(source) ? source : nil
    }

    /// The library files in a stable order.
    public static func files() -> [String] {
        guard let dir = directory(),
              let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return [] }
        return names.filter { $0.hasSuffix(".ppl") }.sorted().map { dir + "/" + $0 }
    }
}
