#if canImport(Glibc)
import Glibc
#endif

/// What a backup copied.
public struct BackupReport: Sendable, Equatable {
    /// Every batch up to this LSN is in the backup.
    public var lsn: LSN
    public var segments: Int
    public var walFiles: Int
    public var documentFiles: Int
    public var bytes: Int
    /// What ``Store/verify(at:)`` found in the copy: damage the store already had (a flipped byte in a segment is
    /// copied as it is). Empty for a good backup; a backup with problems is kept, but restoring it is refused.
    public var problems: [VerifyProblem] = []
}

extension Store {
    /// Makes a consistent copy of the store in `directory` (which must not exist) while it stays in use: the
    /// catalog through SQLite's backup API, every segment, the WAL and the document log as they are at one
    /// moment. Writers wait only while the file list is taken and the WAL is copied. The copy is itself a
    /// store: open it, or restore it with ``restore(from:to:)``.
    ///
    /// The copy is made in `DIRECTORY.partial-PID` and renamed to `directory` once complete and synced, so an
    /// interrupted backup never looks like one. Every batch acknowledged before the call is in the copy. The copy
    /// is then verified: ``BackupReport/problems`` lists damage copied from the store.
    @discardableResult
    public func backup(to directory: String) throws(StoreError) -> BackupReport {
        let partial = try Store.startBackup(of: path, in: directory)
        do throws(StoreError) {
            return try Store.finishBackup(partial, as: directory, report: try copyWhileWriting(into: partial))
        } catch {
            Directory.removeTree(partial)
            throw error
        }
    }

    /// The copy, under the writer lock only for the catalog, the WAL and the document sizes.
    private func copyWhileWriting(into directory: String) throws(StoreError) -> BackupReport {
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
                return (segments.compactMap { r in readers[r.id].map { (r.file, $0) } },
                        try Store.documentSizes(in: path + "/documents"))
            } catch {
                throw .io(error)
            }
        }
        // Outside it: immutable segments (through their open files, so a compaction cannot pull them away)
        // and the document log up to the sizes taken above.
        do throws(IOError) {
            for (name, reader) in readers {
                report.bytes += try Store.copyOpenFile(reader.file, to: directory + "/segments/" + name)
                report.segments += 1
            }
            try Store.copyDocuments(from: path + "/documents", sizes: documentSizes, to: directory, report: &report)
        } catch {
            throw .io(error)
        }
        return report
    }

    /// Makes a consistent copy of the store at `path` in `directory` (which must not exist) from outside it:
    /// this works while another process writes to the store (`tally serve`), and while none does.
    ///
    /// The catalog is copied with SQLite's backup API inside the read transaction that lists its segments; then
    /// the segments, the WAL (each file up to its last whole record) and the document log up to its current
    /// sizes. A flush or compaction by the writer in between pairs a catalog with files it does not describe:
    /// that is noticed (the catalog's flushed LSN or segment list has moved, or a file is gone) and the copy is
    /// started again, at most 50 times. Every batch acknowledged before the call is in the copy; as with
    /// ``backup(to:)``, it is made in `DIRECTORY.partial-PID` and renamed when complete.
    @discardableResult
    public static func backup(storeAt path: String, to directory: String) throws(StoreError) -> BackupReport {
        guard Store.exists(at: path) else { throw StoreError.notAStore(path: path, detail: "no \(Catalog.fileName)") }
        var attempt = 0
        while true {
            attempt += 1
            let partial = try startBackup(of: path, in: directory)
            do throws(StoreError) {
                if let report = try copySnapshot(of: path, into: partial) {
                    return try finishBackup(partial, as: directory, report: report)
                }
            } catch {
                Directory.removeTree(partial)
                throw error
            }
            Directory.removeTree(partial)
            if attempt == 50 {
                throw StoreError.catalog("backup of \(path) to \(directory): the store was flushed or compacted during each of 50 attempts; try again")
            }
        }
    }

    /// One attempt of ``backup(storeAt:to:)``: the report, or nil when the writer changed the store's files
    /// meanwhile (then the attempt is thrown away).
    private static func copySnapshot(of path: String, into directory: String) throws(StoreError) -> BackupReport? {
        var report = BackupReport(lsn: 0, segments: 0, walFiles: 0, documentFiles: 0, bytes: 0)
        let catalog = try Catalog(directory: path, readOnly: true)
        let (flushed, segments) = try catalog.db.readTransaction { () throws(StoreError) -> (LSN, [SegmentRecord]) in
            let snapshot = (try catalog.flushedLSN(), try catalog.loadSegments())
            try catalog.db.backup(to: directory + "/" + Catalog.fileName)
            return snapshot
        }
        // The copy must be the snapshot just read, whatever SQLite's backup did with the open read transaction.
        let copy = try Catalog(directory: directory, readOnly: true)
        guard try copy.flushedLSN() == flushed, try copy.loadSegments() == segments else { return nil }
        report.lsn = max(flushed, LSN(try copy.meta("last_lsn").flatMap { UInt64($0) } ?? 0))
        /// Whether the store's catalog still describes the files being copied: no flush (which deletes WAL
        /// records), no compaction and no bulk import (which add or remove segments) since the snapshot.
        func unchanged() throws(StoreError) -> Bool {
            guard try catalog.flushedLSN() == flushed else { return false }
            return try catalog.loadSegments() == segments
        }
        do throws(StoreError) {
            // Every segment is opened first: a compaction may delete a file, but not from under an open one.
            let opened = try io { () throws(IOError) -> [(name: String, file: File)] in
                var files: [(name: String, file: File)] = []
                for segment in segments { files.append((segment.file, try File.openForReading(path + "/segments/" + segment.file))) }
                return files
            }
            for segment in opened {
                report.bytes += try io { () throws(IOError) in
                    try copyOpenFile(segment.file, to: directory + "/segments/" + segment.name)
                }
                report.segments += 1
            }
            // Each WAL file up to its last whole record: the writer may be appending to the last one.
            let contents = try WALReader.read(directory: path + "/wal", afterLSN: flushed) {
                (name, bytes, contents) throws(StoreError) in
                // Only the last file can end in a torn tail.
                let whole = contents.tornTail?.file == path + "/wal/" + name ? contents.tornTail!.offset : bytes.count
                try io { () throws(IOError) in
                    let out = try File.openForWriting(directory + "/wal/" + name, create: true, truncate: true)
                    try out.write(Array(bytes[0..<whole]), at: 0)
                    try out.sync()
                }
                report.bytes += whole
                report.walFiles += 1
            }
            if let last = contents.batches.last?.lsn { report.lsn = max(report.lsn, last) }
            // A flush since the snapshot may have deleted WAL records that only its new segment holds; a bulk
            // import may have written a batch into a segment this copy does not have, before WAL records it has.
            guard try unchanged() else { return nil }
            // After the WAL: a batch's document is written before its WAL record.
            try io { () throws(IOError) in
                try copyDocuments(from: path + "/documents", sizes: try documentSizes(in: path + "/documents"),
                                  to: directory, report: &report)
            }
        } catch {
            // A file the writer removed meanwhile (a flush or a compaction): start again. A file missing from a
            // store that did not change is damage, and said so.
            if case .io(let failure) = error, failure.errno == ENOENT, try !unchanged() { return nil }
            throw error
        }
        return report
    }

    /// Runs file operations, reporting their failures as store errors.
    private static func io<T>(_ body: () throws(IOError) -> T) throws(StoreError) -> T {
        do throws(IOError) { return try body() } catch { throw .io(error) }
    }

    /// Creates `DIRECTORY.partial-PID` with the store's subdirectories, after checking that `directory` does
    /// not exist (a leftover partial copy of this process is removed first).
    private static func startBackup(of store: String, in given: String) throws(StoreError) -> String {
        let directory = Directory.withoutTrailingSlashes(given)
        guard !Directory.exists(directory) else {
            throw StoreError.exists(path: directory, detail: "a backup goes into a new directory")
        }
        // The store's own folders hold only files it names and manages (an open removes a half-written segment).
        for folder in ["segments", "wal", "documents"] where isInside(directory, store + "/" + folder) {
            throw StoreError.invalid(InputError(
                message: "\(directory) is inside the store's \(folder)/ folder, which holds only the store's own files: put the backup elsewhere"))
        }
        let partial = directory + ".partial-\(getpid())"
        Directory.removeTree(partial)
        do throws(IOError) {
            try Directory.create(partial + "/segments")
            try Directory.create(partial + "/wal")
            try Directory.create(partial + "/documents")
        } catch {
            throw .io(error)
        }
        return partial
    }

    /// Whether `path` (which need not exist) lies inside the directory `store`, links resolved.
    static func isInside(_ path: String, _ store: String) -> Bool {
        func resolved(_ p: String) -> String? {
            guard let r = realpath(p, nil) else { return nil }
            defer { free(r) }
            return String(cString: r)
        }
        guard let root = resolved(store) else { return false }
        // The deepest existing ancestor of `path`, resolved, with the rest appended.
        var existing = path.hasPrefix("/") ? path : "./" + path
        var rest: [Substring] = []
        while resolved(existing) == nil, let slash = existing.lastIndex(of: "/") {
            rest.insert(existing[existing.index(after: slash)...], at: 0)
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
        }
        guard let base = resolved(existing) else { return false }
        var parts = base.split(separator: "/")
        for part in rest where part != "." && !part.isEmpty {
            if part == ".." { _ = parts.popLast() } else { parts.append(part) }
        }
        let full = "/" + parts.joined(separator: "/")
        return full == root || full.hasPrefix(root == "/" ? "/" : root + "/")
    }

    /// Syncs the complete copy and renames it to `directory`, durably.
    /// Returns `report` with the copied catalog's size counted.
    private static func finishBackup(_ partial: String, as given: String, report: BackupReport) throws(StoreError) -> BackupReport {
        var report = report
        report.bytes += Directory.fileSize(partial + "/" + Catalog.fileName) ?? 0
        do throws(IOError) {
            for sub in ["segments", "wal", "documents", ""] { try Directory.sync(partial + (sub.isEmpty ? "" : "/" + sub)) }
            try Directory.renameDurably(partial, Directory.withoutTrailingSlashes(given))
        } catch {
            throw .io(error)
        }
        // Checked like a restore checks it, so that damage is found now rather than when the copy is needed.
        report.problems = verify(at: Directory.withoutTrailingSlashes(given)).problems
        return report
    }

    /// The sizes of the append-only document files in `documents`.
    private static func documentSizes(in documents: String) throws(IOError) -> [(String, Int)] {
        try Directory.list(documents).filter { $0.hasSuffix(".tdoc") }.map { ($0, Directory.fileSize(documents + "/" + $0) ?? 0) }
    }

    /// Copies an open file (its first `limit` bytes, or all of it) into a new file at `target`, synced. Returns
    /// the bytes copied.
    static func copyOpenFile(_ input: File, to target: String, limit: Int? = nil) throws(IOError) -> Int {
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

    /// Copies each document file up to its size into `directory/documents`.
    private static func copyDocuments(from documents: String, sizes: [(String, Int)], to directory: String,
                                      report: inout BackupReport) throws(IOError) {
        for (name, size) in sizes {
            let target = directory + "/documents/" + name
            let copied = try copyFile(documents + "/" + name, to: target, limit: size)
            // A record being appended while the size was taken (a scan the writer is storing) is left out: its WAL
            // record, which refers to it, is not in the copy either.
            let copy = try File.openForWriting(target, create: false)
            let whole = try DocumentLog.wholeRecordsPrefix(copy)
            if whole < copied {
                try copy.truncate(to: whole)
                try copy.sync()
            }
            report.bytes += min(copied, whole)
            report.documentFiles += 1
        }
    }

    /// Copies a backup (or any closed store) into a new store directory and checks that it opens and verifies.
    public static func restore(from backup: String, to target: String) throws(StoreError) -> VerifyReport {
        guard Store.exists(at: backup) else { throw StoreError.notAStore(path: backup, detail: "no catalog") }
        guard !Directory.exists(target) else {
            throw StoreError.exists(path: target, detail: "restore makes a new store directory")
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
    try Store.copyOpenFile(try File.openForReading(source), to: target, limit: limit)
}
