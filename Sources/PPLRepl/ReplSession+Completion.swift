import Foundation
import PPLDriver
import PPLSema

extension ReplSession {
    /// What Tab offers for `word`, the word under the cursor, given the text of the line
    /// before it: commands after `:`, then each command's arguments (files, guides,
    /// settings); in model text, the model's names and the distributions.
    public func completions(for word: String, after before: String) -> [String] {
        let head = before.trimmingCharacters(in: .whitespaces)
        if head.isEmpty {
            if word.hasPrefix(":") {
                return ReplCommand.allCases.map { ":" + $0.rawValue }.filter { $0.hasPrefix(word) }
            }
            return names(startingWith: word)
        }
        guard head.hasPrefix(":") else { return names(startingWith: word) }
        let name = String(head.dropFirst().prefix { !$0.isWhitespace })
        guard let command = ReplCommand(rawValue: name) else { return [] }
        let position = head.split(separator: " ").count
        switch command.argument {
        case .file:
            return ReplSession.paths(startingWith: word)
        case .guide where position == 1:
            let blocks = editor.model?.guides.map(\.name) ?? []
            return Array(Set(blocks + GuideFamily.allCases.map(\.rawValue))).sorted().filter { $0.hasPrefix(word) }
        case .setting where position == 1:
            let family = (try? guideOptions())?.family ?? .meanfield
            return FitOptions.Key.allCases.filter { family.allKeys.contains($0) }.map(\.rawValue).filter { $0.hasPrefix(word) }
        case .command where position == 1:
            return ReplCommand.allCases.map(\.rawValue).filter { $0.hasPrefix(word) }
        case .flag where position == 1:
            return ["--grad"].filter { $0.hasPrefix(word) }
        default:
            return []
        }
    }

    private func names(startingWith word: String) -> [String] {
        guard !word.isEmpty else { return [] }
        let distributions = editor.model?.distributions.keys.map { $0 } ?? []
        return Array(Set(editor.names + distributions)).sorted().filter { $0.hasPrefix(word) }
    }

    /// Files and folders (with a trailing `/`) whose path starts with `word`.
    static func paths(startingWith word: String) -> [String] {
        let slash = word.lastIndex(of: "/")
        let folder = slash.map { String(word[...$0]) } ?? ""
        let stem = slash.map { String(word[word.index(after: $0)...]) } ?? word
        let directory = folder.isEmpty ? "." : (folder as NSString).expandingTildeInPath
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return entries.filter { $0.hasPrefix(stem) && (stem.hasPrefix(".") || !$0.hasPrefix(".")) }.sorted().map { entry in
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isFolder)
            return folder + entry + (isFolder.boolValue ? "/" : "")
        }
    }
}
