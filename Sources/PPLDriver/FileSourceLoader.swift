import Foundation
import PPLSema
import PPLSyntax

/// Reads model and library files from disk; `import` paths are relative to the importing file.
public struct FileSourceLoader: SourceLoader {
    public init() {}

    /// Keeps paths as the user wrote them (relative stays relative) so messages show
    /// `models/lib.ppl`, not an absolute path.
    public func load(_ path: String, relativeTo: SourceFile?) -> SourceFile? {
        var joined = path
        if !path.hasPrefix("/"), let base = relativeTo?.path, let slash = base.lastIndex(of: "/") {
            joined = String(base[...slash]) + path
        }
        return FileSourceLoader.read(FileSourceLoader.normalise(joined))
    }

    public func identity(of file: SourceFile) -> String {
        URL(fileURLWithPath: file.path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Removes `.` and resolvable `..` segments without touching the file system.
    static func normalise(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    public static func read(_ path: String) -> SourceFile? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return SourceFile(path: path, bytes: [UInt8](data))
    }
}
