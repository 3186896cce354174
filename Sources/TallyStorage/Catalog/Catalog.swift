/// A series as the catalog records it.
public struct SeriesRecord: Sendable, Equatable {
    // Declared widest first, so the index's array of optional records has no padding between fields.
    public var key: SeriesKey
    public var attributes: Attributes
    public var createdLSN: LSN
    public var id: SeriesID
    public var kind: SeriesKind

    public init(id: SeriesID, key: SeriesKey, kind: SeriesKind, attributes: Attributes, createdLSN: LSN) {
        self.id = id
        self.key = key
        self.kind = kind
        self.attributes = attributes
        self.createdLSN = createdLSN
    }
}

/// A segment file as the catalog records it.
public struct SegmentRecord: Sendable, Equatable {
    public var id: UInt64
    /// The file name inside `segments/`.
    public var file: String
    public var minTime: Int64
    public var maxTime: Int64
    public var minLSN: LSN
    public var maxLSN: LSN
    public var seriesCount: Int
    public var pointCount: Int
    public var bytes: Int
    /// 0 for a flush of the head or a bulk import; higher for compaction output.
    public var level: Int

    /// Whether batch `lsn` may have points here: its LSN range covers it.
    public func covers(_ lsn: LSN) -> Bool { minLSN <= lsn && lsn <= maxLSN }
}

/// The SQLite catalog (`catalog.sqlite`): series, labels, attributes, imports, the segment manifest and the
/// store's metadata. It is brought up to date from the WAL, idempotently, at flush and at replay.
final class Catalog: @unchecked Sendable {
    /// The schema version this Tally writes and reads.
    static let schemaVersion = 1
    static let fileName = "catalog.sqlite"

    let db: SQLiteDatabase
    let path: String

    /// Catalogs up to this size are read ahead whole at open.
    static let prefetchLimit = 32 << 20

    init(directory: String, readOnly: Bool) throws(StoreError) {
        path = directory + "/" + Catalog.fileName
        let isNew = !Directory.exists(path)
        if isNew && readOnly { throw StoreError.notAStore(path: directory, detail: "no \(Catalog.fileName)") }
        // An open reads most of the catalog: one read-ahead of the file beats SQLite's page-by-page reads when the
        // cache is cold. It was measured up to 32 MB (docs/performance.md); larger catalogs are left alone.
        if !isNew { SystemCalls.prefetch(path, upTo: Catalog.prefetchLimit) }
        db = try SQLiteDatabase(path: path, readOnly: readOnly)
        if !readOnly {
            try db.execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
        }
        if isNew {
            try createSchema()
        } else if !(try hasSchema(readOnly: readOnly)) {
            // A crash while a store was being created can leave the file without its tables (the schema commits
            // in one transaction, before anything is written to the store): create them now — but never over
            // data files, whose segments the next step would take for leftovers.
            let holdsData = ["wal", "segments", "documents"].contains {
                !((try? Directory.list(directory + "/" + $0)) ?? []).isEmpty
            }
            if holdsData {
                throw StoreError.corrupt(path: path, offset: 0,
                                         detail: "the catalog has no tables, but the store holds data files (restore the catalog from a backup)")
            }
            guard !readOnly else { throw Catalog.unfinished(directory) }
            try createSchema()
        } else {
            try checkVersion()
            if !readOnly {
                try db.execute(Catalog.feedbackSchema)   // stores created before the table existed
                try db.execute(Catalog.unusedIndexes)
            }
        }
    }

    /// Indexes that stores made before commit e9f75b5 have and no read uses (the catalog is read whole at
    /// open; series are selected in memory): a writable open drops them, which frees their pages for reuse.
    static let unusedIndexes = "DROP INDEX IF EXISTS series_metric; DROP INDEX IF EXISTS series_label_value;"

    static let unfinishedDetail = "the catalog was never finished: the store's creation was interrupted before "
        + "anything was written to it (opening it for writing completes it)"

    static func unfinished(_ directory: String) -> StoreError {
        StoreError.notAStore(path: directory, detail: unfinishedDetail)
    }

    /// Whether the catalog has its tables. A read-only connection cannot roll back the journal that an interrupted
    /// creation leaves (only creation uses a rollback journal: the catalog switches to WAL mode at once).
    private func hasSchema(readOnly: Bool) throws(StoreError) -> Bool {
        do throws(StoreError) {
            let stmt = try db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
            guard try stmt.step() else { return false }
            return stmt.int(0) > 0
        } catch {
            if readOnly, (Directory.fileSize(path + "-journal") ?? 0) > 0 { return false }
            throw error
        }
    }

    private func createSchema() throws(StoreError) {
        try db.transaction { () throws(StoreError) in
            try db.execute("""
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS series(
                    id INTEGER PRIMARY KEY, metric TEXT NOT NULL, kind INTEGER NOT NULL,
                    key TEXT NOT NULL UNIQUE, created_lsn INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS series_label(
                    series_id INTEGER NOT NULL REFERENCES series(id), name TEXT NOT NULL, value TEXT NOT NULL,
                    PRIMARY KEY(series_id, name)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS series_attribute(
                    series_id INTEGER NOT NULL REFERENCES series(id), name TEXT NOT NULL, value TEXT NOT NULL,
                    PRIMARY KEY(series_id, name)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS import(
                    lsn INTEGER PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, wall_time INTEGER NOT NULL,
                    series_count INTEGER NOT NULL, point_count INTEGER NOT NULL, details TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS import_detail(
                    lsn INTEGER NOT NULL REFERENCES import(lsn), name TEXT NOT NULL, value TEXT NOT NULL,
                    PRIMARY KEY(lsn, name)) WITHOUT ROWID;
                CREATE TABLE IF NOT EXISTS segment(
                    id INTEGER PRIMARY KEY, file TEXT NOT NULL UNIQUE, min_time INTEGER NOT NULL,
                    max_time INTEGER NOT NULL, min_lsn INTEGER NOT NULL, max_lsn INTEGER NOT NULL,
                    series_count INTEGER NOT NULL, point_count INTEGER NOT NULL, bytes INTEGER NOT NULL,
                    level INTEGER NOT NULL);
                """)
            try db.execute(Catalog.feedbackSchema)
            try setMeta("schema_version", "\(Catalog.schemaVersion)")
            try setMeta("flushed_lsn", "0")
            try setMeta("created", "\(currentTimeMillis())")
        }
    }

    private func checkVersion() throws(StoreError) {
        let version = try storedSchemaVersion()
        if version > Catalog.schemaVersion {
            throw StoreError.unsupportedVersion(path: path, found: version, supported: Catalog.schemaVersion)
        }
    }

    /// The schema version the catalog says it has.
    func storedSchemaVersion() throws(StoreError) -> Int {
        guard let text = try meta("schema_version"), let version = Int(text) else {
            throw StoreError.notAStore(path: path, detail: "the catalog has no schema version")
        }
        return version
    }

    /// The SQL that takes a catalog from schema version `n` to `n + 1`, for each older version this Tally can
    /// upgrade. (Version 1 is the first: nothing to migrate yet.)
    static let migrations: [Int: String] = [:]

    /// Brings an older catalog to ``schemaVersion``, one version per transaction (a crash leaves a consistent
    /// catalog at some version, and running the upgrade again continues from there). Returns the versions passed.
    func migrate() throws(StoreError) -> [Int] {
        var done: [Int] = []
        var version = try storedSchemaVersion()
        while version < Catalog.schemaVersion {
            guard let sql = Catalog.migrations[version] else {
                throw StoreError.unsupportedVersion(path: path, found: version, supported: Catalog.schemaVersion)
            }
            try db.transaction { () throws(StoreError) in
                try db.execute(sql)
                try setMeta("schema_version", "\(version + 1)")
            }
            done.append(version)
            version += 1
        }
        return done
    }

    // MARK: Metadata

    func meta(_ key: String) throws(StoreError) -> String? {
        let stmt = try db.prepare("SELECT value FROM meta WHERE key = ?1")
        stmt.bind(.text(key))
        return try stmt.step() ? stmt.text(0) : nil
    }

    func setMeta(_ key: String, _ value: String) throws(StoreError) {
        try db.prepare("INSERT INTO meta(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            .bind(.text(key), .text(value)).run()
    }

    /// The highest LSN whose points are all in segments registered here.
    func flushedLSN() throws(StoreError) -> LSN {
        LSN(try meta("flushed_lsn").flatMap { UInt64($0) } ?? 0)
    }

    /// The highest LSN given out or reserved (a bulk import's, a flush's, a cut WAL tail's, a dropped batch's).
    func lastLSN() throws(StoreError) -> LSN {
        LSN(try meta("last_lsn").flatMap { UInt64($0) } ?? 0)
    }

    /// Records that no batch may get an LSN up to `lsn` (a client may have been told it); never lowers it.
    func reserveLSNs(through lsn: LSN) throws(StoreError) {
        if lsn > (try lastLSN()) { try setMeta("last_lsn", "\(lsn)") }
    }

    /// The batches recorded above `flushed` that neither the WAL (`walLSNs`) nor any of `segments` holds: each
    /// was acknowledged (an open replayed it into the catalog, or it was a bulk import), and its points are gone.
    func batchesHeldByNothing(above flushed: LSN, walLSNs: Set<LSN>,
                              segments: [SegmentRecord]) throws(StoreError) -> [ImportRecord] {
        try imports(above: flushed).filter { batch in
            !walLSNs.contains(batch.lsn) && !segments.contains { $0.covers(batch.lsn) }
        }
    }

    // MARK: Loading

    /// Every series, ascending id, keys unpacked.
    func loadSeries() throws(StoreError) -> [SeriesRecord] {
        try loadPackedSeries().unpacked()
    }

    /// Every series, ascending id, its key packed (what an open indexes). One pass over each table in
    /// primary-key order (labels and attributes are merged in by series id, with no per-series lookups); metric
    /// names, label names and values are numbered from the rows' bytes, so a string that repeats is made once.
    /// Labels come sorted by name: names are ASCII (``isValidName(_:)``), whose byte order SQLite sorts by.
    func loadPackedSeries() throws(StoreError) -> PackedSeries {
        var packed = PackedSeries()
        // The largest id (a walk down the table's b-tree) sizes the arrays: `count(*)` would read a whole index.
        let sizeStmt = try db.prepare("SELECT coalesce(max(id), 0) FROM series")
        packed.reserveCapacity(try sizeStmt.step() ? Int(sizeStmt.int(0)) : 0)
        let labelStmt = try db.prepare("SELECT series_id, name, value FROM series_label ORDER BY series_id, name")
        var labelRow = try labelStmt.step()
        let attributeStmt = try db.prepare(
            "SELECT series_id, name, value FROM series_attribute ORDER BY series_id, name")
        var attributeRow = try attributeStmt.step()
        let stmt = try db.prepare("SELECT id, metric, kind, created_lsn FROM series ORDER BY id")
        var labels: [(UInt32, UInt32)] = []
        while try stmt.step() {
            let rawID = stmt.int(0)
            let id = SeriesID(rawID)
            while labelRow && labelStmt.int(0) < rawID { labelRow = try labelStmt.step() }
            labels.removeAll(keepingCapacity: true)
            while labelRow && labelStmt.int(0) == rawID {
                let name = labelStmt.withTextBytes(1) { packed.keys.number(utf8: $0) }
                labels.append((name, labelStmt.withTextBytes(2) { packed.keys.number(utf8: $0) }))
                labelRow = try labelStmt.step()
            }
            while attributeRow && attributeStmt.int(0) < rawID { attributeRow = try attributeStmt.step() }
            var attributes: [String: String] = [:]
            while attributeRow && attributeStmt.int(0) == rawID {
                attributes[attributeStmt.text(1)] = attributeStmt.text(2)
                attributeRow = try attributeStmt.step()
            }
            let metric = stmt.withTextBytes(1) { packed.keys.number(utf8: $0) }
            packed.keys.append(id, metric: metric, labels: labels[...])
            packed.ids.append(id)
            packed.records.append(StoredRecord(attributes: Attributes(attributes), createdLSN: LSN(stmt.int(3)),
                                               kind: SeriesKind(rawValue: UInt8(stmt.int(2))) ?? .measurement))
        }
        return packed
    }

    func loadSegments() throws(StoreError) -> [SegmentRecord] {
        var records: [SegmentRecord] = []
        let stmt = try db.prepare("""
            SELECT id, file, min_time, max_time, min_lsn, max_lsn, series_count, point_count, bytes, level
            FROM segment ORDER BY id
            """)
        while try stmt.step() {
            records.append(SegmentRecord(
                id: UInt64(stmt.int(0)), file: stmt.text(1), minTime: stmt.int(2), maxTime: stmt.int(3),
                minLSN: LSN(stmt.int(4)), maxLSN: LSN(stmt.int(5)), seriesCount: Int(stmt.int(6)),
                pointCount: Int(stmt.int(7)), bytes: Int(stmt.int(8)), level: Int(stmt.int(9))))
        }
        return records
    }

    func loadImports() throws(StoreError) -> [ImportRecord] {
        var details: [LSN: [String: String]] = [:]
        let detailStmt = try db.prepare("SELECT lsn, name, value FROM import_detail")
        while try detailStmt.step() {
            details[LSN(detailStmt.int(0)), default: [:]][detailStmt.text(1)] = detailStmt.text(2)
        }
        var records: [ImportRecord] = []
        let stmt = try db.prepare("SELECT lsn, kind, source, wall_time, series_count, point_count FROM import ORDER BY lsn")
        while try stmt.step() {
            let lsn = LSN(stmt.int(0))
            records.append(ImportRecord(
                lsn: lsn,
                origin: BatchOrigin(kind: stmt.text(1), source: stmt.text(2), wallTime: stmt.int(3),
                                    details: details[lsn] ?? [:]),
                seriesCount: Int(stmt.int(4)), pointCount: Int(stmt.int(5))))
        }
        return records
    }

    /// The batches recorded with an LSN above `lsn` (without their details), oldest first.
    func imports(above lsn: LSN) throws(StoreError) -> [ImportRecord] {
        var records: [ImportRecord] = []
        let stmt = try db.prepare("SELECT lsn, kind, source, wall_time, series_count, point_count FROM import WHERE lsn > ?1 ORDER BY lsn")
            .bind(.int(Int64(bitPattern: lsn)))
        while try stmt.step() {
            records.append(ImportRecord(
                lsn: LSN(stmt.int(0)), origin: BatchOrigin(kind: stmt.text(1), source: stmt.text(2), wallTime: stmt.int(3)),
                seriesCount: Int(stmt.int(4)), pointCount: Int(stmt.int(5))))
        }
        return records
    }

    // MARK: Applying changes (call inside a transaction)

    /// Records series; a series already recorded keeps its row, its attributes are updated.
    func insertSeries(_ records: [SeriesRecord]) throws(StoreError) {
        let insert = try db.prepare("INSERT OR IGNORE INTO series(id, metric, kind, key, created_lsn) VALUES (?1, ?2, ?3, ?4, ?5)")
        let label = try db.prepare("INSERT OR IGNORE INTO series_label(series_id, name, value) VALUES (?1, ?2, ?3)")
        for record in records {
            try insert.bind(.int(Int64(record.id)), .text(record.key.metric), .int(Int64(record.kind.rawValue)),
                            .text(record.key.description), .int(Int64(record.createdLSN))).run()
            for l in record.key.labels {
                try label.bind(.int(Int64(record.id)), .text(l.name), .text(l.value)).run()
            }
        }
        try setAttributes(records.map { ($0.id, $0.attributes) })
    }

    /// Sets attributes of series (each entry replaces that attribute's value).
    func setAttributes(_ updates: [(SeriesID, Attributes)]) throws(StoreError) {
        let stmt = try db.prepare("""
            INSERT INTO series_attribute(series_id, name, value) VALUES (?1, ?2, ?3)
            ON CONFLICT(series_id, name) DO UPDATE SET value = excluded.value
            """)
        for (id, attributes) in updates {
            for entry in attributes.entries {
                try stmt.bind(.int(Int64(id)), .text(entry.name), .text(entry.value)).run()
            }
        }
    }

    func insertImport(_ record: ImportRecord) throws(StoreError) {
        try db.prepare("""
            INSERT OR IGNORE INTO import(lsn, kind, source, wall_time, series_count, point_count, details)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, '')
            """).bind(.int(Int64(record.lsn)), .text(record.origin.kind), .text(record.origin.source),
                      .int(record.origin.wallTime), .int(Int64(record.seriesCount)),
                      .int(Int64(record.pointCount))).run()
        let detail = try db.prepare("INSERT OR IGNORE INTO import_detail(lsn, name, value) VALUES (?1, ?2, ?3)")
        for entry in record.origin.details {
            try detail.bind(.int(Int64(record.lsn)), .text(entry.name), .text(entry.value)).run()
        }
    }

    /// The record of batch `lsn`, with its details; nil when the catalog has none (also for an LSN beyond any the
    /// store can give, which a user may type).
    func importRecord(lsn: LSN) throws(StoreError) -> ImportRecord? {
        guard lsn <= LSN(Int64.max) else { return nil }
        let stmt = try db.prepare("SELECT kind, source, wall_time, series_count, point_count FROM import WHERE lsn = ?1")
        stmt.bind(.int(Int64(lsn)))
        guard try stmt.step() else { return nil }
        var details: [String: String] = [:]
        let detailStmt = try db.prepare("SELECT name, value FROM import_detail WHERE lsn = ?1")
        detailStmt.bind(.int(Int64(lsn)))
        while try detailStmt.step() { details[detailStmt.text(0)] = detailStmt.text(1) }
        return ImportRecord(lsn: lsn, origin: BatchOrigin(kind: stmt.text(0), source: stmt.text(1), wallTime: stmt.int(2),
                                                          details: details),
                            seriesCount: Int(stmt.int(3)), pointCount: Int(stmt.int(4)))
    }

    /// Removes the record of batch `lsn` and its details (a deleted batch).
    func deleteImport(lsn: LSN) throws(StoreError) {
        try db.prepare("DELETE FROM import_detail WHERE lsn = ?1").bind(.int(Int64(lsn))).run()
        try db.prepare("DELETE FROM import WHERE lsn = ?1").bind(.int(Int64(lsn))).run()
    }

    func insertSegment(_ record: SegmentRecord) throws(StoreError) {
        try db.prepare("""
            INSERT INTO segment(id, file, min_time, max_time, min_lsn, max_lsn, series_count, point_count, bytes, level)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """).bind(.int(Int64(record.id)), .text(record.file), .int(record.minTime), .int(record.maxTime),
                      .int(Int64(record.minLSN)), .int(Int64(record.maxLSN)), .int(Int64(record.seriesCount)),
                      .int(Int64(record.pointCount)), .int(Int64(record.bytes)), .int(Int64(record.level))).run()
    }

    func deleteSegment(id: UInt64) throws(StoreError) {
        try db.prepare("DELETE FROM segment WHERE id = ?1").bind(.int(Int64(id))).run()
    }

    /// SQLite's own integrity check: nil when clean, else what it found.
    func integrityCheck() throws(StoreError) -> String? {
        let stmt = try db.prepare("PRAGMA integrity_check")
        var problems: [String] = []
        while try stmt.step() {
            let line = stmt.text(0)
            if line != "ok" { problems.append(line) }
        }
        return problems.isEmpty ? nil : problems.joined(separator: "; ")
    }
}

