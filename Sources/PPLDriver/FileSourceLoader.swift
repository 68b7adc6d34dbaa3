import Foundation
import PPLSema
import PPLSyntax

/// Reads model and library files from disk; `import` paths are relative to the importing file.
public struct FileSourceLoader: SourceLoader {
    public init() {}

    public func load(_ path: String, relativeTo: SourceFile?) -> SourceFile? {
        var url = URL(fileURLWithPath: path)
        if !path.hasPrefix("/"), let base = relativeTo?.path {
            url = URL(fileURLWithPath: base).deletingLastPathComponent().appendingPathComponent(path)
        }
        return FileSourceLoader.read(url.standardizedFileURL.path)
    }

    public static func read(_ path: String) -> SourceFile? {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return SourceFile(path: path, bytes: [UInt8](data))
    }
}
