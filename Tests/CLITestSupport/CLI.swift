import Foundation

/// Runs the `ppl` binary as a user would: arguments, standard input, working folder; its
/// output and exit status.
public enum CLI {
    /// The package's root folder.
    public static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().standardizedFileURL.path
    public static let bench = root + "/../shared/bench"

    /// The `ppl` built beside the test bundle, else in `.build/debug`.
    public static var binary: String {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ppl").path,
            root + "/.build/debug/ppl",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[1]
    }

    /// A new empty folder under the temporary directory, named after `prefix`.
    public static func temporaryFolder(_ prefix: String) throws -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(getpid())-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    public struct Run {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// Runs a bash script, with the binary as `$PPL`, in `directory`: for pipes, redirections
    /// and signals, as a shell sets them up.
    public static func shell(_ script: String, in directory: String) throws -> Run {
        let bash = ["/bin/bash", "/usr/bin/bash"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "/bin/bash"
        return try run(["-c", script], in: directory, executable: bash, environment: ["PPL": binary])
    }

    /// Runs ppl with `args`, `input` (if any) as its standard input, in `directory` (if given),
    /// with `environment` over this process's.
    public static func run(_ args: [String], input: String? = nil, in directory: String? = nil,
                           environment: [String: String] = [:]) throws -> Run {
        try run(args, input: input, in: directory, executable: binary, environment: environment)
    }

    /// Runs `executable` (a copy of ppl, or another program a test needs) the same way.
    public static func run(_ args: [String], input: String? = nil, in directory: String?, executable: String,
                           environment: [String: String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        env.merge(environment) { _, new in new }
        p.environment = env
        // Files, not pipes: a pipe left unread while the other fills would deadlock.
        let dir = FileManager.default.temporaryDirectory
        let outURL = dir.appendingPathComponent("ppl-out-\(UUID().uuidString)")
        let errURL = dir.appendingPathComponent("ppl-err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let inURL = dir.appendingPathComponent("ppl-in-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
            try? FileManager.default.removeItem(at: inURL)
        }
        if let input {
            try Data(input.utf8).write(to: inURL)
            p.standardInput = try FileHandle(forReadingFrom: inURL)
        }
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        p.waitUntilExit()
        let o = try Data(contentsOf: outURL), e = try Data(contentsOf: errURL)
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }
}
