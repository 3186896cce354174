import Foundation
import Testing
@testable import TallyStorage
import TallyTestSupport

@Suite("Format versions and upgrades")
struct UpgradeTests {
    /// A copy of the checked-in version 1 store.
    func fixtureCopy(_ dir: TemporaryDirectory) throws -> String {
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/store-v1").path
        let target = dir.child("store")
        try FileManager.default.copyItem(atPath: source, toPath: target)
        return target
    }

    @Test func theVersionOneFixtureOpensReadsAndVerifies() throws {
        let dir = TemporaryDirectory()
        let path = try fixtureCopy(dir)
        #expect(Store.verify(at: path).isClean)
        let report = try Store.upgrade(at: path)
        #expect(report.catalogSchema == 1)
        #expect(report.migrated.isEmpty)
        #expect(report.segmentVersions == [1: 2])
        let store = try Store.open(at: path)
        // Independently known content: row_count of orders is 1000 + 7 d on 2024-03-d, checks fail every 10th day.
        let march1 = try #require(TimeText.parse("2024-03-01T06:00:00Z"))
        #expect(same(try pairs(store, "row_count", labels: ["dataset": "orders"]),
                     (1...30).map { (march1 + Int64($0 - 1) * 86_400_000, Double(1000 + $0 * 7)) }))
        let check = try #require(store.series(key: SeriesKey(metric: "check", labels: ["dataset": "orders"])))
        #expect(try store.read(check.id).outcomes == (1...30).map { $0 % 10 == 0 ? 3 : 1 })
        #expect(try store.imports().map(\.origin.kind) == ["csv", "soda"])
        #expect(try store.document(ofBatch: 2)?.kind.hasPrefix("soda/") == true)
        // And it takes new writes in the current format.
        try store.write(batch(points: [(1, 1)]))
        try store.close()
        #expect(Store.verify(at: path).isClean)
    }

    /// The names of a catalog's own indexes (not SQLite's automatic ones).
    func indexes(_ store: String) throws -> [String] {
        let db = try SQLiteDatabase(path: store + "/catalog.sqlite", readOnly: true)
        let stmt = try db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        var names: [String] = []
        while try stmt.step() { names.append(stmt.text(0)) }
        return names
    }

    /// Stores made before commit e9f75b5 have two catalog indexes nothing reads: a read-only open leaves them,
    /// a writable open drops them, and a new store never has them.
    @Test func unusedCatalogIndexesAreDroppedByAWritableOpen() throws {
        let dir = TemporaryDirectory()
        let path = try fixtureCopy(dir)
        #expect(try indexes(path) == ["series_label_value", "series_metric"])
        _ = try Store.open(at: path, options: StoreOptions(readOnly: true))
        #expect(try indexes(path) == ["series_label_value", "series_metric"])
        let store = try Store.open(at: path)
        #expect(try indexes(path).isEmpty)
        #expect(store.series(matching: SeriesSelector(metric: "row_count")).count == 2)
        try store.close()
        #expect(Store.verify(at: path).isClean)
        let fresh = dir.child("fresh")
        try Store.open(at: fresh).close()
        #expect(try indexes(fresh).isEmpty)
    }

    @Test func aNewerCatalogIsRefusedWithAClearMessage() throws {
        let dir = TemporaryDirectory()
        let path = try fixtureCopy(dir)
        // Pretend a future Tally wrote it.
        let store = try Store.open(at: path)
        try store.setMetadata("probe", "x")
        try store.close()
        try runSQLite(path + "/catalog.sqlite", "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: path) }
        #expect(error?.description.contains("format version 99 is newer than this Tally supports (1)") == true)
        #expect(throws: StoreError.self) { _ = try Store.upgrade(at: path) }
    }
}
