import CZlib

/// The bytes of one NumPy array file, read in order: a stretch of a data file (a `.npy`
/// file, or a member an `.npz` archive stores as it is) or a member it deflates
/// (`InflateStream`). `remaining` is how many bytes the stream says it has left, known before
/// they are read, so that an array's size is checked before its storage is allocated.
protocol ByteStream: AnyObject {
    var remaining: Int { get }
    /// Fills `buffer` with the next bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataFormatError)
    /// Checks that every byte was read and, for an archive's member, its CRC-32.
    func finish() throws(DataFormatError)
    /// Goes past the next `count` bytes.
    func skip(_ count: Int) throws(DataFormatError)
}

extension ByteStream {
    /// Reads the bytes and drops them, a megabyte at a time.
    func skip(_ count: Int) throws(DataFormatError) {
        guard count > 0 else { return }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: min(count, 1 << 20), alignment: 8)
        defer { scratch.deallocate() }
        var left = count
        while left > 0 {
            let n = min(left, scratch.count)
            try read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[0..<n]))
            left -= n
        }
    }
}

extension ByteStream {
    func bytes(_ n: Int) throws(DataFormatError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var failure: DataFormatError?
        out.withUnsafeMutableBytes { buffer in
            do throws(DataFormatError) { try read(into: buffer) } catch { failure = error }
        }
        if let failure { throw failure }
        return out
    }
}

/// The CRC-32 of a zip member's bytes (the zip format's checksum, zlib's `crc32`).
struct Checksum {
    let expected: UInt32
    private(set) var value: UInt = crc32_z(0, nil, 0)

    init(expected: UInt32) { self.expected = expected }

    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        value = crc32_z(value, base.assumingMemoryBound(to: UInt8.self), bytes.count)
    }

    func check() throws(DataFormatError) {
        guard UInt32(truncatingIfNeeded: value) == expected else {
            throw DataFormatError("its CRC-32 does not match its bytes (the file is corrupt)")
        }
    }
}

/// `count` bytes of a data file from `offset`, read with no copy of their own.
final class SliceStream: ByteStream {
    private let source: ByteSource
    private var offset: Int
    private(set) var remaining: Int
    private var checksum: Checksum?

    init(_ source: ByteSource, offset: Int, count: Int, crc: UInt32? = nil) {
        self.source = source
        self.offset = offset
        remaining = count
        checksum = crc.map(Checksum.init)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataFormatError) {
        guard buffer.count <= remaining, source.read(at: offset, into: buffer) else {
            throw DataFormatError("truncated: the file ends inside the array")
        }
        offset += buffer.count
        remaining -= buffer.count
        checksum?.update(UnsafeRawBufferPointer(buffer))
    }

    func finish() throws(DataFormatError) {
        guard remaining == 0 else { throw DataFormatError("\(remaining) bytes follow the array's data") }
        try checksum?.check()
    }

    /// Goes past the bytes unread: a stored member's CRC-32 is then not checked.
    func skip(_ count: Int) throws(DataFormatError) {
        guard count <= remaining else { throw DataFormatError("truncated: the file ends inside the array") }
        offset += count
        remaining -= count
        if count > 0 { checksum = nil }
    }
}
