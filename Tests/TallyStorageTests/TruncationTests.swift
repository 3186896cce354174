import Testing
import TallyStorage
import TallyTestSupport

/// Cuts a segment file and a document file at every offset. `verify` names the file each time; an open handle
/// either reads a series exactly as before or throws an error naming the cut file, never returns points past the
/// cut, and reads everything while the cut spares the blocks and the footer; nothing else is affected.
@Suite("Every truncation of a segment and of a document file")
struct TruncationTests {
    static let february: Int64 = 31 * 86_400_000

    /// Equal point for point, values compared by bit pattern (a null is a NaN).
    static func same(_ a: PointColumns, _ b: PointColumns) -> Bool {
        a.times == b.times && a.lsns == b.lsns && a.outcomes == b.outcomes
            && a.values.map(\.bitPattern) == b.values.map(\.bitPattern)
    }

    @Test func everyTruncationOfASegmentIsReportedAndReadsFailOnlyWithTheFileNamed() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "cut"))
            let rows = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "a"]))
            let check = b.addSeries(SeriesKey(metric: "check", labels: ["dataset": "a"]), kind: .check)
            let nulls = b.addSeries(SeriesKey(metric: "nulls", labels: ["dataset": "a"]))
            let later = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "february"]))
            for i in 0..<24 {
                b.append(series: rows, time: Int64(i) * 3_600_000, value: Double(1000 + i * 7))
                b.append(series: check, time: Int64(i) * 3_600_000, value: i % 5 == 0 ? nil : 0.5 * Double(i),
                         outcome: i % 4 == 0 ? .fail : .pass)
                b.append(series: nulls, time: Int64(i) * 3_600_000, value: Double(i % 3))
                b.append(series: later, time: TruncationTests.february + Int64(i) * 60_000, value: Double(i))
            }
            try store.write(b)
            try store.close()
        }
        let segments = try files(dir.child("segments"), suffix: ".tseg").sorted()
        #expect(segments.count == 2)
        let (january, february) = (segments[0], segments[1])
        // A handle opened before the damage (as a long-running reader would be).
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let all = reader.series(matching: .all)
        #expect(all.count == 4)
        let expected = try all.map { try reader.read($0.id) }
        // Where each series' blocks end in its file: a read must fail exactly when the cut is before that.
        let ends = try all.map { info in
            try reader.blocks(of: info.id, in: .all).blocks.map { $0.meta.offset + $0.meta.length }.max() ?? 0
        }
        let inJanuary = all.map { $0.key[label: "dataset"] != "february" }
        #expect(inJanuary.filter { $0 }.count == 3)
        let original = try readFileBytes(january)
        // The footer, after the blocks, says where each block is: a handle reads it again for each read, so a cut
        // anywhere before its end may fail a read of a January series (with the file named); a cut in the
        // trailer only must fail none.
        let footerEnd = original.count - 24
        var unreported: [Int] = []
        var unrefused: [Int] = []
        var wrongReads: [String] = []
        for cut in 0..<original.count {
            try writeFileBytes(january, Array(original.prefix(cut)))
            let report = Store.verify(at: dir.path)
            if !report.problems.contains(where: { $0.path == january }) { unreported.append(cut) }
            #expect(!report.problems.contains { $0.path == february })
            do throws(StoreError) {
                _ = try Store.open(at: dir.path)
                unrefused.append(cut)
            } catch {
                if !error.description.contains(january) { wrongReads.append("open at \(cut): \(error)") }
            }
            for (k, info) in all.enumerated() {
                do throws(StoreError) {
                    let got = try reader.read(info.id)
                    if !TruncationTests.same(got, expected[k]) || (inJanuary[k] && ends[k] > cut) { wrongReads.append("\(info.key) at \(cut): read past the cut") }
                } catch {
                    if !inJanuary[k] || cut >= footerEnd || !error.description.contains(january) {
                        wrongReads.append("\(info.key) at \(cut): \(error)")
                    }
                }
            }
        }
        try writeFileBytes(january, original)
        #expect(unreported.isEmpty, "cuts verify did not report: \(unreported.prefix(10))")
        #expect(unrefused.isEmpty, "cuts open accepted: \(unrefused.prefix(10))")
        #expect(wrongReads.isEmpty, "\(wrongReads.prefix(5))")
        #expect(Store.verify(at: dir.path).isClean)
        #expect(original.count > 300)
    }

    /// The document log: two documents whose batches are flushed into the catalog, two only in the WAL.
    @Test func everyTruncationOfADocumentFileIsReportedAndOnlyTheCutDocumentsFail() throws {
        let dir = TemporaryDirectory()
        func document(_ i: Int) -> [UInt8] {
            // One large (compressed), the others small (stored as they are).
            let rows = i == 2 ? String(repeating: "[1, 2, 3], ", count: 30) : "\(i)"
            return Array("{\"scan\": \(i), \"rows\": [\(rows)]}".utf8)
        }
        func write(_ store: Store, _ i: Int) throws {
            var b = batch(labels: ["dataset": "d\(i)"], points: [(Int64(i), Double(i) * 1.5)])
            b.origin.setDetail(BatchOrigin.contentHashKey, "h\(i)")
            b.origin.setDetail("i", "\(i)")
            try store.write(b, document: (kind: "test", bytes: document(i)))
        }
        do {
            let store = try Store.open(at: dir.path)
            try write(store, 1)
            try write(store, 2)
            try store.close()
        }
        do {
            let store = try Store.open(at: dir.path)
            try write(store, 3)
            try write(store, 4)
            // No close: these two batches stay in the WAL.
        }
        let file = try #require(try files(dir.child("documents"), suffix: ".tdoc").first)
        let original = try readFileBytes(file)
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let records = try reader.imports().compactMap { record -> (LSN, Int, DocumentRef)? in
            guard let ref = record.origin.detail(BatchOrigin.documentKey).flatMap(DocumentRef.init),
                  let i = record.origin.detail("i").flatMap({ Int($0) }) else { return nil }
            return (record.lsn, i, ref)
        }
        #expect(records.count == 4)
        #expect(Store.verify(at: dir.path).isClean)
        var unreported: [Int] = []
        var wrongReads: [String] = []
        for cut in 0..<original.count {
            try writeFileBytes(file, Array(original.prefix(cut)))
            if !Store.verify(at: dir.path).problems.contains(where: { $0.path == file }) { unreported.append(cut) }
            for (lsn, i, ref) in records {
                do throws(StoreError) {
                    let got = try reader.document(ofBatch: lsn)
                    if got?.bytes != document(i) || ref.offset + ref.length > cut {
                        wrongReads.append("document \(i) at \(cut): read past the cut")
                    }
                } catch {
                    if ref.offset + ref.length <= cut || !error.description.contains(file) {
                        wrongReads.append("document \(i) at \(cut): \(error)")
                    }
                }
            }
            // The points do not depend on the document log: a new handle opens and reads them all.
            let fresh = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
            let points = try fresh.series(matching: .all).map { try fresh.read($0.id).count }
            if points != [1, 1, 1, 1] { wrongReads.append("points at \(cut): \(points)") }
        }
        try writeFileBytes(file, original)
        #expect(unreported.isEmpty, "cuts verify did not report: \(unreported.prefix(10))")
        #expect(wrongReads.isEmpty, "\(wrongReads.prefix(5))")
        #expect(Store.verify(at: dir.path).isClean)
    }
}

/// Found by scripts/crash-harness: a SIGKILL while a store was being created left `catalog.sqlite` without its
/// tables (and with a hot rollback journal), and every later open failed with "no such table: meta".
@Suite("A store whose creation was interrupted")
struct InterruptedCreationTests {
    @Test(arguments: [false, true])
    func theNextOpenFinishesIt(withJournal: Bool) throws {
        let dir = TemporaryDirectory()
        for sub in ["wal", "segments", "documents"] { try Directory.create(dir.child(sub)) }
        // What the kill left: an empty database file, maybe with the journal of the unfinished first transaction.
        try writeFileBytes(dir.child("catalog.sqlite"), [])
        if withJournal { try writeFileBytes(dir.child("catalog.sqlite-journal"), [UInt8](repeating: 0, count: 512)) }
        let report = Store.verify(at: dir.path)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.notes.contains { $0.detail.contains("never finished") })
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path, options: StoreOptions(readOnly: true)) }
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        try store.close()
        #expect(Store.verify(at: dir.path).isClean)
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1)]))
    }

    @Test func aCatalogWithoutTablesInAStoreThatHoldsDataIsStillDamage() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
        }
        try Directory.remove(dir.child("catalog.sqlite"))
        for suffix in ["-wal", "-shm"] { try? Directory.remove(dir.child("catalog.sqlite" + suffix)) }
        try writeFileBytes(dir.child("catalog.sqlite"), [])
        #expect(Store.verify(at: dir.path).problems.contains { $0.path == dir.child("catalog.sqlite") })
        // Opening it does not make a new catalog over the data (its segments would be taken for leftovers).
        #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        #expect(try files(dir.child("wal"), suffix: ".wal").count == 1)
    }
}
