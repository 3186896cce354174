import Testing
import TallyStorage
import TallyTestSupport

@Suite("Repair of every kind of damage verify finds")
struct RepairTests {
    /// Two series in one segment, 3 blocks each (block size 4096 points).
    func segmentStore(_ dir: TemporaryDirectory) throws -> String {
        let store = try Store.open(at: dir.path)
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "repair"))
        let a = b.addSeries(SeriesKey(metric: "m", labels: ["s": "a"]))
        let c = b.addSeries(SeriesKey(metric: "m", labels: ["s": "c"]))
        for i in 0..<10_000 {
            b.append(series: a, time: Int64(i), value: Double(i))
            b.append(series: c, time: Int64(i), value: Double(-i))
        }
        try store.importBulk(b)
        try store.close()
        return try #require(try files(dir.child("segments"), suffix: ".tseg").first)
    }

    @Test func damagedBlockIsDroppedAndTheRestKept() throws {
        let dir = TemporaryDirectory()
        let segment = try segmentStore(dir)
        var bytes = try readFileBytes(segment)
        bytes[20] ^= 0xFF   // inside a block of the first series (series a's blocks come first)
        try writeFileBytes(segment, bytes)
        #expect(!Store.verify(at: dir.path).isClean)
        let report = try Store.repair(at: dir.path)
        #expect(report.after.isClean, "\(report.after.problems)")
        #expect(report.findings.count == 1)
        let lostRanges = try #require(report.findings.first?.lost)
        #expect(lostRanges.count == 1)
        let lost = try #require(lostRanges.first)
        #expect(lost.series == #"m{s="a"}"#)
        #expect(lost.from % 4096 == 0)
        #expect(lost.to == min(lost.from + 4095, 9_999))
        #expect(report.findings.first?.movedTo.map { Directory.exists($0) } == true)
        let store = try Store.open(at: dir.path)
        #expect(try pairs(store, "m", labels: ["s": "a"]).map(\.0) == (0..<10_000).map(Int64.init).filter { $0 < lost.from || $0 > lost.to })
        #expect(try pairs(store, "m", labels: ["s": "c"]).count == 10_000)
    }

    @Test func unreadableSegmentIsReportedWhole() throws {
        let dir = TemporaryDirectory()
        let segment = try segmentStore(dir)
        var bytes = try readFileBytes(segment)
        bytes[bytes.count - 3] ^= 0xFF   // the trailer's magic
        try writeFileBytes(segment, bytes)
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        let report = try Store.repair(at: dir.path)
        #expect(report.after.isClean)
        #expect(report.findings.first?.lost.first?.series == nil)
        let store = try Store.open(at: dir.path)
        #expect(store.series(matching: .all).isEmpty)
    }

    @Test func damagedWALRecordIsDroppedAndTheOthersReplayed() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...3 { try store.write(batch(points: [(Int64(i), Double(i))])) }
        }
        let wal = try #require(try files(dir.child("wal"), suffix: ".wal").first)
        var bytes = try readFileBytes(wal)
        bytes[12 + 8 + 2] ^= 0x01   // the first record
        try writeFileBytes(wal, bytes)
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        let report = try Store.repair(at: dir.path)
        #expect(report.after.isClean)
        // The record was acknowledged (records follow it): the report names its batch as lost.
        #expect(report.findings.contains { $0.detail.contains("with the batches 1: their points are lost") },
                "\(report.findings)")
        let store = try Store.open(at: dir.path)
        // The lost record also defined the series: its later points are kept under a stand-in name.
        #expect(same(try pairs(store, "tally_unknown_series", labels: ["series_id": "1"]), [(2, 2), (3, 3)]))
    }

    /// A batch the catalog recorded (an open replayed the WAL) is named with its source and points; damage at the
    /// end of the last file names the batch after the last record kept only when the catalog recorded it.
    @Test func aRepairNamesTheBatchesItDropped() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...4 { try store.write(batch(points: [(Int64(i), Double(i))], source: "file\(i).csv")) }
        }
        _ = try Store.open(at: dir.path)   // replays the WAL into the catalog's batch records, leaves it unflushed
        let wal = try #require(try files(dir.child("wal"), suffix: ".wal").first)
        var bytes = try readFileBytes(wal)
        // Records 2 and 4 damaged: 2 in the middle of the file, 4 at its end.
        let recordSize = (bytes.count - 12) / 4
        bytes[12 + recordSize + 30] ^= 0x01
        bytes[bytes.count - 3] ^= 0x01
        try writeFileBytes(wal, bytes)
        let report = try Store.repair(at: dir.path)
        let finding = try #require(report.findings.first { $0.path == wal })
        #expect(finding.detail.contains("with the batches 2 (test file2.csv, 1 point), 4 (test file4.csv, 1 point)"),
                "\(finding.detail)")
        let store = try Store.open(at: dir.path)
        #expect(same(try pairs(store), [(1, 1), (3, 3)]))
        // The lost batches are forgotten: not listed, with points they no longer have.
        #expect(try store.imports().map(\.lsn) == [1, 3])
        // Their LSNs are not given again.
        #expect(try store.write(batch(points: [(5, 5)])).lsn == 5)
    }

    /// Every batch the catalog recorded that the repaired WAL no longer holds is named and forgotten, not only the
    /// one after the last record kept: here a cut in the middle of the third of five records.
    @Test func aRepairNamesEveryRecordedBatchACutTailLost() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...5 { try store.write(batch(points: [(Int64(i), Double(i))], source: "f\(i)")) }
        }
        _ = try Store.open(at: dir.path)   // the catalog records batches 1–5
        let wal = try #require(try files(dir.child("wal"), suffix: ".wal").first)
        let bytes = try readFileBytes(wal)
        let starts = walRecordStarts(bytes)
        try writeFileBytes(wal, Array(bytes.prefix(starts[2] + 20)))
        // The open refuses: the catalog knows batch 3, so its cut record is damage, not a torn write.
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        let report = try Store.repair(at: dir.path)
        let finding = try #require(report.findings.first { $0.path == wal })
        #expect(finding.detail.contains("with the batches 3 (test f3, 1 point), 4 (test f4, 1 point), 5 (test f5, 1 point)"),
                "\(finding.detail)")
        let store = try Store.open(at: dir.path)
        #expect(try store.imports().map(\.lsn) == [1, 2])
        #expect(try store.write(batch(points: [(6, 6)])).lsn == 6)
    }

    /// A torn group commit at the end of the last file (its first record damaged, its later records whole) is
    /// dropped whole by a repair, as the open would cut it: none of it was acknowledged, and nothing is named lost.
    @Test func aRepairDropsATornGroupAsTheOpenWould() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithAGroupCommit(dir)
        var bytes = try readFileBytes(wal)
        bytes[walRecordStarts(bytes)[1] + 8 + 20] ^= 0x10   // inside the group's first record
        try writeFileBytes(wal, bytes)
        let report = try Store.repair(at: dir.path)
        let finding = try #require(report.findings.first { $0.path == wal })
        #expect(finding.detail.hasPrefix("kept 1 intact records") && finding.detail.contains("no batch can be named"),
                "\(finding.detail)")
        let store = try Store.open(at: dir.path)
        #expect(same(try pairs(store), [(1, 1)]))
        #expect(try store.write(batch(points: [(5, 5)])).lsn == 5)
    }

    @Test func damagedDocumentRecordIsMarkedAndTheOthersStayReadable() throws {
        let dir = TemporaryDirectory()
        var lsns: [LSN] = []
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...3 {
                var b = batch(points: [(Int64(i), Double(i))])
                b.origin.setDetail(BatchOrigin.contentHashKey, "hash-\(i)")
                lsns.append(try store.write(b, document: (kind: "test", bytes: Array("document number \(i) ".utf8) + [UInt8](repeating: UInt8(i), count: 300))).lsn)
            }
            try store.close()
        }
        let file = try #require(try files(dir.child("documents"), suffix: ".tdoc").first)
        var bytes = try readFileBytes(file)
        bytes[12 + 8 + 12] ^= 0x55   // inside the first record
        try writeFileBytes(file, bytes)
        // verify names the damaged record and the batch whose document it is, and checks the records after it: the
        // other two documents are not reported missing (every later one was, once a record was damaged).
        let verified = Store.verify(at: dir.path)
        #expect(verified.problems.count == 2, "\(verified.problems)")
        #expect(verified.problems.contains { $0.detail.contains("the document of batch \(lsns[0]) is that damaged record") })
        #expect(!verified.problems.contains { $0.detail.contains("batch \(lsns[1])") || $0.detail.contains("batch \(lsns[2])") })
        #expect(verified.documentsChecked == 2)
        let report = try Store.repair(at: dir.path)
        #expect(report.after.isClean, "\(report.after.problems)")
        let store = try Store.open(at: dir.path)
        #expect(try store.document(ofBatch: lsns[0])?.isLostToDamage == true)
        #expect(try store.document(ofBatch: lsns[1])?.isLostToDamage == false)
        // Readers of many documents leave the marker out, as a batch without a document.
        #expect(try store.documents(ofBatches: Set(lsns)).keys.sorted() == [lsns[1], lsns[2]])
        let second = try #require(try store.document(ofBatch: lsns[1]))
        #expect(String(decoding: second.bytes.prefix(17), as: UTF8.self) == "document number 2")
        #expect(try pairs(store).count == 3)
    }

    /// The last record damaged (nothing intact after it): its place is kept as a marker, so its batch's reference
    /// still points at a record and the store verifies clean (it used to be cut off, leaving the reference dangling).
    @Test func aDamagedLastDocumentRecordBecomesAMarker() throws {
        let dir = TemporaryDirectory()
        var lsns: [LSN] = []
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...2 {
                lsns.append(try store.write(batch(points: [(Int64(i), Double(i))]),
                                            document: (kind: "test", bytes: [UInt8](repeating: UInt8(i), count: 200))).lsn)
            }
            try store.close()
        }
        let file = try #require(try files(dir.child("documents"), suffix: ".tdoc").first)
        var bytes = try readFileBytes(file)
        bytes[bytes.count - 10] ^= 0x55   // inside the last record
        try writeFileBytes(file, bytes)
        let report = try Store.repair(at: dir.path)
        #expect(report.after.isClean, "\(report.after.problems)")
        #expect(try readFileBytes(file).count == bytes.count)
        let store = try Store.open(at: dir.path)
        #expect(try store.document(ofBatch: lsns[1])?.isLostToDamage == true)
        #expect(try store.document(ofBatch: lsns[0])?.bytes == [UInt8](repeating: 1, count: 200))
    }
}
