import TallyEncoding

/// What reading the WAL found: the batches in order, and a torn tail if the last write was cut off.
struct WALContents: Sendable {
    var batches: [WALBatch] = []
    /// The WAL files, in order.
    var files: [String] = []
    /// Where the torn tail of the last file starts (the writer cuts the file there at open).
    var tornTail: TornTail?
    /// The LSN of the last good record of the last file, whether or not it was flushed (nil: it has none).
    var lastRecordLSN: LSN?
    /// The format version in the last file's header (0 when the header was cut off).
    var lastFileVersion: UInt8 = 0
    /// The size of the last file as read.
    var lastFileSize = 0

    /// Where the last file's intact records end: the writer continues it there, cutting off a torn tail.
    var lastFileValidSize: Int { tornTail?.offset ?? lastFileSize }
}

/// The damaged end of the last WAL file: a record whose write was cut off (or damaged so that it cannot be told
/// from one), with no later append after it.
struct TornTail: Sendable, Equatable {
    var file: String
    var offset: Int
    var bytes: Int
    /// The LSNs the cut bytes claim: the damaged record's, when its first bytes hold a batch record's type and LSN,
    /// and those of whole records after it in the same append (a group commit's type-2 records), ascending.
    var claimedLSNs: [LSN] = []

    /// " (it claims batch N)" or " (they claim batches N to M)" for `claimedLSNs` (ascending); empty for none.
    static func claimsPhrase(_ claimedLSNs: [LSN]) -> String {
        guard let first = claimedLSNs.first, let last = claimedLSNs.last else { return "" }
        return first == last ? " (it claims batch \(first))" : " (they claim batches \(first) to \(last))"
    }
}

/// Reads WAL files back. A record cut off at the end of the last file (a write that was never acknowledged)
/// is a torn tail; any other damage is an error naming the file and offset — never skipped silently.
enum WALReader {
    /// Reads every WAL file in `directory`, keeping batches with an LSN above `afterLSN`. `eachFile` gets each
    /// file's name and bytes once they are checked, with what has been read so far (a backup copies them).
    static func read(directory: String, afterLSN: LSN,
                     eachFile: (_ name: String, _ bytes: [UInt8], _ contents: WALContents) throws(StoreError) -> Void
                         = { _, _, _ in }) throws(StoreError) -> WALContents {
        var contents = WALContents()
        let names: [String]
        do throws(IOError) { names = try Directory.list(directory).filter { $0.hasSuffix(".wal") } } catch { throw .io(error) }
        for (index, name) in names.enumerated() {
            let path = directory + "/" + name
            contents.files.append(path)
            let isLast = index == names.count - 1
            let bytes: [UInt8]
            do throws(IOError) {
                let file = try File.openForReading(path)
                bytes = try file.read(count: try file.size(), at: 0)
            } catch {
                // A file deleted by a concurrent flush is not damage: the caller retries its open.
                throw .io(error)
            }
            try bytes.withBytes { (raw: UnsafeRawBufferPointer) throws(StoreError) in
                try readFile(raw, path: path, isLast: isLast, afterLSN: afterLSN, into: &contents)
            }
            try eachFile(name, bytes, contents)
        }
        return contents
    }

    /// Checks one WAL file's header and records; appends its batches to `contents`.
    static func readFile(_ raw: UnsafeRawBufferPointer, path: String, isLast: Bool, afterLSN: LSN,
                         into contents: inout WALContents) throws(StoreError) {
        if isLast { contents.lastFileSize = raw.count }
        if raw.count < WALFormat.headerSize {
            if isLast { contents.tornTail = TornTail(file: path, offset: 0, bytes: raw.count); return }
            throw StoreError.corrupt(path: path, offset: 0, detail: "WAL file header cut off (\(raw.count) bytes)")
        }
        guard raw.prefix(4).elementsEqual(WALFormat.magic) else {
            throw StoreError.corrupt(path: path, offset: 0, detail: "not a Tally WAL file (bad magic number)")
        }
        let storedHeaderCRC = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<8])) == storedHeaderCRC else {
            throw StoreError.corrupt(path: path, offset: 0, detail: "WAL file header checksum mismatch")
        }
        let version = raw[4]
        guard version <= WALFormat.version else {
            throw StoreError.unsupportedVersion(path: path, found: Int(version), supported: Int(WALFormat.version))
        }
        if isLast { contents.lastFileVersion = version }
        // LSNs rise through a file from the one it is named by: the bound a later append's LSN must be within.
        var lastLSN = firstLSN(of: path) &- 1
        var offset = WALFormat.headerSize
        while offset < raw.count {
            let remaining = raw.count - offset
            // A damaged record in the last file is a torn write when no later append follows it: a cut-off write
            // is always the last append of the file, and one append may hold several records (a group commit, type 1
            // then type 2), which a crash can damage in any order. An intact type-1 record after it (a damaged
            // length field makes a record seem to run to the end) means damage. In an earlier file, always damage.
            func damage(_ detail: String) -> StoreError? {
                guard isLast else { return StoreError.corrupt(path: path, offset: offset, detail: detail) }
                let after = intactRecords(in: raw, after: offset, lsnAbove: lastLSN)
                if let later = after.first(where: { $0.type == WALFormat.batchRecordType }) {
                    return StoreError.corrupt(path: path, offset: offset, detail: detail
                        + "; an intact later write follows at offset \(later.offset), so this is damage, not a cut-off write")
                }
                let claimed = (claimedLSN(in: raw, at: offset).map { [$0] } ?? []) + after.map(\.lsn)
                contents.tornTail = TornTail(file: path, offset: offset, bytes: remaining, claimedLSNs: claimed.sorted())
                return nil
            }
            if remaining < WALFormat.recordHeaderSize {
                if let error = damage("record header cut off") { throw error }
                return
            }
            let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            let end = offset + WALFormat.recordHeaderSize + length
            if length == 0 || length > WALFormat.maxRecordSize || end > raw.count {
                if let error = damage("record length \(length) runs past the end of the file") {
                    throw error
                }
                return
            }
            guard WALFormat.hasIntactChecksum(raw, at: offset, end: end) else {
                if let error = damage("record checksum mismatch") { throw error }
                return
            }
            let batch: WALBatch
            do throws(EncodingError) {
                batch = try WALFormat.decodePayload(UnsafeRawBufferPointer(rebasing: raw[(offset + WALFormat.recordHeaderSize)..<end]),
                                                    fileOffset: offset + WALFormat.recordHeaderSize)
            } catch {
                throw StoreError.corrupt(path: path, offset: error.offset, detail: "undecodable WAL record: \(error)")
            }
            if batch.lsn > afterLSN { contents.batches.append(batch) }
            lastLSN = Swift.max(lastLSN, batch.lsn)
            if isLast { contents.lastRecordLSN = batch.lsn }
            offset = end
        }
    }

    /// The intact batch records after `start`, in order: a length that fits in the file, an LSN above `lsnAbove`
    /// (by less than 2^32), and a good checksum. Only read when a record of the last file is damaged; the cheap checks
    /// come first, so a checksum is computed only where a record can plausibly start, and a record found is skipped
    /// whole.
    static func intactRecords(in raw: UnsafeRawBufferPointer, after start: Int,
                              lsnAbove: LSN) -> [(offset: Int, lsn: LSN, type: UInt8)] {
        var found: [(offset: Int, lsn: LSN, type: UInt8)] = []
        var k = start + 1
        let header = WALFormat.recordHeaderSize
        while k + header + 9 <= raw.count {
            let length = Int(raw.loadUnaligned(fromByteOffset: k, as: UInt32.self).littleEndian)
            let end = k + header + length
            let type = raw[k + header]
            let lsn = raw.loadUnaligned(fromByteOffset: k + header + 1, as: UInt64.self).littleEndian
            // The smallest batch payload is its type and LSN.
            if length >= 9, end <= raw.count, WALFormat.isBatchType(type), lsn > lsnAbove, lsn - lsnAbove < 1 << 32,
               WALFormat.hasIntactChecksum(raw, at: k, end: end) {
                found.append((k, lsn, type))
                k = end
                continue
            }
            k += 1
        }
        return found
    }

    /// The LSN a WAL file is named by: that of its first record (1 for a name that is not one).
    static func firstLSN(of path: String) -> LSN {
        LSN(path.split(separator: "/").last.map { String($0.prefix(16)) } ?? "", radix: 16) ?? 1
    }

    /// The LSN a damaged record at `offset` claims: its payload's first byte is the batch type and the next eight
    /// bytes are there. (A cut-off write may hold them; so may a record damaged after its LSN.)
    static func claimedLSN(in raw: UnsafeRawBufferPointer, at offset: Int) -> LSN? {
        let at = offset + WALFormat.recordHeaderSize
        guard at + 9 <= raw.count, WALFormat.isBatchType(raw[at]) else { return nil }
        return raw.loadUnaligned(fromByteOffset: at + 1, as: UInt64.self).littleEndian
    }
}
