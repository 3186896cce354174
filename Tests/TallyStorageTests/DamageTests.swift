import Testing
import TallyStorage
import TallyEncoding
import TallyTestSupport

@Suite("Damaged files: torn WAL tails, corrupt records, flipped segment bytes")
struct DamageTests {
    /// Writes three batches without flushing and returns the WAL file's path.
    func storeWithThreeBatches(_ dir: TemporaryDirectory) throws -> String {
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            try store.write(batch(points: [(2, 2)]))
            try store.write(batch(points: [(3, 3)]))
        }
        let wal = try files(dir.child("wal"), suffix: ".wal")
        #expect(wal.count == 1)
        return wal[0]
    }

    @Test func tornTailIsDroppedAtOpen() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        let bytes = try readFileBytes(wal)
        try writeFileBytes(wal, Array(bytes.dropLast(5)))
        #expect(!Store.verify(at: dir.path).isClean)
        let store = try Store.open(at: dir.path)
        #expect(same(try pairs(store), [(1, 1), (2, 2)]))
        // The cut record is gone for good and writing goes on after the last good one.
        try store.write(batch(points: [(4, 4)]))
        try store.close()
        #expect(Store.verify(at: dir.path).isClean)
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (2, 2), (4, 4)]))
    }

    @Test func zeroFilledTailIsTorn() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        try writeFileBytes(wal, try readFileBytes(wal) + [UInt8](repeating: 0, count: 100))
        let store = try Store.open(at: dir.path)
        #expect(same(try pairs(store), [(1, 1), (2, 2), (3, 3)]))
    }

    @Test func damagedRecordBeforeTheTailStopsTheOpen() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        var bytes = try readFileBytes(wal)
        // The first record starts right after the 12-byte header; damage a byte of its payload.
        bytes[12 + 8 + 3] ^= 0x40
        try writeFileBytes(wal, bytes)
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        guard case .corrupt(let path, let offset, _)? = error else {
            Issue.record("expected a corruption error, got \(String(describing: error))")
            return
        }
        #expect(path == wal)
        #expect(offset == 12)
        let report = Store.verify(at: dir.path)
        #expect(report.problems.contains { $0.path == wal && $0.offset == 12 })
        // The file is untouched: nothing was cut off silently.
        #expect(try readFileBytes(wal) == bytes)
    }

    /// A damaged length field makes the first record seem to run to the end of the file; the records after it are
    /// intact, so this is damage, not a cut-off write: the open stops instead of dropping three acknowledged batches.
    @Test func aDamagedLengthWithIntactRecordsAfterItStopsTheOpen() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        var bytes = try readFileBytes(wal)
        bytes[12 + 2] ^= 0x10   // the first record's length, now far past the end of the file
        try writeFileBytes(wal, bytes)
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        guard case .corrupt(let path, let offset, let detail)? = error else {
            Issue.record("expected a corruption error, got \(String(describing: error))")
            return
        }
        #expect(path == wal && offset == 12)
        #expect(detail.contains("an intact later write follows at offset"), "\(detail)")
        #expect(Store.verify(at: dir.path).problems.contains { $0.detail.contains("so this is damage") })
        #expect(try readFileBytes(wal) == bytes)
    }

    /// The last record damaged (its checksum fails, nothing after it) cannot be told from a write cut off by a
    /// crash: the open cuts it, but keeps its bytes in damaged/, says so, and never gives its LSN to a new batch.
    @Test func aCutLastRecordIsKeptAndItsLSNIsNotGivenAgain() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        var bytes = try readFileBytes(wal)
        bytes[bytes.count - 3] ^= 0x01   // in the last record's points
        try writeFileBytes(wal, bytes)
        let report = Store.verify(at: dir.path)
        #expect(report.problems.contains { $0.detail.contains("(it claims batch 3)") }, "\(report.problems)")
        let store = try Store.open(at: dir.path)
        let cut = try #require(store.cutWALTail)
        #expect(cut.file == wal && cut.claimedLSNs == [3] && cut.offset + cut.bytes == bytes.count)
        let kept = try #require(cut.keptAt)
        #expect(try readFileBytes(kept) == Array(bytes[cut.offset...]))
        #expect(cut.description.contains("the bytes are kept in \(kept)"))
        #expect(same(try pairs(store), [(1, 1), (2, 2)]))
        #expect(try store.write(batch(points: [(4, 4)])).lsn == 4)
        try store.close()
        // A later open finds nothing to cut.
        let again = try Store.open(at: dir.path)
        #expect(again.cutWALTail == nil)
        #expect(same(try pairs(again), [(1, 1), (2, 2), (4, 4)]))
    }

    /// A group commit is one append with one sync: a crash can damage its first record and leave a later one of
    /// the group intact. Nothing of the group was acknowledged, so that is a torn tail (cut), not damage.
    @Test func aTornGroupCommitIsCutNotRefused() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithAGroupCommit(dir)
        var bytes = try readFileBytes(wal)
        let groupStart = walRecordStarts(bytes)[1]
        bytes[groupStart + 2] ^= 0x10   // its length: it now seems to run past the end
        try writeFileBytes(wal, bytes)
        let store = try Store.open(at: dir.path)
        #expect(store.cutWALTail?.offset == groupStart)
        #expect(same(try pairs(store), [(1, 1)]))
    }

    /// The same with the group's first record whole in length but damaged inside (its checksum fails), and the
    /// group's later records whole: still the last append, cut, and the LSNs it claims are reserved.
    @Test func aTornGroupWithADamagedFirstRecordIsCut() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithAGroupCommit(dir)
        var bytes = try readFileBytes(wal)
        let groupStart = walRecordStarts(bytes)[1]
        bytes[groupStart + 8 + 20] ^= 0x10   // inside the group's first record's payload
        try writeFileBytes(wal, bytes)
        let store = try Store.open(at: dir.path)
        let cut = try #require(store.cutWALTail)
        #expect(cut.offset == groupStart && cut.claimedLSNs == [2, 3, 4], "\(cut)")
        #expect(same(try pairs(store), [(1, 1)]))
        #expect(try store.write(batch(points: [(5, 5)])).lsn == 5)
    }

    /// A WAL cut exactly between two records is a valid, shorter file; when the catalog recorded the batches it lost
    /// (an open replayed them), verify and the open say so.
    @Test func aWALCutBetweenRecordsIsFoundWhenTheCatalogKnowsTheBatch() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        _ = try Store.open(at: dir.path)   // the catalog records batches 1–3
        let bytes = try readFileBytes(wal)
        try writeFileBytes(wal, Array(bytes.prefix(walRecordStarts(bytes)[1])))   // only batch 1 is left
        let report = Store.verify(at: dir.path)
        #expect(report.problems.contains { $0.detail.contains("the catalog recorded batch 2 (test test), so it was acknowledged, but no WAL record or segment holds it") },
                "\(report.problems)")
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        #expect(error?.description.contains("the catalog recorded batch 2") == true, "\(String(describing: error))")
    }

    /// The catalog recorded the last batch (an open replayed it): damage to its record is damage, and the open
    /// stops instead of cutting an acknowledged batch.
    @Test func aDamagedLastRecordTheCatalogKnowsStopsTheOpen() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        _ = try Store.open(at: dir.path)   // replays the WAL: the catalog records batches 1–3
        var bytes = try readFileBytes(wal)
        bytes[bytes.count - 3] ^= 0x01
        try writeFileBytes(wal, bytes)
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        #expect(error?.description.contains("the catalog recorded batch 3 (test test), so it was acknowledged") == true,
                "\(String(describing: error))")
        #expect(try readFileBytes(wal) == bytes)
    }

    /// A claimed LSN stays reserved though nothing is written before the next open.
    @Test func aReservedLSNOutlivesTheOpenThatCutIt() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        var bytes = try readFileBytes(wal)
        bytes[bytes.count - 3] ^= 0x01
        try writeFileBytes(wal, bytes)
        do {
            let store = try Store.open(at: dir.path)
            #expect(store.cutWALTail?.claimedLSNs == [3])
            try store.close()
        }
        let store = try Store.open(at: dir.path)
        #expect(store.cutWALTail == nil)
        #expect(try store.write(batch(points: [(4, 4)])).lsn == 4)
    }

    /// A WAL file of version 1 (written by an older Tally) is read, and never appended to: the open starts a new
    /// file, so no version-1 file holds a record that version does not know.
    @Test func aVersionOneWALIsReadAndNotAppendedTo() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        var bytes = try readFileBytes(wal)
        bytes[4] = 1
        let crc = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[0..<8])) }
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
        try writeFileBytes(wal, bytes)
        let store = try Store.open(at: dir.path)
        #expect(same(try pairs(store), [(1, 1), (2, 2), (3, 3)]))
        try store.write(batch(points: [(4, 4)]))
        #expect(try readFileBytes(wal) == bytes)
        #expect(try files(dir.child("wal"), suffix: ".wal").count == 2)
        try store.close()
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (2, 2), (3, 3), (4, 4)]))
    }

    /// Zeros after the last record are no write at all: nothing is kept, and the LSNs go on.
    @Test func aZeroTailIsCutWithoutKeepingAnything() throws {
        let dir = TemporaryDirectory()
        let wal = try storeWithThreeBatches(dir)
        try writeFileBytes(wal, try readFileBytes(wal) + [UInt8](repeating: 0, count: 64))
        let store = try Store.open(at: dir.path)
        let cut = try #require(store.cutWALTail)
        #expect(cut.keptAt == nil && cut.claimedLSNs.isEmpty && cut.bytes == 64)
        #expect(try store.write(batch(points: [(4, 4)])).lsn == 4)
    }

    /// With the catalog unreadable, verify cannot tell which segment files are listed: it says so once and never
    /// calls the store's files leftovers that an open would remove; the error names the catalog file.
    @Test func aDamagedCatalogDoesNotMakeEverySegmentALeftover() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            try store.close()
        }
        let catalog = dir.child("catalog.sqlite")
        try writeFileBytes(catalog, Array(try readFileBytes(catalog).prefix(100)))
        let report = Store.verify(at: dir.path)
        #expect(!report.isClean)
        #expect(!report.notes.contains { $0.detail.contains("the next open removes it") }, "\(report.notes)")
        #expect(report.notes.contains { $0.detail.contains("1 segment files were not checked") }, "\(report.notes)")
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        #expect(error?.description.contains(catalog) == true, "\(String(describing: error))")
    }

    /// A segment file of another size than the catalog recorded — cut short, or another segment copied over it —
    /// stops the open saying so, instead of a trailer error (or, for a whole other file, answers without its points).
    @Test func aSegmentOfTheWrongSizeStopsTheOpen() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            try store.flush()
            try store.write(batch(points: (2..<40).map { (Int64($0), Double($0)) }))
            try store.close()
        }
        let segments = try files(dir.child("segments"), suffix: ".tseg").sorted()
        #expect(segments.count == 2)
        let first = try readFileBytes(segments[0]), second = try readFileBytes(segments[1])
        try writeFileBytes(segments[1], first)
        let swapped = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        #expect(swapped?.description.contains("where the catalog recorded \(second.count): it is not the file the catalog describes") == true,
                "\(String(describing: swapped))")
        try writeFileBytes(segments[1], Array(second.dropLast(7)))
        let cut = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path, options: StoreOptions(readOnly: true)) }
        #expect(cut?.description.contains("it was cut short") == true, "\(String(describing: cut))")
    }

    @Test func everyFlippedByteOfASegmentIsDetected() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "flip"))
            let a = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "a"]))
            let c = b.addSeries(SeriesKey(metric: "check", labels: ["dataset": "a"]), kind: .check)
            for i in 0..<40 {
                b.append(series: a, time: Int64(i) * 3_600_000, value: Double(1000 + i * 3))
                b.append(series: c, time: Int64(i) * 3_600_000, value: i % 9 == 0 ? nil : 0.25 * Double(i),
                         outcome: i % 5 == 0 ? .fail : .pass)
            }
            try store.write(b)
            try store.close()
        }
        #expect(Store.verify(at: dir.path).isClean)
        let segment = try #require(try files(dir.child("segments"), suffix: ".tseg").first)
        let original = try readFileBytes(segment)
        var missed: [Int] = []
        for position in original.indices {
            var damaged = original
            damaged[position] ^= 0x01
            try writeFileBytes(segment, damaged)
            let report = Store.verify(at: dir.path)
            if !report.problems.contains(where: { $0.path == segment }) { missed.append(position) }
        }
        try writeFileBytes(segment, original)
        #expect(missed.isEmpty, "undetected flips at \(missed.prefix(10))")
        #expect(Store.verify(at: dir.path).isClean)
    }

    /// An open handle reads block metadata from the footer again for each read: a footer byte changed after the
    /// open must fail the read of the series whose entry holds it (naming the file, the series and saying it
    /// changed), never answer with it.
    @Test func everyFooterByteChangedUnderAnOpenHandleFailsTheRead() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "footer"))
            for d in 0..<3 {
                let s = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "d\(d)"]))
                for i in 0..<30 { b.append(series: s, time: Int64(i) * 60_000, value: Double(d * 100 + i)) }
            }
            try store.write(b)
            try store.close()
        }
        let segment = try #require(try files(dir.child("segments"), suffix: ".tseg").first)
        let original = try readFileBytes(segment)
        let trailer = Array(original.suffix(24))
        let footerStart = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
        let footerEnd = original.count - 24
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let series = reader.series(matching: .all)
        #expect(series.count == 3)
        let expected = try series.map { try reader.read($0.id) }
        var unnoticed: [Int] = []
        var wrong: [String] = []
        // The first bytes are the footer's series count, which no read needs again.
        for position in (footerStart + 1)..<footerEnd {
            var damaged = original
            damaged[position] ^= 0x10
            try writeFileBytes(segment, damaged)
            var failed = 0
            for (k, info) in series.enumerated() {
                do throws(StoreError) {
                    let got = try reader.read(info.id)
                    if got.times != expected[k].times || got.values != expected[k].values { wrong.append("\(position)") }
                } catch {
                    failed += 1
                    let text = error.description
                    if !text.contains(segment) || !text.contains("changed since it was opened")
                        || !text.contains("reading series \(info.key)") {
                        wrong.append("\(position): \(error)")
                    }
                }
            }
            if failed != 1 { unnoticed.append(position) }
        }
        try writeFileBytes(segment, original)
        #expect(unnoticed.isEmpty, "changed footer bytes not failing exactly one series' read: \(unnoticed.prefix(10))")
        #expect(wrong.isEmpty, "\(wrong.prefix(5))")
        #expect(try reader.read(series[0].id).count == 30)
    }

    /// A read of a time range reads the footers of the segments that span it and no others: with one month's footer
    /// changed under an open handle, a read of the other month (and the block statistics a plan asks for there)
    /// still answers, while a read of everything fails.
    @Test func aReadOfOneMonthReadsOnlyThatMonthsFooter() throws {
        let dir = TemporaryDirectory()
        let january: Int64 = 1_704_067_200_000, march: Int64 = 1_709_251_200_000, day: Int64 = 86_400_000
        do {
            let store = try Store.open(at: dir.path)
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "months"))
            let s = b.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "orders"]))
            for start in [january, march] {
                for i in 0..<10 { b.append(series: s, time: start + Int64(i) * day, value: Double(i)) }
            }
            try store.write(b)
            try store.close()
        }
        let segments = try files(dir.child("segments"), suffix: ".tseg")
        #expect(segments.count == 2, "one segment per month")
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let id = try #require(reader.series(matching: .all).first).id
        let months = [TimeRange(from: january, to: january + 31 * day), TimeRange(from: march, to: march + 31 * day)]
        var failures: [String] = []
        for segment in segments {
            let original = try readFileBytes(segment)
            let trailer = Array(original.suffix(24))
            let footerStart = Int(trailer[0]) | Int(trailer[1]) << 8 | Int(trailer[2]) << 16 | Int(trailer[3]) << 24
            // Every byte of the footer after its series count, in turn.
            for position in (footerStart + 1)..<(original.count - 24) {
                var damaged = original
                damaged[position] ^= 0x10
                try writeFileBytes(segment, damaged)
                var answered = 0
                for range in months {
                    do throws(StoreError) {
                        let points = try reader.read(id, in: range)
                        let blocks = try reader.blocks(of: id, in: range)
                        guard points.count == 10, blocks.blocks.count == 1, blocks.exclusive else {
                            failures.append("\(position): wrong answer"); continue
                        }
                        answered += 1
                    } catch {
                        let text = error.description
                        if !text.contains(segment) || !text.contains(#"reading series row_count{dataset="orders"}"#) {
                            failures.append("\(position): \(error)")
                        }
                    }
                }
                if answered != 1 { failures.append("\(position): \(answered) months answered") }
                #expect(throws: StoreError.self) { _ = try reader.read(id) }
            }
            try writeFileBytes(segment, original)
        }
        #expect(failures.isEmpty, "\(failures.prefix(3))")
    }

    /// A block damaged after the open fails the reads of its series (`read`, a plan's `BlockHandle`), a
    /// compaction and `verify`, each error naming the file, the block's offset and the series; the other series
    /// still read.
    @Test func aDamagedBlockNamesItsSeries() throws {
        let dir = TemporaryDirectory()
        let keys = (0..<3).map { SeriesKey(metric: "row_count", labels: ["dataset": "d\($0)", "zone": "eu"]) }
        // Two flushes into one month: two segments, which a compaction merges.
        for half in 0..<2 {
            let store = try Store.open(at: dir.path)
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "blocks"))
            for key in keys {
                let s = b.addSeries(key)
                for i in 0..<20 { b.append(series: s, time: Int64(half * 20 + i) * 60_000, value: Double(i)) }
            }
            try store.write(b)
            try store.close()
        }
        let reader = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let damaged = try #require(reader.series(key: keys[1]))
        let handle = try #require(try reader.blocks(of: damaged.id, in: .all).blocks.first)
        let segments = try files(dir.child("segments"), suffix: ".tseg")
        #expect(segments.count == 2)
        // Flip a byte in the middle of the handle's block, in whichever segment holds it.
        var restore: (path: String, bytes: [UInt8])?
        for path in segments where restore == nil {
            let bytes = try readFileBytes(path)
            var changed = bytes
            changed[handle.meta.offset + handle.meta.length / 2] ^= 0x20
            try writeFileBytes(path, changed)
            if (try? handle.read()) == nil { restore = (path, bytes) } else { try writeFileBytes(path, bytes) }
        }
        let (segment, original) = try #require(restore)
        let name = #"row_count{dataset="d1", zone="eu"}"#
        #expect(keys[1].description == name)
        func expectNamed(_ error: (any Error)?, _ what: String) {
            let text = error.map { "\($0)" } ?? "no error"
            #expect(text.contains("\(segment): damaged at offset") && text.contains("; reading series \(name)"),
                    "\(what): \(text)")
        }
        expectNamed(#expect(throws: StoreError.self) { _ = try reader.read(damaged.id) }, "read")
        expectNamed(#expect(throws: StoreError.self) { _ = try handle.read() }, "block handle")
        #expect(try reader.read(reader.series(key: keys[0])!.id).count == 40)
        let report = Store.verify(at: dir.path)
        #expect(!report.problems.isEmpty)
        #expect(report.problems.allSatisfy { $0.path == segment && $0.detail.hasSuffix("; reading series \(name)") },
                "\(report.problems)")
        let writer = try Store.open(at: dir.path)
        expectNamed(#expect(throws: StoreError.self) { try writer.compact() }, "compaction")
        try writer.close()
        try writeFileBytes(segment, original)
        #expect(Store.verify(at: dir.path).isClean)
    }

    @Test func truncatedSegmentIsAnErrorNotACrash() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: (0..<100).map { (Int64($0), Double($0)) }))
            try store.close()
        }
        let segment = try #require(try files(dir.child("segments"), suffix: ".tseg").first)
        let original = try readFileBytes(segment)
        for cut in stride(from: 0, to: original.count, by: 7) {
            try writeFileBytes(segment, Array(original.prefix(cut)))
            #expect(!Store.verify(at: dir.path).isClean)
            #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        }
    }

    @Test func unknownSegmentVersionIsRefusedClearly() throws {
        let dir = TemporaryDirectory()
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            try store.close()
        }
        let segment = try #require(try files(dir.child("segments"), suffix: ".tseg").first)
        var bytes = try readFileBytes(segment)
        bytes[4] = 99
        // Re-seal the header checksum so only the version is wrong.
        let crc = CRC32C.checksum(Array(bytes[0..<8]))
        withUnsafeBytes(of: crc.littleEndian) { for i in 0..<4 { bytes[8 + i] = $0[i] } }
        try writeFileBytes(segment, bytes)
        let error = #expect(throws: StoreError.self) { _ = try Store.open(at: dir.path) }
        guard case .unsupportedVersion(_, let found, _)? = error else {
            Issue.record("expected an unsupported version error, got \(String(describing: error))")
            return
        }
        #expect(found == 99)
        #expect(error?.description.contains("newer than this Tally supports") == true)
    }
}
