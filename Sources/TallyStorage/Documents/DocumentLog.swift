import TallyEncoding

/// Where a kept document is: its file in `documents/`, the offset of its record and the record's length.
/// Written as `FILE:OFFSET:LENGTH` in the batch's origin details (key `document`).
public struct DocumentRef: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var offset: Int
    public var length: Int

    public var description: String { "\(file):\(offset):\(length)" }

    public init(file: String, offset: Int, length: Int) {
        self.file = file
        self.offset = offset
        self.length = length
    }

    /// Parses ``description``'s form.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 3, let offset = Int(parts[1]), let length = Int(parts[2]) else { return nil }
        self.init(file: String(parts[0]), offset: offset, length: length)
    }
}

/// A document read back from the log.
public struct StoredDocument: Sendable {
    public var lsn: LSN
    public var kind: String
    public var bytes: [UInt8]

    public init(lsn: LSN, kind: String, bytes: [UInt8]) {
        self.lsn = lsn
        self.kind = kind
        self.bytes = bytes
    }

    /// The kind of the marker `tally repair` puts in place of a damaged record (its bytes are padding).
    public static let damagedKind = "damaged"

    /// True for a repair's marker: the original document was lost to damage (the batch's points are kept).
    public var isLostToDamage: Bool { kind == Self.damagedKind && lsn == 0 }
}

/// The document log (`documents/*.tdoc`, docs/format/documents.md): the original documents that batches came
/// from (Soda scan results), LZ4-compressed, append-only, so every scan can be given back as it was sent.
/// Documents are large, so they live here rather than in the catalog.
final class DocumentLog: @unchecked Sendable {
    static let magic: [UInt8] = Array("TLYD".utf8)
    static let version: UInt8 = 1
    static let headerSize = 12
    static let recordHeaderSize = 8
    /// A new file is started when the current one passes this size.
    static let rotateBytes = 256 << 20

    let directory: String
    private var file: File?
    private var name = ""
    private var size = 0

    init(directory: String) {
        self.directory = directory
    }

    static func fileName(_ sequence: Int) -> String {
        let hex = String(sequence, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".tdoc"
    }

    /// Opens the last file for appending, cutting off a record a crash left incomplete.
    private func openForAppend() throws(StoreError) {
        if file != nil && size < DocumentLog.rotateBytes { return }
        let names: [String]
        do { names = try Directory.list(directory).filter { $0.hasSuffix(".tdoc") } } catch { throw .io(error) }
        do throws(IOError) {
            // Appends made without a sync must be durable before the file is left behind.
            try file?.syncData()
            if file == nil, let last = names.last {
                let path = directory + "/" + last
                let handle = try File.openForWriting(path, create: false)
                let valid = try DocumentLog.validPrefix(handle, path: path)
                if valid != (try handle.size()) {
                    try handle.truncate(to: valid)
                    try handle.syncData()
                }
                if valid < DocumentLog.rotateBytes {
                    file = handle
                    name = last
                    size = valid
                    return
                }
            }
            let sequence = (names.last.flatMap { Int($0.dropLast(5), radix: 16) } ?? 0) + 1
            name = DocumentLog.fileName(sequence)
            let handle = try File.openForWriting(directory + "/" + name, create: true, truncate: true)
            try handle.write(DocumentLog.header(), at: 0)
            try handle.syncData()
            try Directory.sync(directory)
            file = handle
            size = DocumentLog.headerSize
        } catch {
            throw .io(error)
        }
    }

    static func header() -> [UInt8] { FileHeader.bytes(magic: magic, version: version) }

    /// The length of the file's header and every record whose length fits in the file: where a record being
    /// appended begins, if one is. Checksums are not read: a complete but damaged record is kept, for verify to name.
    static func wholeRecordsPrefix(_ handle: File) throws(IOError) -> Int {
        let total = try handle.size()
        guard total >= headerSize else { return 0 }
        var offset = headerSize
        while offset + recordHeaderSize <= total {
            let header = try handle.read(count: recordHeaderSize, at: offset)
            let length = header.withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self).littleEndian) }
            if length == 0 || offset + recordHeaderSize + length > total { break }
            offset += recordHeaderSize + length
        }
        return offset
    }

    /// The length of the file's good part: the header and every complete record with a good checksum.
    static func validPrefix(_ handle: File, path: String) throws(IOError) -> Int {
        let total = try handle.size()
        guard total >= headerSize else { return 0 }
        var offset = headerSize
        var last: (offset: Int, length: Int)?
        while offset + recordHeaderSize <= total {
            let header = try handle.read(count: recordHeaderSize, at: offset)
            let length = header.withUnsafeBytes { Int($0.loadUnaligned(as: UInt32.self).littleEndian) }
            if length == 0 || offset + recordHeaderSize + length > total { break }
            last = (offset, recordHeaderSize + length)
            offset += recordHeaderSize + length
        }
        // Only the last complete record can be torn (written but not synced when the process died).
        if let last {
            let record = try handle.read(count: last.length, at: last.offset)
            let intact = record.withUnsafeBytes { raw in
                CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<4])),
                              UnsafeRawBufferPointer(rebasing: raw[recordHeaderSize...]))
                    == raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
            }
            if !intact { return last.offset }
        }
        return offset
    }

    /// Appends a document and (unless `sync` is false: then call ``sync()`` before relying on it) syncs it.
    /// Returns where it is.
    func append(lsn: LSN, kind: String, bytes: [UInt8], sync: Bool = true) throws(StoreError) -> DocumentRef {
        try openForAppend()
        var payload = ByteWriter(capacity: bytes.count / 2 + 64)
        payload.writeUInt64LE(lsn)
        var compressed: [UInt8] = []
        let ok = bytes.withUnsafeBytes { (try? LZ4.compress($0, into: &compressed)) != nil }
        let useLZ4 = ok && compressed.count < bytes.count
        payload.writeUInt8(useLZ4 ? 1 : 0)
        payload.writeVarUInt(UInt64(bytes.count))
        payload.writeString(kind)
        payload.writeBytes(useLZ4 ? compressed : bytes)
        var record = ByteWriter(capacity: payload.count + DocumentLog.recordHeaderSize)
        record.writeUInt32LE(UInt32(payload.count))
        var crc = CRC32C.checksum(Array(record.bytes))
        crc = payload.bytes.withUnsafeBytes { CRC32C.update(crc, $0) }
        record.writeUInt32LE(crc)
        record.writeBytes(payload.bytes)
        let offset = size
        do throws(IOError) {
            try file!.write(record.bytes, at: offset)
            if sync { try file!.syncData() }
        } catch {
            try? file!.truncate(to: offset)
            throw .io(error)
        }
        size += record.count
        return DocumentRef(file: name, offset: offset, length: record.count)
    }

    /// Makes every appended document durable (one fdatasync for a group of appends).
    func sync() throws(StoreError) {
        do throws(IOError) { try file?.syncData() } catch { throw .io(error) }
    }

    /// Reads a document back, checking its checksum.
    static func read(_ ref: DocumentRef, directory: String) throws(StoreError) -> StoredDocument {
        let path = directory + "/" + ref.file
        let raw: [UInt8]
        do {
            let handle = try File.openForReading(path)
            raw = try handle.read(count: ref.length, at: ref.offset)
        } catch {
            throw .io(error)
        }
        return try raw.withBytes { (buffer: UnsafeRawBufferPointer) throws(StoreError) -> StoredDocument in
            try decodeRecord(buffer, path: path, offset: ref.offset)
        }
    }

    static func decodeRecord(_ raw: UnsafeRawBufferPointer, path: String, offset: Int) throws(StoreError) -> StoredDocument {
        guard raw.count >= recordHeaderSize else {
            throw StoreError.corrupt(path: path, offset: offset, detail: "document record cut off")
        }
        let length = Int(raw.loadUnaligned(as: UInt32.self).littleEndian)
        let stored = raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian
        guard recordHeaderSize + length == raw.count else {
            throw StoreError.corrupt(path: path, offset: offset, detail: "document record length \(length) does not match")
        }
        let payload = UnsafeRawBufferPointer(rebasing: raw[recordHeaderSize...])
        guard CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<4])), payload) == stored else {
            throw StoreError.corrupt(path: path, offset: offset, detail: "document record checksum mismatch")
        }
        do throws(EncodingError) {
            var r = ByteReader(payload, baseOffset: offset + recordHeaderSize)
            let lsn = try r.readUInt64LE()
            let flags = try r.readUInt8()
            let rawLength = Int(try r.readVarUInt())
            let kind = try r.readString()
            let body = try r.readBytes(count: r.remaining)
            if flags & 1 == 0 { return StoredDocument(lsn: lsn, kind: kind, bytes: Array(body)) }
            guard rawLength <= 1 << 30 else { throw EncodingError(.tooLarge, offset: offset, "document of \(rawLength) bytes") }
            var bytes = [UInt8](repeating: 0, count: rawLength)
            try bytes.withMutableBytes { (dst: UnsafeMutableRawBufferPointer) throws(EncodingError) in
                try LZ4.decompress(body, originalCount: rawLength, into: dst)
            }
            return StoredDocument(lsn: lsn, kind: kind, bytes: bytes)
        } catch {
            throw StoreError.corrupt(path: path, offset: error.offset, detail: error.description)
        }
    }

    /// Checks every record of every document file; the last record of the last file may be torn.
    static func verify(directory: String, into report: inout VerifyReport) {
        var goodRecords: [String: [Int: Int]] = [:], damagedRecords: [String: Set<Int>] = [:]
        verify(directory: directory, into: &report, goodRecords: &goodRecords, damagedRecords: &damagedRecords)
    }

    /// The same; `goodRecords` receives, per file name, the offset and length of every record that checked out, and
    /// `damagedRecords` the offsets of records whose frame holds but whose content does not check out (each is
    /// reported, and the records after it are still checked).
    static func verify(directory: String, into report: inout VerifyReport, goodRecords: inout [String: [Int: Int]],
                       damagedRecords: inout [String: Set<Int>]) {
        let names = ((try? Directory.list(directory)) ?? []).filter { $0.hasSuffix(".tdoc") }
        for (index, name) in names.enumerated() {
            let path = directory + "/" + name
            do throws(StoreError) {
                let bytes: [UInt8]
                do {
                    let handle = try File.openForReading(path)
                    bytes = try handle.read(count: try handle.size(), at: 0)
                } catch {
                    throw .io(error)
                }
                try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(StoreError) in
                    guard raw.count >= headerSize, raw.prefix(4).elementsEqual(magic),
                          CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<8]))
                            == raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian else {
                        throw StoreError.corrupt(path: path, offset: 0, detail: "bad document file header")
                    }
                    guard raw[4] <= version else {
                        throw StoreError.unsupportedVersion(path: path, found: Int(raw[4]), supported: Int(version))
                    }
                    var offset = headerSize
                    while offset < raw.count {
                        let remaining = raw.count - offset
                        let length = remaining >= recordHeaderSize
                            ? Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) : -1
                        let end = offset + recordHeaderSize + max(length, 0)
                        if length <= 0 || end > raw.count {
                            if index == names.count - 1 {
                                report.problems.append(VerifyProblem(path: path, offset: offset,
                                    detail: "the last \(remaining) bytes are an incomplete document record (a write cut off: never acknowledged, and cut off by the next write, unless a batch below refers to it)"))
                                return
                            }
                            throw StoreError.corrupt(path: path, offset: offset, detail: "document record runs past the end of the file")
                        }
                        // A record whose content is damaged is reported; its frame still says where the next begins.
                        do throws(StoreError) {
                            _ = try decodeRecord(UnsafeRawBufferPointer(rebasing: raw[offset..<end]), path: path, offset: offset)
                            goodRecords[name, default: [:]][offset] = end - offset
                            report.documentsChecked += 1
                        } catch {
                            guard case .corrupt(let p, let at, let detail) = error else { throw error }
                            report.problems.append(VerifyProblem(path: p, offset: at, detail: detail))
                            damagedRecords[name, default: []].insert(offset)
                        }
                        offset = end
                    }
                }
            } catch {
                switch error {
                case .corrupt(let p, let offset, let detail): report.problems.append(VerifyProblem(path: p, offset: offset, detail: detail))
                default: report.problems.append(VerifyProblem(path: path, offset: nil, detail: error.description))
                }
            }
        }
    }
}

extension DocumentLog {
    /// A record of exactly `length` bytes that marks lost content (kind ``StoredDocument/damagedKind``, padded with
    /// zero bytes to the damaged record's length).
    static func marker(length: Int) -> [UInt8]? {
        var fixed = ByteWriter(capacity: length)
        fixed.writeUInt64LE(0)
        fixed.writeUInt8(0)
        // The raw length must equal the body's length; a varint of the right width is found in two tries.
        var rest = ByteWriter()
        var body = 0
        for _ in 0..<3 {
            rest = ByteWriter()
            rest.writeVarUInt(UInt64(body))
            rest.writeString(StoredDocument.damagedKind)
            body = length - recordHeaderSize - fixed.count - rest.count
        }
        guard body >= 0 else { return nil }
        fixed.writeBytes(rest.bytes)
        fixed.writeBytes([UInt8](repeating: 0, count: body))
        var record = ByteWriter(capacity: length)
        record.writeUInt32LE(UInt32(fixed.count))
        var crc = CRC32C.checksum(record.bytes)
        crc = fixed.bytes.withUnsafeBytes { CRC32C.update(crc, $0) }
        record.writeUInt32LE(crc)
        record.writeBytes(fixed.bytes)
        return record.count == length ? record.bytes : nil
    }

    /// Rewrites a document file with every damaged record replaced by a marker of the same length (offsets of
    /// the intact records stay valid); a torn tail is cut off. Returns how many records were replaced.
    static func replaceDamaged(path: String) throws(StoreError) -> Int {
        var bytes: [UInt8]
        do throws(IOError) {
            let handle = try File.openForReading(path)
            bytes = try handle.read(count: try handle.size(), at: 0)
        } catch {
            throw .io(error)
        }
        var replaced = 0
        var offset = headerSize
        func recordIsGood(at start: Int) -> Int? {
            guard start + recordHeaderSize <= bytes.count else { return nil }
            let length = bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: start, as: UInt32.self).littleEndian) }
            let end = start + recordHeaderSize + length
            guard length > 0, end <= bytes.count else { return nil }
            let ok = bytes.withUnsafeBytes { raw in
                (try? decodeRecord(UnsafeRawBufferPointer(rebasing: raw[start..<end]), path: path, offset: start)) != nil
            }
            return ok ? end : nil
        }
        while offset < bytes.count {
            if let end = recordIsGood(at: offset) { offset = end; continue }
            // Find where the next intact record starts.
            var next = offset + 1
            while next < bytes.count && recordIsGood(at: next) == nil { next += 1 }
            if next >= bytes.count {
                // Damage runs to the end. A last record whose length still fits the file keeps its place as a
                // marker (its batch's reference stays valid); anything else there is cut off.
                let length = offset + recordHeaderSize <= bytes.count
                    ? bytes.withUnsafeBytes { Int($0.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian) } : 0
                let end = offset + recordHeaderSize + length
                if length > 0, end <= bytes.count, let mark = marker(length: end - offset) {
                    bytes.replaceSubrange(offset..<end, with: mark)
                    bytes.removeSubrange(end...)
                } else {
                    bytes.removeSubrange(offset...)
                }
                replaced += 1
                break
            }
            if let mark = marker(length: next - offset) {
                bytes.replaceSubrange(offset..<next, with: mark)
                replaced += 1
            }
            offset = next
        }
        do throws(IOError) {
            let temporary = path + ".repair"
            let out = try File.openForWriting(temporary, create: true, truncate: true)
            try out.write(bytes, at: 0)
            try out.sync()
            try Directory.renameDurably(temporary, path)
        } catch {
            throw .io(error)
        }
        return replaced
    }
}
