/// The members of a zip archive (PKWARE's APPNOTE.TXT), as NumPy's `.npz` files are: found
/// through the central directory at the end of the file, ZIP64 records and extra fields
/// included (numpy writes ZIP64 fields for every member, and needs them for members over
/// 4 GB). Members are stored (`np.savez`) or deflated (`np.savez_compressed`); each is read
/// as a `ByteStream` whose CRC-32 is checked once it has been read whole.
struct ZipArchive {
    struct Member {
        let name: String
        let method: Int
        let encrypted: Bool
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let headerOffset: Int
    }

    let source: ByteSource
    let members: [Member]

    /// The end of central directory record's signature, `PK\5\6`, and its size without the comment.
    private static let endSignature = 0x0605_4b50
    private static let endSize = 22

    init(_ source: ByteSource) throws(DataFormatError) {
        self.source = source
        // The record sits at the end, after a comment of at most 65,535 bytes.
        let tailCount = min(source.count, Self.endSize + 0xFFFF)
        let tail = try source.bytes(at: source.count - tailCount, count: tailCount, "the zip directory")
        guard let end = stride(from: tailCount - Self.endSize, through: 0, by: -1).first(where: {
            tail.uint32($0) == Self.endSignature && $0 + Self.endSize + tail.uint16($0 + 20) == tailCount
        }) else {
            throw DataFormatError("not a zip archive: no end of central directory record (truncated?)")
        }
        var entries = tail.uint16(end + 10)
        var directorySize = tail.uint32(end + 12)
        var directoryOffset = tail.uint32(end + 16)
        if entries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            (entries, directorySize, directoryOffset) = try Self.zip64End(source, before: source.count - tailCount + end)
        }
        guard directoryOffset <= source.count, directorySize <= source.count - directoryOffset else {
            throw DataFormatError("the zip directory lies beyond the end of the file (truncated?)")
        }
        let directory = try source.bytes(at: directoryOffset, count: directorySize, "the zip directory")
        var members: [Member] = []
        var at = 0
        for _ in 0..<entries {
            members.append(try Self.member(directory, &at, fileSize: source.count))
        }
        self.members = members
    }

    /// The ZIP64 end of central directory record, through its locator just before the classic
    /// record: the entry count, the directory's size and offset.
    private static func zip64End(_ source: ByteSource, before end: Int) throws(DataFormatError) -> (Int, Int, Int) {
        guard end >= 20 else { throw DataFormatError("the ZIP64 end of central directory locator is missing") }
        let locator = try source.bytes(at: end - 20, count: 20, "the ZIP64 locator")
        guard locator.uint32(0) == 0x0706_4b50, let at = locator.uint64(8), at <= source.count - 56 else {
            throw DataFormatError("the ZIP64 end of central directory locator is missing or wrong")
        }
        let record = try source.bytes(at: at, count: 56, "the ZIP64 end of central directory record")
        guard record.uint32(0) == 0x0606_4b50, let entries = record.uint64(32), let size = record.uint64(40),
              let offset = record.uint64(48) else {
            throw DataFormatError("the ZIP64 end of central directory record is corrupt")
        }
        return (entries, size, offset)
    }

    /// The central directory's file header at `at`, which moves past it. Sizes and the header's
    /// offset of 0xFFFFFFFF are in the ZIP64 extra field (id 1), in that order, each only if
    /// its 32-bit field holds 0xFFFFFFFF.
    private static func member(_ d: [UInt8], _ at: inout Int, fileSize: Int) throws(DataFormatError) -> Member {
        guard at + 46 <= d.count, d.uint32(at) == 0x0201_4b50 else {
            throw DataFormatError("the zip directory is corrupt")
        }
        let nameLength = d.uint16(at + 28), extraLength = d.uint16(at + 30), commentLength = d.uint16(at + 32)
        let next = at + 46 + nameLength + extraLength + commentLength
        guard next <= d.count else { throw DataFormatError("the zip directory is corrupt") }
        let name = String(decoding: d[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
        var compressed = d.uint32(at + 20), size = d.uint32(at + 24), offset = d.uint32(at + 42)
        var extra = at + 46 + nameLength
        let extraEnd = extra + extraLength
        while extra + 4 <= extraEnd {
            let id = d.uint16(extra), length = d.uint16(extra + 2)
            guard extra + 4 + length <= extraEnd else { throw DataFormatError("the zip directory's entry for '\(name)' is corrupt") }
            if id == 1 {
                var field = extra + 4
                func wide(_ value: inout Int) throws(DataFormatError) {
                    guard value == 0xFFFF_FFFF else { return }
                    guard field + 8 <= extra + 4 + length, let v = d.uint64(field) else {
                        throw DataFormatError("the ZIP64 field of '\(name)' is corrupt")
                    }
                    value = v
                    field += 8
                }
                try wide(&size)
                try wide(&compressed)
                try wide(&offset)
            }
            extra += 4 + length
        }
        let member = Member(name: name, method: d.uint16(at + 10), encrypted: d.uint16(at + 8) & 1 != 0, crc: UInt32(d.uint32(at + 16)), compressedSize: compressed,
                            size: size, headerOffset: offset)
        at = next
        return member
    }

    /// The bytes of `member`, through its local header (whose name and extra field lengths
    /// may differ from the directory's).
    func stream(_ member: Member) throws(DataFormatError) -> any ByteStream {
        let header = try source.bytes(at: member.headerOffset, count: 30, "the local header of '\(member.name)'")
        guard header.uint32(0) == 0x0403_4b50 else {
            throw DataFormatError("the local header of '\(member.name)' is missing (the file is corrupt)")
        }
        let start = member.headerOffset + 30 + header.uint16(26) + header.uint16(28)
        guard start <= source.count, member.compressedSize <= source.count - start else {
            throw DataFormatError("truncated: '\(member.name)' runs past the end of the file")
        }
        guard !member.encrypted else { throw DataFormatError("'\(member.name)' is encrypted") }
        switch member.method {
        case 0:
            guard member.compressedSize == member.size else {
                throw DataFormatError("'\(member.name)' is stored with \(member.compressedSize) bytes but says it has \(member.size)")
            }
            return SliceStream(source, offset: start, count: member.size, crc: member.crc)
        case 8:
            // Deflate expands at most 1032-fold: a larger claim is a corrupt (or hostile) size.
            guard member.size <= 1032 * member.compressedSize + 1024 else {
                throw DataFormatError("'\(member.name)' claims \(member.size) bytes from \(member.compressedSize) compressed ones (the file is corrupt)")
            }
            return try InflateStream(source, offset: start, compressed: member.compressedSize, size: member.size, crc: member.crc)
        default:
            throw DataFormatError("'\(member.name)' is compressed with zip method \(member.method); ppl reads stored and deflated members "
                                  + "(np.savez, np.savez_compressed)")
        }
    }
}
