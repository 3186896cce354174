import TallyEncoding

/// Appends records to the current WAL file and makes each durable before it is acknowledged.
final class WALWriter: @unchecked Sendable {
    let directory: String
    private(set) var file: File
    private(set) var size: Int
    /// Set when a failed write could not be undone: the file may hold a partial record, so no more appends.
    private var broken: IOError?
    /// Set when a failed write was cut back but the cut could not be synced: the next append syncs it first, so no
    /// record is ever written behind bytes a crash could bring back.
    private var cutNeedsSync = false

    /// Starts a new WAL file whose first record will have `firstLSN`.
    init(directory: String, firstLSN: LSN) throws(IOError) {
        self.directory = directory
        (file, size) = try WALWriter.create(directory: directory, firstLSN: firstLSN)
    }

    /// Continues an existing WAL file after its last good record (cutting off a torn tail).
    init(directory: String, continuing path: String, validSize: Int) throws(IOError) {
        self.directory = directory
        file = try WALWriter.openCutBack(path, to: validSize)
        size = validSize
    }

    /// Cuts a WAL file back to `validSize` (the end of its intact records) and syncs the cut, without continuing it.
    static func cutBack(_ path: String, to validSize: Int) throws(IOError) {
        _ = try openCutBack(path, to: validSize)
    }

    private static func openCutBack(_ path: String, to validSize: Int) throws(IOError) -> File {
        let file = try File.openForWriting(path, create: false)
        if try file.size() != validSize {
            try file.truncate(to: validSize)
            try file.syncData()
        }
        return file
    }

    static func fileName(firstLSN: LSN) -> String {
        let hex = String(firstLSN, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".wal"
    }

    private static func create(directory: String, firstLSN: LSN) throws(IOError) -> (File, Int) {
        let path = directory + "/" + fileName(firstLSN: firstLSN)
        let file = try File.openForWriting(path, create: true, truncate: true)
        let header = WALFormat.header()
        try file.write(header, at: 0)
        try file.syncData()
        try Directory.sync(directory)
        return (file, header.count)
    }

    /// Appends one encoded record and syncs it. On failure the file is cut back to its last good record.
    func append(_ record: [UInt8]) throws(IOError) {
        if let broken { throw broken }
        if cutNeedsSync {
            try file.syncData()
            cutNeedsSync = false
        }
        do throws(IOError) {
            try file.write(record, at: size)
            try file.syncData()
            size += record.count
        } catch {
            // Cut back: a partial record must not stay behind the next one. Durably, before the next append: a
            // refused record that a crash brought back could share series ids with the records after it.
            do throws(IOError) {
                try file.truncate(to: size)
            } catch let truncateError {
                broken = truncateError
                throw error
            }
            do throws(IOError) { try file.syncData() } catch { cutNeedsSync = true }
            throw error
        }
    }

    /// Closes the current file and starts a new one for records from `firstLSN` on.
    func rotate(firstLSN: LSN) throws(IOError) {
        (file, size) = try WALWriter.create(directory: directory, firstLSN: firstLSN)
        broken = nil
    }
}
