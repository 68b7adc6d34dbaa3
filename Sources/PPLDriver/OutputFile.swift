import Foundation

/// Every file ppl writes (`--save`, `--draws`, `--summary-json`, the REPL's `:save` and
/// `:draws`) goes through here. A regular file is replaced atomically — a temporary file
/// beside it, fsync, rename — so a reader never sees half a file, a failed write leaves the
/// old one, and the old file's permissions carry over. A target that is not a regular file
/// (`/dev/null`, a FIFO, a terminal, `-` or `/dev/stdout`, a process substitution's
/// `/dev/fd/63`) is written to directly: renaming over it would replace the device or the
/// pipe by a file. A symlink is followed: the file it points to is replaced, the link stays.
/// A file that cannot be written is the user's error, as one that cannot be read is.
public enum OutputFile {
    /// Where the bytes for a path go.
    enum Target: Equatable {
        /// An open descriptor of this process: `-`, `/dev/stdout`, `/dev/fd/N`.
        case descriptor(Int32)
        /// A file that exists and is not a regular file: written in place.
        case device(String)
        /// A regular file, or none yet: replaced through a temporary file.
        case regular(String)
    }

    /// Fails, before any work is done, if `path` could not be written: its folder missing
    /// or not writable, the path a folder, or the same file as one of `inputs` (role → path:
    /// the model, the data), which the output would replace.
    public static func check(_ path: String, inputs: [(role: String, path: String)] = []) throws(PPLError) {
        var out = stat()
        if stat(path, &out) == 0, out.st_mode & S_IFMT == S_IFREG {
            for input in inputs {
                var st = stat()
                if stat(input.path, &st) == 0, st.st_dev == out.st_dev, st.st_ino == out.st_ino {
                    throw PPLError.user("cannot write '\(path)': it is \(input.role) '\(input.path)', which ppl reads, not replaces")
                }
            }
        }
        switch try target(path) {
        case .descriptor: return
        case .device(let p):
            if access(p, W_OK) != 0 { throw failure(path, errno) }
        case .regular(let p):
            var st = stat()
            let folder = self.folder(p)
            if stat(p, &st) == 0 {
                if st.st_mode & S_IFMT == S_IFDIR { throw PPLError.user("cannot write '\(path)': it is a folder") }
                if access(p, W_OK) != 0 { throw failure(path, errno) }
            } else {
                var fs = stat()
                guard stat(folder, &fs) == 0, fs.st_mode & S_IFMT == S_IFDIR else {
                    throw PPLError.user("cannot write '\(path)': the folder '\(folder)' does not exist")
                }
            }
            if access(folder, W_OK | X_OK) != 0 {
                throw PPLError.user("cannot write '\(path)': its folder '\(folder)' is not writable: \(reason(errno))")
            }
        }
    }

    /// Writes `text` to `path` (`-` is standard output).
    public static func write(_ text: String, to path: String) throws(PPLError) {
        try write(bytes: Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path` (`-` is standard output).
    public static func write(bytes: [UInt8], to path: String) throws(PPLError) {
        switch try target(path) {
        case .descriptor(let fd):
            // What `print` has buffered comes first.
            if fd == 1 { fflush(nil) }
            if let e = writeAll(fd, bytes) { throw failure(path, e) }
        case .device(let p):
            let fd = open(p, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            if fd < 0 { throw failure(path, errno) }
            let e = writeAll(fd, bytes)
            let closed = close(fd) == 0 ? nil : errno
            if let e = e ?? closed { throw failure(path, e) }
        case .regular(let p):
            try replace(p, with: bytes, naming: path)
        }
    }

    /// A temporary file beside `file`, its permissions those of the file it replaces, then
    /// a rename over it. SIGINT, SIGTERM or SIGHUP meanwhile remove the temporary file.
    static func replace(_ file: String, with bytes: [UInt8], naming path: String) throws(PPLError) {
        var st = stat()
        let existing = stat(file, &st) == 0 ? st : nil
        if let existing, existing.st_mode & S_IFMT == S_IFDIR { throw PPLError.user("cannot write '\(path)': it is a folder") }
        let temp = folder(file) + "/." + name(file) + ".\(getpid()).tmp"
        let guardTemp = TemporaryGuard(temp)
        defer { guardTemp.release() }
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        if fd < 0 { throw failure(path, errno) }
        if let existing {
            _ = fchmod(fd, existing.st_mode & 0o7777)
            if existing.st_uid != geteuid() || existing.st_gid != getegid() { _ = fchown(fd, existing.st_uid, existing.st_gid) }
        }
        var e = writeAll(fd, bytes)
        if e == nil, fsync(fd) != 0, errno != EINVAL { e = errno }
        if close(fd) != 0, e == nil { e = errno }
        if e == nil, rename(temp, file) != 0 { e = errno }
        if let e {
            unlink(temp)
            throw failure(path, e)
        }
        // The rename itself reaches the disk with the folder's entry.
        let dir = open(folder(file), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            _ = fsync(dir)
            close(dir)
        }
    }

    /// The target of `path`: symlinks followed (at most 40, as the kernel does), a name of
    /// one of this process's descriptors recognised wherever it appears in the chain.
    static func target(_ path: String) throws(PPLError) -> Target {
        if path == "-" { return .descriptor(1) }
        var p = path
        for _ in 0..<40 {
            if let fd = descriptor(named: p) { return .descriptor(fd) }
            var st = stat()
            guard lstat(p, &st) == 0 else {
                if errno == ENOENT { return .regular(p) }
                throw failure(path, errno)
            }
            switch st.st_mode & S_IFMT {
            case S_IFLNK:
                var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = readlink(p, &buffer, buffer.count - 1)
                if n < 0 { throw failure(path, errno) }
                let link = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                p = link.hasPrefix("/") ? link : folder(p) + "/" + link
            case S_IFREG, S_IFDIR: return .regular(p)
            default: return .device(p)
            }
        }
        throw PPLError.user("cannot write '\(path)': too many levels of symbolic links")
    }

    /// The descriptor a path names: `/dev/stdout`, `/dev/stderr`, `/dev/fd/N`,
    /// `/proc/self/fd/N`. Opening these anew would truncate a file the shell redirected
    /// standard output to, or (followed as links) rename over it.
    static func descriptor(named p: String) -> Int32? {
        switch p {
        case "/dev/stdout": return 1
        case "/dev/stderr": return 2
        default:
            for prefix in ["/dev/fd/", "/proc/self/fd/", "/proc/\(getpid())/fd/"] where p.hasPrefix(prefix) {
                return Int32(p.dropFirst(prefix.count))
            }
            return nil
        }
    }

    /// The folder part of a path, as dirname(1) has it (`.` for a bare name). Not
    /// NSString's, which traps on `.`.
    static func folder(_ path: String) -> String {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }

    /// The last part of a path, as basename(1) has it.
    static func name(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    /// Writes `text` to an open descriptor; whether all of it was written.
    public static func writeToDescriptor(_ fd: Int32, _ text: String) -> Bool {
        writeAll(fd, Array(text.utf8)) == nil
    }

    /// Writes all of `bytes`; the errno of a failure.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32? {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            done += n
        }
        return nil
    }

    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    static func failure(_ path: String, _ code: Int32) -> PPLError {
        PPLError.user("cannot write '\(path)': \(reason(code))")
    }
}

/// The temporary file being written, removed if SIGINT, SIGTERM or SIGHUP would end the
/// process meanwhile. Signals another handler already takes (a fit's Ctrl-C) are left to it.
nonisolated(unsafe) private var pendingTemporary: UnsafeMutablePointer<CChar>?

private final class TemporaryGuard {
    let installed: [Int32]

    init(_ path: String) {
        pendingTemporary = strdup(path)
        var installed: [Int32] = []
        for s in [SIGINT, SIGTERM, SIGHUP] {
            let old = signal(s) { s in
                if let p = pendingTemporary { unlink(p) }
                signal(s, SIG_DFL)
                raise(s)
            }
            if old == nil { installed.append(s) } else { signal(s, old) }
        }
        self.installed = installed
    }

    func release() {
        for s in installed { signal(s, SIG_DFL) }
        let p = pendingTemporary
        pendingTemporary = nil
        free(p)
    }
}
