// Two small additions to the store for `tally serve`:
//
// * ``CatalogSideTables``: API keys and Soda check-result feedback, kept in the catalog (`catalog.sqlite`) in
//   tables of their own, through a connection of their own, so that `tally keys` can change them while another
//   process holds the writer lock and serves.
// * ``Store/writeGroup(_:)``: group commit. Several batches get one WAL append and one `fdatasync`.

// MARK: - API keys and feedback in the catalog

/// The role of an API key: `read` may query, `write` may also ingest.
public enum APIKeyRole: String, Sendable, CaseIterable, CustomStringConvertible {
    case read
    case write

    public var description: String { rawValue }

    /// Whether a key with this role may do what `needed` allows.
    public func allows(_ needed: APIKeyRole) -> Bool {
        self == .write || needed == .read
    }
}

/// An API key as the catalog keeps it: never the secret, only its hash.
public struct APIKeyRecord: Sendable, Equatable {
    /// The public part (`api_key_id` for Soda Core).
    public var id: String
    public var name: String
    public var role: APIKeyRole
    /// Hex of a hash of the secret (the caller chooses the hash; `tally` uses SHA-256).
    public var secretHash: String
    /// When it was created, epoch milliseconds.
    public var created: Int64
    /// When it was revoked, epoch milliseconds; nil while it is valid.
    public var revoked: Int64?

    public init(id: String, name: String, role: APIKeyRole, secretHash: String, created: Int64, revoked: Int64? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.secretHash = secretHash
        self.created = created
        self.revoked = revoked
    }
}

/// Tables beside the store's own in `catalog.sqlite`: `api_key` and `soda_feedback`.
///
/// They are not part of the store's data model (no batch, no LSN) and use their own SQLite connection, so they
/// can be read and changed by any process, including while another process writes to the store: SQLite's own
/// locking serialises the writers. The tables are created on first use (`CREATE TABLE IF NOT EXISTS`).
package final class CatalogSideTables: @unchecked Sendable {
    private let db: SQLiteDatabase
    private let lock = Locked(())
    package let readOnly: Bool
    private var hasTables: Bool

    /// Opens the side tables of the store at `storePath`, which must exist.
    ///
    /// - Parameter readOnly: open the catalog read-only (the tables are then only read, and may be absent).
    package init(storePath: String, readOnly: Bool = false) throws(StoreError) {
        let path = storePath + "/" + Catalog.fileName
        guard Directory.exists(path) else {
            throw StoreError.notAStore(path: storePath, detail: "no \(Catalog.fileName)")
        }
        db = try SQLiteDatabase(path: path, readOnly: readOnly)
        self.readOnly = readOnly
        hasTables = false
        if !readOnly {
            try db.execute("""
                CREATE TABLE IF NOT EXISTS api_key(
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, secret_hash TEXT NOT NULL,
                    created INTEGER NOT NULL, revoked INTEGER);
                CREATE TABLE IF NOT EXISTS soda_feedback(
                    result_id TEXT PRIMARY KEY, feedback TEXT NOT NULL, updated INTEGER NOT NULL);
                """)
            hasTables = true
        } else {
            let stmt = try db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'api_key'")
            hasTables = try stmt.step() && stmt.int(0) == 1
        }
    }

    private func checkWritable() throws(StoreError) {
        if readOnly { throw StoreError.readOnly }
    }

    /// Adds a key. Fails when the id exists.
    package func insertKey(_ record: APIKeyRecord) throws(StoreError) {
        try checkWritable()
        try lock.withLock { (_: inout Void) throws(StoreError) in
            let exists = try db.prepare("SELECT 1 FROM api_key WHERE id = ?1").bind(.text(record.id))
            if try exists.step() { throw StoreError.invalid(InputError(field: "id", message: "an API key \(record.id) exists")) }
            try db.prepare("""
                INSERT INTO api_key(id, name, role, secret_hash, created, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """).bind(.text(record.id), .text(record.name), .text(record.role.rawValue), .text(record.secretHash),
                          .int(record.created), record.revoked.map { .int($0) } ?? .null).run()
        }
    }

    /// The key with this id (revoked or not).
    package func key(id: String) throws(StoreError) -> APIKeyRecord? {
        try lock.withLock { (_: inout Void) throws(StoreError) -> APIKeyRecord? in
            guard try tablesExist() else { return nil }
            let stmt = try db.prepare("SELECT id, name, role, secret_hash, created, revoked FROM api_key WHERE id = ?1")
                .bind(.text(id))
            return try stmt.step() ? record(stmt) : nil
        }
    }

    /// Every key, oldest first.
    package func keys() throws(StoreError) -> [APIKeyRecord] {
        try lock.withLock { (_: inout Void) throws(StoreError) -> [APIKeyRecord] in
            guard try tablesExist() else { return [] }
            let stmt = try db.prepare("SELECT id, name, role, secret_hash, created, revoked FROM api_key ORDER BY created, id")
            var out: [APIKeyRecord] = []
            while try stmt.step() { out.append(record(stmt)) }
            return out
        }
    }

    /// Revokes a key. Returns false when there is no such key; revoking twice keeps the first time.
    @discardableResult
    package func revokeKey(id: String, at time: Int64 = currentTimeMillis()) throws(StoreError) -> Bool {
        try checkWritable()
        return try lock.withLock { (_: inout Void) throws(StoreError) -> Bool in
            let exists = try db.prepare("SELECT 1 FROM api_key WHERE id = ?1").bind(.text(id))
            guard try exists.step() else { return false }
            try db.prepare("UPDATE api_key SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL")
                .bind(.text(id), .int(time)).run()
            return true
        }
    }

    /// Sets (or, with nil, removes) the feedback of a check result; `feedback` is opaque text (JSON).
    package func setFeedback(resultID: String, _ feedback: String?, at time: Int64 = currentTimeMillis()) throws(StoreError) {
        try checkWritable()
        try lock.withLock { (_: inout Void) throws(StoreError) in
            if let feedback {
                try db.prepare("""
                    INSERT INTO soda_feedback(result_id, feedback, updated) VALUES (?1, ?2, ?3)
                    ON CONFLICT(result_id) DO UPDATE SET feedback = excluded.feedback, updated = excluded.updated
                    """).bind(.text(resultID), .text(feedback), .int(time)).run()
            } else {
                try db.prepare("DELETE FROM soda_feedback WHERE result_id = ?1").bind(.text(resultID)).run()
            }
        }
    }

    /// The feedback of these check results (only those that have some).
    package func feedback(resultIDs: [String]) throws(StoreError) -> [String: String] {
        if resultIDs.isEmpty { return [:] }
        return try lock.withLock { (_: inout Void) throws(StoreError) -> [String: String] in
            guard try tablesExist() else { return [:] }
            var out: [String: String] = [:]
            let count = try db.prepare("SELECT count(*) FROM soda_feedback")
            let total = try count.step() ? Int(count.int(0)) : 0
            if total == 0 { return [:] }
            let wanted = Set(resultIDs)
            if total <= 4 * wanted.count {
                let all = try db.prepare("SELECT result_id, feedback FROM soda_feedback")
                while try all.step() {
                    let id = all.text(0)
                    if wanted.contains(id) { out[id] = all.text(1) }
                }
            } else {
                let one = try db.prepare("SELECT feedback FROM soda_feedback WHERE result_id = ?1")
                for id in wanted {
                    one.bind(.text(id))
                    if try one.step() { out[id] = one.text(0) }
                }
            }
            return out
        }
    }

    /// Every check result's feedback with the time it was set, ordered by result id (for `tally dump`).
    package func allFeedback() throws(StoreError) -> [(resultID: String, feedback: String, updated: Int64)] {
        try lock.withLock { (_: inout Void) throws(StoreError) -> [(resultID: String, feedback: String, updated: Int64)] in
            guard try tablesExist() else { return [] }
            var out: [(resultID: String, feedback: String, updated: Int64)] = []
            let stmt = try db.prepare("SELECT result_id, feedback, updated FROM soda_feedback ORDER BY result_id")
            while try stmt.step() { out.append((stmt.text(0), stmt.text(1), stmt.int(2))) }
            return out
        }
    }

    private func tablesExist() throws(StoreError) -> Bool {
        if hasTables { return true }
        let stmt = try db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'api_key'")
        hasTables = try stmt.step() && stmt.int(0) == 1
        return hasTables
    }

    private func record(_ stmt: SQLiteStatement) -> APIKeyRecord {
        APIKeyRecord(id: stmt.text(0), name: stmt.text(1), role: APIKeyRole(rawValue: stmt.text(2)) ?? .read,
                     secretHash: stmt.text(3), created: stmt.int(4), revoked: stmt.isNull(5) ? nil : stmt.int(5))
    }
}

// MARK: - Group commit

/// One write of a group: a batch and, optionally, the document it came from (see ``Store/write(_:document:)``).
public struct GroupWrite: Sendable {
    public var batch: WriteBatch
    public var document: (kind: String, bytes: [UInt8])?

    public init(batch: WriteBatch, document: (kind: String, bytes: [UInt8])? = nil) {
        self.batch = batch
        self.document = document
    }
}

extension Store {
    /// Writes several batches with one WAL append and one `fdatasync` for all of them (group commit).
    ///
    /// Each batch keeps its own LSN (in the order given), its own origin and its own document, exactly as if
    /// ``write(_:document:)`` had been called for each in turn; the result for each is what that call would
    /// have returned or thrown. An invalid batch fails alone. A failed WAL write fails every batch of the group
    /// that reached it, and none of them is acknowledged or applied. Documents are still synced one by one
    /// before the WAL record (the document log has no unsynced append).
    public func writeGroup(_ writes: [GroupWrite]) -> [Result<WriteReceipt, StoreError>] {
        var results = [Result<WriteReceipt, StoreError>?](repeating: nil, count: writes.count)
        var valid: [Int] = []
        for (i, write) in writes.enumerated() {
            do throws(InputError) {
                try write.batch.validatePoints()
                valid.append(i)
            } catch {
                results[i] = .failure(.invalid(error))
            }
        }
        if valid.isEmpty { return results.map { $0! } }

        do throws(StoreError) {
            try writer.withLock { (w: inout WriterState?) throws(StoreError) in
                guard var current = w else { throw readOnlyOrClosed() }
                try checkOpen()
                var overlay = GroupOverlay()
                var staged: [(index: Int, batch: WALBatch, points: Int)] = []
                var documentsWritten = false
                var record: [UInt8] = []
                for i in valid {
                    let batch = writes[i].batch
                    if let earlier = batch.origin.contentIdentities.lazy.compactMap({ overlay.contentHashes[$0] }).first
                        ?? self.state.withLock({ $0.earlierBatch(for: batch.origin) }) {
                        results[i] = .success(WriteReceipt(lsn: earlier, pointCount: 0, newSeriesCount: 0, isDuplicate: true))
                        continue
                    }
                    do throws(StoreError) {
                        var walBatch = try state.withLock { (s: inout StoreState) throws(StoreError) in
                            s.index.prepareKeyLookups()
                            return try resolveInGroup(batch, in: s, overlay: overlay)
                        }
                        if let document = writes[i].document {
                            // Synced once for the whole group, below, before the WAL record that refers to it.
                            let ref = try current.documents.append(lsn: walBatch.lsn, kind: document.kind,
                                                                   bytes: document.bytes, sync: false)
                            walBatch.origin.setDetail(BatchOrigin.documentKey, ref.description)
                            documentsWritten = true
                        }
                        let resolved = walBatch
                        state.withLock { overlay.note(resolved, state: $0) }
                        // One append for the group: its later records say so, for the reader's torn-tail rule.
                        record.append(contentsOf: WALFormat.encode(walBatch, continuing: !record.isEmpty))
                        staged.append((i, walBatch, batch.pointCount))
                    } catch {
                        results[i] = .failure(error)
                    }
                }
                if staged.isEmpty { return }
                if documentsWritten {
                    do throws(StoreError) {
                        try current.documents.sync()
                    } catch {
                        for s in staged { results[s.index] = .failure(error) }
                        return
                    }
                }
                do throws(IOError) {
                    try current.wal.append(record)
                } catch {
                    for s in staged { results[s.index] = .failure(.io(error)) }
                    // Their LSNs are not given again.
                    let last = staged.map(\.batch.lsn).max() ?? 0
                    state.withLock { $0.skipLSNs(through: last) }
                    return
                }
                let headPoints = state.withLock { (s: inout StoreState) -> Int in
                    for s2 in staged { s.apply(s2.batch) }
                    return s.head.pointCount
                }
                for s in staged {
                    results[s.index] = .success(WriteReceipt(lsn: s.batch.lsn, pointCount: s.points,
                                                             newSeriesCount: s.batch.newSeries.count))
                }
                // The batches are durable and applied: a failed flush is retried later and does not undo them.
                if headPoints >= options.effectiveFlushThreshold { try? flushLocked(&current) }
                w = current
            }
        } catch {
            for i in valid where results[i] == nil { results[i] = .failure(error) }
        }
        return results.map { $0 ?? .failure(.closed) }
    }

    /// ``resolve(_:in:)`` for a batch that follows others of the same group that are resolved but not yet
    /// applied: LSNs, new series ids, kinds and attributes continue from the overlay. The names of new series are
    /// checked here (known series had theirs checked when they were created).
    ///
    /// With `pointIDs` false the result's `seriesIDs` is left empty (a bulk import groups by the batch's series
    /// and takes their ids from `seriesList`).
    func resolveInGroup(_ batch: WriteBatch, in state: StoreState, overlay: GroupOverlay,
                        pointIDs: Bool = true) throws(StoreError) -> WALBatch {
        let lsn = max(state.nextLSN, overlay.nextLSN)
        var newSeries: [SeriesRecord] = []
        var updates: [(SeriesID, Attributes)] = []
        let ids: [SeriesID]
        if let list = state.lastSeriesList, list.definitions == batch.series {
            // A scanner sends the same series every time: their ids, kinds and names are known already.
            ids = list.ids
            for (k, definition) in batch.series.enumerated() where !definition.attributes.isEmpty {
                let id = ids[k]
                let current = overlay.attributes[id] ?? state.index.attributes(of: id) ?? Attributes()
                if current.merging(definition.attributes) != current { updates.append((id, definition.attributes)) }
            }
        } else {
            var nextID = max(state.index.nextID, overlay.nextID)
            var resolved: [SeriesID] = []
            resolved.reserveCapacity(batch.series.count)
            for (index, definition) in batch.series.enumerated() {
                // Kinds and attributes without copying records; the attributes only when the batch sets some.
                let known: (id: SeriesID, kind: SeriesKind, isPending: Bool)?
                if !overlay.newSeries.isEmpty, let pending = overlay.newSeries[definition.key] {
                    known = (pending.id, pending.kind, true)
                } else if let id = state.index.id(of: definition.key) {
                    known = (id, state.index.kind(of: id), false)
                } else {
                    known = nil
                }
                if let known {
                    guard known.kind == definition.kind else {
                        throw StoreError.invalid(InputError(
                            message: "series \(definition.key) is a \(known.kind) series; the batch writes it as a \(definition.kind)",
                            seriesIndex: index))
                    }
                    if !definition.attributes.isEmpty {
                        let current = overlay.attributes[known.id]
                            ?? (known.isPending ? Attributes() : state.index.attributes(of: known.id) ?? Attributes())
                        if current.merging(definition.attributes) != current { updates.append((known.id, definition.attributes)) }
                    }
                    resolved.append(known.id)
                } else {
                    do throws(InputError) { try definition.key.validate() } catch {
                        var error = error
                        error.seriesIndex = index
                        throw .invalid(error)
                    }
                    newSeries.append(SeriesRecord(id: nextID, key: definition.key, kind: definition.kind,
                                                  attributes: definition.attributes, createdLSN: lsn))
                    resolved.append(nextID)
                    nextID += 1
                }
            }
            ids = resolved
        }
        let hasOutcomes = batch.series.contains { $0.kind == .check }
        var walBatch = WALBatch(lsn: lsn, origin: batch.origin, newSeries: newSeries, attributeUpdates: updates,
                                seriesIDs: pointIDs ? batch.seriesIndexes.map { ids[Int($0)] } : [], times: batch.times,
                                values: batch.values, outcomes: hasOutcomes ? batch.outcomeCodes : [],
                                seriesCount: batch.series.count)
        walBatch.seriesList = SeriesList(definitions: batch.series, ids: ids)
        return walBatch
    }
}

/// A batch's series and the ids they resolved to. The store keeps the last one applied, so the next batch that
/// names the same series (a scanner sends the same list every time) skips hashing and checking every key.
struct SeriesList: Sendable {
    var definitions: [SeriesDefinition]
    var ids: [SeriesID]
}

/// What the batches of a group resolved so far add to the store's state before they are applied.
struct GroupOverlay {
    var nextLSN: LSN = 0
    var nextID: SeriesID = 0
    /// Series created by earlier batches of the group.
    var newSeries: [SeriesKey: (id: SeriesID, kind: SeriesKind)] = [:]
    /// The attributes of series the group created or changed, as they are after its batches so far.
    var attributes: [SeriesID: Attributes] = [:]
    var contentHashes: [String: LSN] = [:]

    /// Notes a resolved batch; `state` is the store's (unapplied) state, for the attributes of existing series.
    mutating func note(_ batch: WALBatch, state: StoreState) {
        nextLSN = batch.lsn + 1
        for record in batch.newSeries {
            newSeries[record.key] = (record.id, record.kind)
            attributes[record.id] = record.attributes
            nextID = max(nextID, record.id + 1)
        }
        for (id, update) in batch.attributeUpdates {
            let base = attributes[id] ?? state.index.attributes(of: id) ?? Attributes()
            attributes[id] = base.merging(update)
        }
        for hash in batch.origin.contentIdentities where contentHashes[hash] == nil {
            contentHashes[hash] = batch.lsn
        }
    }
}

// MARK: - Documents of many batches

extension Store {
    /// The documents of several batches, checked against their checksums; batches without one (or whose document
    /// a repair found damaged) are left out.
    public func documents(ofBatches lsns: Set<LSN>) throws(StoreError) -> [LSN: StoredDocument] {
        var out: [LSN: StoredDocument] = [:]
        for lsn in lsns {
            if let document = try document(ofBatch: lsn), !document.isLostToDamage { out[lsn] = document }
        }
        return out
    }
}
