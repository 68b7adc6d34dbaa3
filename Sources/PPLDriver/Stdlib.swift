import Foundation
import PPLSyntax

/// The standard library: the distributions and functions written in the language
/// (`stdlib/*.ppl`). The binary carries them (`Stdlib.embedded`, generated from the
/// folder), so it needs no checkout at run time; `$PPL_STDLIB` names a folder to read
/// instead (to try changes to the library without rebuilding).
public enum Stdlib {
    /// The library's files, in a stable order: from `$PPL_STDLIB` if it is set, else the
    /// embedded copy, named `stdlib/NAME.ppl` in diagnostics (also when it is set but
    /// empty). Nil when `$PPL_STDLIB` names a folder that holds no library.
    public static func sources() -> [SourceFile]? {
        guard let dir = ProcessInfo.processInfo.environment["PPL_STDLIB"], !dir.isEmpty else {
            return embedded.map { SourceFile(path: "stdlib/" + $0.name, text: $0.text) }
        }
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return nil }
        let files = names.filter { $0.hasSuffix(".ppl") }.sorted().compactMap { FileSourceLoader.read(dir + "/" + $0) }
        return files.isEmpty ? nil : files
    }
}
