import Foundation

/// A malformed data file in a binary format: what is wrong, without the file's name (the
/// loader adds it).
struct DataFormatError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The bytes of a data file, read by offset: from an open file with `pread`, so an array goes
/// straight from the file into its tensor without a copy of the file in memory, or from bytes
/// already in memory (the fuzz target's).
final class ByteSource {
    private enum Storage {
        case file(Int32)
        case memory([UInt8])
    }

    private let storage: Storage
    let count: Int

    init(bytes: [UInt8]) {
        storage = .memory(bytes)
        count = bytes.count
    }

    /// Opens the file at `path`; nil when it cannot be opened or is not a regular file.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            return nil
        }
        storage = .file(fd)
        count = Int(info.st_size)
    }

    deinit {
        if case .file(let fd) = storage { close(fd) }
    }

    /// Fills `buffer` with the bytes from `offset`; false when the file ends first.
    func read(at offset: Int, into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard offset >= 0, buffer.count <= count, offset <= count - buffer.count else { return false }
        switch storage {
        case .memory(let bytes):
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
            return true
        case .file(let fd):
            var done = 0
            while done < buffer.count {
                let n = pread(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return false }
                done += n
            }
            return true
        }
    }

    /// `n` bytes from `offset`, or an error naming `what` was cut short.
    func bytes(at offset: Int, count n: Int, _ what: String) throws(DataFormatError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        let ok = out.withUnsafeMutableBytes { read(at: offset, into: $0) }
        guard ok else { throw DataFormatError("the file ends inside \(what)") }
        return out
    }
}

/// Little-endian integers at byte offsets of a header.
extension Array where Element == UInt8 {
    func uint16(_ at: Int) -> Int { Int(self[at]) | Int(self[at + 1]) << 8 }
    func uint32(_ at: Int) -> Int { uint16(at) | uint16(at + 2) << 16 }
    /// Nil beyond Int.max.
    func uint64(_ at: Int) -> Int? {
        let v = UInt64(uint32(at)) | UInt64(uint32(at + 4)) << 32
        return Int(exactly: v)
    }
}
