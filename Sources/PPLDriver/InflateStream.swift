import CZlib

/// A member of an `.npz` archive that `np.savez_compressed` deflated (raw deflate, RFC 1951),
/// inflated by zlib as it is read: the compressed bytes pass through a small buffer and the
/// array's bytes go straight into the caller's.
final class InflateStream: ByteStream {
    private let source: ByteSource
    private var offset: Int
    private var compressed: Int
    private(set) var remaining: Int
    private var checksum: Checksum
    /// zlib's state points back at its stream, which therefore stays at one address.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 8)
    private var ended = false

    /// The member whose compressed bytes are `compressed` from `offset`, inflating to `size` bytes.
    init(_ source: ByteSource, offset: Int, compressed: Int, size: Int, crc: UInt32) throws(DataFormatError) {
        self.source = source
        self.offset = offset
        self.compressed = compressed
        remaining = size
        checksum = Checksum(expected: crc)
        stream.initialize(to: z_stream())
        // Window bits -15: raw deflate, without zlib's header, as zip stores it.
        guard inflateInit2_(stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            stream.deallocate()
            input.deallocate()
            throw DataFormatError("zlib could not start inflating")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
        input.deallocate()
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DataFormatError) {
        guard buffer.count <= remaining else { throw DataFormatError("truncated: the member ends inside the array") }
        guard let base = buffer.baseAddress else { return }
        var done = 0
        while done < buffer.count {
            // zlib counts in 32 bits.
            let n = min(buffer.count - done, 1 << 30)
            guard try inflate(into: base + done, count: n) == n else {
                throw DataFormatError("the compressed data end before the array does (the file is corrupt)")
            }
            done += n
        }
        remaining -= buffer.count
        checksum.update(UnsafeRawBufferPointer(buffer))
    }

    /// Inflates up to `count` bytes into `out`, fewer only where the compressed data end.
    private func inflate(into out: UnsafeMutableRawPointer, count: Int) throws(DataFormatError) -> Int {
        stream.pointee.next_out = out.assumingMemoryBound(to: UInt8.self)
        stream.pointee.avail_out = UInt32(count)
        while stream.pointee.avail_out > 0 && !ended {
            if stream.pointee.avail_in == 0 {
                let n = min(compressed, input.count)
                guard n > 0, source.read(at: offset, into: UnsafeMutableRawBufferPointer(rebasing: input[0..<n])) else {
                    throw DataFormatError("truncated: the file ends inside the compressed data")
                }
                offset += n
                compressed -= n
                stream.pointee.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
                stream.pointee.avail_in = UInt32(n)
            }
            switch CZlib.inflate(stream, Z_NO_FLUSH) {
            case Z_OK: continue
            case Z_STREAM_END: ended = true
            default:
                let why = stream.pointee.msg.map { String(cString: $0) } ?? "invalid data"
                throw DataFormatError("the compressed data are corrupt (zlib: \(why))")
            }
        }
        return count - Int(stream.pointee.avail_out)
    }

    func finish() throws(DataFormatError) {
        guard remaining == 0 else { throw DataFormatError("\(remaining) bytes follow the array's data") }
        // The compressed data must end with the array: inflating on must give nothing.
        var extra: UInt8 = 0
        let more = try withUnsafeMutableBytes(of: &extra) { (b) throws(DataFormatError) in try inflate(into: b.baseAddress!, count: 1) }
        guard more == 0 else { throw DataFormatError("the compressed data go on after the array's") }
        try checksum.check()
    }
}
