// People's verdicts on points, for the anomaly detectors: "this was normal", "this was a real incident",
// "leave this out". Kept in the catalog's `feedback` table (one row per series and time), not in the point
// data: a verdict is not a measurement, it has no LSN and can be changed or removed at any time.

/// A person's verdict on one point of a series.
public enum FeedbackVerdict: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The point is normal: it trains the detector's baseline even when the detector flagged it.
    case expected
    /// The point is a confirmed incident: it never trains the baseline and never counts towards a level shift.
    case anomaly
    /// The point is left out of training (a backfill, a maintenance window); it is still judged.
    case exclude

    public var description: String { rawValue }
}

/// One stored verdict.
public struct FeedbackRecord: Sendable, Equatable {
    /// The row id (stable; `tally feedback remove --id` takes it).
    public var id: Int64
    /// The series the verdict is about.
    public var series: SeriesID
    /// The point's time, epoch milliseconds.
    public var time: Int64
    /// The verdict.
    public var verdict: FeedbackVerdict
    /// Free text (who, why); may be empty.
    public var note: String
    /// When the verdict was given, epoch milliseconds (wall clock).
    public var created: Int64

    public init(id: Int64, series: SeriesID, time: Int64, verdict: FeedbackVerdict, note: String, created: Int64) {
        self.id = id
        self.series = series
        self.time = time
        self.verdict = verdict
        self.note = note
        self.created = created
    }
}

extension Catalog {
    /// The `feedback` table. Created with the schema, and at every writable open for stores created before it
    /// existed (the table is only added, so the schema version stays 1).
    static let feedbackSchema = """
        CREATE TABLE IF NOT EXISTS feedback(
            id INTEGER PRIMARY KEY, series_id INTEGER NOT NULL, time INTEGER NOT NULL,
            verdict TEXT NOT NULL, note TEXT NOT NULL, created INTEGER NOT NULL,
            UNIQUE(series_id, time));
        """

    /// Whether the catalog has the `feedback` table (a store created by an older Tally and opened read-only
    /// may not have it yet).
    func hasFeedbackTable() throws(StoreError) -> Bool {
        let stmt = try db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'feedback'")
        return try stmt.step() && stmt.int(0) == 1
    }
}

extension Catalog {
    /// The meta key of the next feedback id (ids are never given twice).
    static let nextFeedbackIDKey = "feedback_next_id"

    /// The id the next new verdict gets: above every verdict's, and above every id given before (a removed
    /// verdict's included).
    func nextFeedbackID() throws(StoreError) -> Int64 {
        let reserved = Int64(try meta(Catalog.nextFeedbackIDKey) ?? "1") ?? 1
        guard try hasFeedbackTable() else { return reserved }
        let top = try db.prepare("SELECT coalesce(max(id), 0) FROM feedback")
        _ = try top.step()
        return max(reserved, top.int(0) + 1)
    }
}

extension Store {
    /// Records a verdict on the point of `series` at `time`, replacing an earlier verdict on the same point.
    ///
    /// The point need not exist (a verdict on a time without a point has no effect until one is written there).
    /// Durable when it returns. Needs a writable store.
    @discardableResult
    public func setFeedback(series: SeriesID, time: Int64, verdict: FeedbackVerdict, note: String = "",
                            wallTime: Int64 = currentTimeMillis()) throws(StoreError) -> FeedbackRecord {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) -> FeedbackRecord in
            guard w != nil else { throw readOnlyOrClosed() }
            // A new verdict takes an id no verdict of this store ever had: SQLite would give a removed last row's
            // id again, and a script that kept it for `feedback remove --id` would remove another verdict.
            let id = try catalog.db.transaction { () throws(StoreError) -> Int64 in
                let existing = try catalog.db.prepare("SELECT id FROM feedback WHERE series_id = ?1 AND time = ?2")
                    .bind(.int(Int64(series)), .int(time))
                let next = try catalog.nextFeedbackID()
                let id = try existing.step() ? existing.int(0) : next
                try catalog.db.prepare("""
                    INSERT INTO feedback(id, series_id, time, verdict, note, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                    ON CONFLICT(series_id, time) DO UPDATE SET verdict = excluded.verdict, note = excluded.note,
                        created = excluded.created
                    """).bind(.int(id), .int(Int64(series)), .int(time), .text(verdict.rawValue), .text(note), .int(wallTime))
                    .run()
                try catalog.setMeta(Catalog.nextFeedbackIDKey, "\(max(id + 1, next))")
                return id
            }
            state.withLock { $0.noteChange() }
            return FeedbackRecord(id: id, series: series, time: time, verdict: verdict, note: note, created: wallTime)
        }
    }

    /// The verdicts on `series` (all series when nil) with times in `range`, ordered by series, then time.
    public func feedback(series: [SeriesID]? = nil, in range: TimeRange = .all) throws(StoreError) -> [FeedbackRecord] {
        try checkOpen()
        return try catalog.db.exclusive { () throws(StoreError) in try feedbackRecords(series: series, in: range) }
    }

    /// ``feedback(series:in:)`` with the connection held.
    private func feedbackRecords(series: [SeriesID]?, in range: TimeRange) throws(StoreError) -> [FeedbackRecord] {
        guard try catalog.hasFeedbackTable() else { return [] }
        var out: [FeedbackRecord] = []
        func collect(_ stmt: SQLiteStatement) throws(StoreError) {
            while try stmt.step() {
                out.append(FeedbackRecord(
                    id: stmt.int(0), series: SeriesID(truncatingIfNeeded: stmt.int(1)), time: stmt.int(2),
                    verdict: FeedbackVerdict(rawValue: stmt.text(3)) ?? .exclude, note: stmt.text(4),
                    created: stmt.int(5)))
            }
        }
        let columns = "SELECT id, series_id, time, verdict, note, created FROM feedback"
        if let series {
            let stmt = try catalog.db.prepare(columns + " WHERE series_id = ?1 AND time >= ?2 AND time < ?3 ORDER BY time")
            for id in Set(series).sorted() {
                stmt.bind(.int(Int64(id)), .int(range.lowerBound), .int(range.upperBound))
                try collect(stmt)
            }
        } else {
            let stmt = try catalog.db.prepare(columns + " WHERE time >= ?1 AND time < ?2 ORDER BY series_id, time")
                .bind(.int(range.lowerBound), .int(range.upperBound))
            try collect(stmt)
        }
        return out
    }

    /// Removes verdicts by row id; returns how many were removed. Needs a writable store.
    @discardableResult
    public func removeFeedback(ids: [Int64]) throws(StoreError) -> Int {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) -> Int in
            guard w != nil else { throw readOnlyOrClosed() }
            let removed = try catalog.db.transaction { () throws(StoreError) -> Int in
                var removed = 0
                let stmt = try catalog.db.prepare("DELETE FROM feedback WHERE id = ?1 RETURNING id")
                for id in Set(ids).sorted() {
                    stmt.bind(.int(id))
                    while try stmt.step() { removed += 1 }
                }
                return removed
            }
            state.withLock { $0.noteChange() }
            return removed
        }
    }

    /// Moves the verdicts of `old` to `new` (for ``link(_:into:)``), except at the times in `taken` (where `new`'s
    /// own points won) and where `new` has a verdict already; returns how many moved.
    func moveFeedback(from old: SeriesID, to new: SeriesID, notAt taken: Set<Int64>) throws(StoreError) -> Int {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) -> Int in
            guard w != nil else { throw readOnlyOrClosed() }
            guard try catalog.hasFeedbackTable() else { return 0 }
            let moved = try catalog.db.transaction { () throws(StoreError) -> Int in
                let records = try feedbackRecords(series: [old], in: .all)
                let stmt = try catalog.db.prepare("""
                    UPDATE feedback SET series_id = ?2 WHERE id = ?1
                        AND NOT EXISTS (SELECT 1 FROM feedback WHERE series_id = ?2 AND time = ?3) RETURNING id
                    """)
                var moved = 0
                for record in records where !taken.contains(record.time) {
                    stmt.bind(.int(record.id), .int(Int64(new)), .int(record.time))
                    while try stmt.step() { moved += 1 }
                }
                return moved
            }
            if moved > 0 { state.withLock { $0.noteChange() } }
            return moved
        }
    }

    /// Removes the verdicts on `series` with times in `range`; returns how many were removed. Needs a writable
    /// store.
    @discardableResult
    public func removeFeedback(series: SeriesID, in range: TimeRange = .all) throws(StoreError) -> Int {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) -> Int in
            guard w != nil else { throw readOnlyOrClosed() }
            let removed = try catalog.db.exclusive { () throws(StoreError) -> Int in
                let stmt = try catalog.db.prepare(
                    "DELETE FROM feedback WHERE series_id = ?1 AND time >= ?2 AND time < ?3 RETURNING id")
                    .bind(.int(Int64(series)), .int(range.lowerBound), .int(range.upperBound))
                var removed = 0
                while try stmt.step() { removed += 1 }
                return removed
            }
            state.withLock { $0.noteChange() }
            return removed
        }
    }
}
