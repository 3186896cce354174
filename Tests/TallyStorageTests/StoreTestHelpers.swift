import Testing
import TallyStorage
import TallyTestSupport
import TallyEncoding

/// A batch writing `points` (time, value) to one measurement series.
func batch(_ metric: String = "row_count", labels: [String: String] = ["dataset": "orders"],
           points: [(Int64, Double?)], kind: SeriesKind = .measurement, outcome: Outcome? = nil,
           source: String = "test") -> WriteBatch {
    var b = WriteBatch(origin: BatchOrigin(kind: "test", source: source, wallTime: 0))
    let s = b.addSeries(SeriesKey(metric: metric, labels: labels), kind: kind)
    for (t, v) in points { b.append(series: s, time: t, value: v, outcome: outcome) }
    return b
}

/// The (time, value) pairs of a series, values as optionals.
func pairs(_ store: Store, _ metric: String = "row_count", labels: [String: String] = ["dataset": "orders"],
           range: TimeRange = .all) throws -> [(Int64, Double?)] {
    guard let info = store.series(key: SeriesKey(metric: metric, labels: labels)) else { return [] }
    let columns = try store.read(info.id, in: range)
    return zip(columns.times, columns.values).map { ($0, optionalValue($1)) }
}

func same(_ a: [(Int64, Double?)], _ b: [(Int64, Double?)]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { x, y in
        x.0 == y.0 && x.1?.bitPattern == y.1?.bitPattern
    }
}

/// Where each record of a WAL file starts, from their length fields (12-byte file header, 8-byte record headers).
func walRecordStarts(_ bytes: [UInt8]) -> [Int] {
    var starts: [Int] = []
    var offset = 12
    while offset + 4 <= bytes.count {
        starts.append(offset)
        offset += 8 + bytes[offset..<(offset + 4)].reversed().reduce(0) { $0 << 8 | Int($1) }
    }
    return starts
}

/// A store with batch 1 written alone and batches 2–4 as one group commit, left unflushed; returns the WAL file.
func storeWithAGroupCommit(_ dir: TemporaryDirectory) throws -> String {
    do {
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        let group = (2...4).map { GroupWrite(batch: batch(points: [(Int64($0), Double($0))])) }
        #expect(store.writeGroup(group).allSatisfy { (try? $0.get()) != nil })
    }
    return try #require(try files(dir.path + "/wal", suffix: ".wal").first)
}

/// Files in a store's folder with a suffix.
func files(_ directory: String, suffix: String) throws -> [String] {
    try Directory.list(directory).filter { $0.hasSuffix(suffix) }.map { directory + "/" + $0 }
}

import CSQLite

/// Runs SQL on a database file directly (to fake a catalog written by another Tally).
func runSQLite(_ path: String, _ sql: String) throws {
    struct SQLiteFailure: Error { let message: String }
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK else { throw SQLiteFailure(message: "cannot open \(path)") }
    defer { sqlite3_close(db) }
    guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
        throw SQLiteFailure(message: String(cString: sqlite3_errmsg(db)))
    }
}
