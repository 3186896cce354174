/// What a backup copied.
public struct BackupReport: Sendable, Equatable {
    /// Every batch up to this LSN is in the backup.
    public var lsn: LSN
    public var segments: Int
    public var walFiles: Int
    public var documentFiles: Int
    public var bytes: Int
}

extension Store {
    /// Makes a consistent copy of the store in `directory` (which must not exist) while it stays in use: the
    /// catalog through SQLite's backup API, every segment, the WAL and the document log as they are at one
    /// moment. Writers wait only while the file list is taken and the WAL is copied. The copy is itself a
    /// store: open it, or restore it with ``restore(from:to:)``.
    ///
    /// Every batch acknowledged before the call is in the copy.
    @discardableResult
    public func backup(to directory: String) throws(StoreError) -> BackupReport {
        guard !Directory.exists(directory) else {
            throw StoreError.notAStore(path: directory, detail: "the backup directory must not exist yet")
        }
        do throws(IOError) {
            try Directory.create(directory + "/segments")
            try Directory.create(directory + "/wal")
            try Directory.create(directory + "/documents")
        } catch {
            throw .io(error)
        }
        var report = BackupReport(lsn: 0, segments: 0, walFiles: 0, documentFiles: 0, bytes: 0)
        // Under the writer lock: the catalog, the WAL and the sizes of the append-only document files.
        let (readers, documentSizes) = try writer.withLock {
            (w: inout WriterState?) throws(StoreError) -> ([(String, SegmentReader)], [(String, Int)]) in
            guard w != nil else { throw readOnlyOrClosed() }
            try catalog.db.backup(to: directory + "/" + Catalog.fileName)
            let (segments, readers, lsn) = state.withLock { ($0.segments, $0.readers, $0.nextLSN - 1) }
            report.lsn = lsn
            do throws(IOError) {
                for name in try Directory.list(walDirectory) where name.hasSuffix(".wal") {
                    report.bytes += try copyFile(walDirectory + "/" + name, to: directory + "/wal/" + name, limit: nil)
                    report.walFiles += 1
                }
                var sizes: [(String, Int)] = []
                for name in try Directory.list(path + "/documents") where name.hasSuffix(".tdoc") {
                    sizes.append((name, Directory.fileSize(path + "/documents/" + name) ?? 0))
                }
                return (segments.compactMap { r in readers[r.id].map { (r.file, $0) } }, sizes)
            } catch {
                throw .io(error)
            }
        }
        // Outside it: immutable segments (through their open files, so a compaction cannot pull them away)
        // and the document log up to the sizes taken above.
        do throws(IOError) {
            for (name, reader) in readers {
                let out = try File.openForWriting(directory + "/segments/" + name, create: true, truncate: true)
                var offset = 0
                while offset < reader.size {
                    let n = min(1 << 22, reader.size - offset)
                    try out.write(try reader.file.read(count: n, at: offset), at: offset)
                    offset += n
                }
                try out.sync()
                report.bytes += reader.size
                report.segments += 1
            }
            for (name, size) in documentSizes {
                report.bytes += try copyFile(path + "/documents/" + name, to: directory + "/documents/" + name, limit: size)
                report.documentFiles += 1
            }
            for sub in ["segments", "wal", "documents", ""] { try Directory.sync(directory + (sub.isEmpty ? "" : "/" + sub)) }
        } catch {
            throw .io(error)
        }
        report.bytes += Directory.fileSize(directory + "/" + Catalog.fileName) ?? 0
        return report
    }

    /// Copies a backup (or any closed store) into a new store directory and checks that it opens and verifies.
    public static func restore(from backup: String, to target: String) throws(StoreError) -> VerifyReport {
        guard Store.exists(at: backup) else { throw StoreError.notAStore(path: backup, detail: "no catalog") }
        guard !Directory.exists(target) else {
            throw StoreError.notAStore(path: target, detail: "the target must not exist yet")
        }
        let before = Store.verify(at: backup)
        if let problem = before.problems.first {
            throw StoreError.corrupt(path: problem.path, offset: problem.offset ?? 0, detail: "the backup is damaged: \(problem.detail)")
        }
        do throws(IOError) {
            for sub in ["segments", "wal", "documents"] {
                try Directory.create(target + "/" + sub)
                for name in (try? Directory.list(backup + "/" + sub)) ?? [] {
                    _ = try copyFile(backup + "/" + sub + "/" + name, to: target + "/" + sub + "/" + name, limit: nil)
                }
                try Directory.sync(target + "/" + sub)
            }
            _ = try copyFile(backup + "/" + Catalog.fileName, to: target + "/" + Catalog.fileName, limit: nil)
            try Directory.sync(target)
        } catch {
            throw .io(error)
        }
        let store = try Store.open(at: target)
        try store.close()
        return Store.verify(at: target)
    }
}

/// Copies a file (its first `limit` bytes, or all of it) and syncs the copy. Returns the bytes copied.
func copyFile(_ source: String, to target: String, limit: Int?) throws(IOError) -> Int {
    let input = try File.openForReading(source)
    let size = min(try input.size(), limit ?? .max)
    let output = try File.openForWriting(target, create: true, truncate: true)
    var offset = 0
    while offset < size {
        let n = min(1 << 22, size - offset)
        try output.write(try input.read(count: n, at: offset), at: offset)
        offset += n
    }
    try output.sync()
    return size
}
