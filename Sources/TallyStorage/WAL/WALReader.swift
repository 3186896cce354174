import TallyEncoding

/// What reading the WAL found: the batches in order, and a torn tail if the last write was cut off.
struct WALContents: Sendable {
    var batches: [WALBatch] = []
    /// The WAL files, in order.
    var files: [String] = []
    /// Where the torn tail of the last file starts (the writer cuts the file there at open).
    var tornTail: (file: String, offset: Int, bytes: Int)?
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
        if raw.count < WALFormat.headerSize {
            if isLast { contents.tornTail = (path, 0, raw.count); return }
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
        var offset = WALFormat.headerSize
        while offset < raw.count {
            let remaining = raw.count - offset
            // A damaged last record whose rest of the file is that record or zeros is a torn write.
            func damage(_ detail: String, recordEnd: Int) -> StoreError? {
                let tailIsClean = recordEnd >= raw.count || raw[recordEnd...].allSatisfy { $0 == 0 }
                if isLast && tailIsClean {
                    contents.tornTail = (path, offset, remaining)
                    return nil
                }
                return StoreError.corrupt(path: path, offset: offset, detail: detail)
            }
            if remaining < WALFormat.recordHeaderSize {
                if let error = damage("record header cut off", recordEnd: raw.count) { throw error }
                return
            }
            let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
            let storedCRC = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self).littleEndian
            let end = offset + WALFormat.recordHeaderSize + length
            if length == 0 || length > WALFormat.maxRecordSize || end > raw.count {
                if let error = damage("record length \(length) runs past the end of the file", recordEnd: raw.count) {
                    throw error
                }
                return
            }
            let payload = UnsafeRawBufferPointer(rebasing: raw[(offset + WALFormat.recordHeaderSize)..<end])
            let crc = CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4)])), payload)
            guard crc == storedCRC else {
                if let error = damage("record checksum mismatch", recordEnd: end) { throw error }
                return
            }
            let batch: WALBatch
            do throws(EncodingError) {
                batch = try WALFormat.decodePayload(payload, fileOffset: offset + WALFormat.recordHeaderSize)
            } catch {
                throw StoreError.corrupt(path: path, offset: error.offset, detail: "undecodable WAL record: \(error)")
            }
            if batch.lsn > afterLSN { contents.batches.append(batch) }
            offset = end
        }
    }
}
