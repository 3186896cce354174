import Testing
import TallyStorage
import TallyTestSupport

@Suite("Every byte of the WAL and the document log: flips and truncations are detected")
struct ExhaustiveDamageTests {
    /// A store with three unflushed batches (one WAL file) and three kept documents.
    func store(_ dir: TemporaryDirectory) throws -> (wal: String, documents: String) {
        do {
            let store = try Store.open(at: dir.path)
            for i in 1...3 {
                var b = batch(points: [(Int64(i), Double(i) * 1.5)])
                b.origin.setDetail(BatchOrigin.contentHashKey, "h\(i)")
                try store.write(b, document: (kind: "test", bytes: Array("{\"scan\": \(i), \"rows\": [1, 2, 3]}".utf8)))
            }
            // No close: the points stay in the WAL.
        }
        return (try #require(try files(dir.child("wal"), suffix: ".wal").first),
                try #require(try files(dir.child("documents"), suffix: ".tdoc").first))
    }

    @Test func everyFlippedWALByteIsReported() throws {
        let dir = TemporaryDirectory()
        let (wal, _) = try store(dir)
        let original = try readFileBytes(wal)
        #expect(Store.verify(at: dir.path).isClean)
        var missed: [Int] = []
        for position in original.indices {
            var damaged = original
            damaged[position] ^= 0x20
            try writeFileBytes(wal, damaged)
            if !Store.verify(at: dir.path).problems.contains(where: { $0.path == wal }) { missed.append(position) }
        }
        try writeFileBytes(wal, original)
        #expect(missed.isEmpty, "undetected WAL flips at \(missed.prefix(10))")
    }

    /// Damage anywhere before the last record — its length field included, which once made a record seem to run to
    /// the end of the file, so that it and every acknowledged record after it were cut off as a torn tail — stops
    /// the open for writing and leaves the file as it was. (Only the last record's damage is cut, and kept.)
    @Test func everyFlipBeforeTheLastRecordStopsTheOpen() throws {
        let dir = TemporaryDirectory()
        let (wal, _) = try store(dir)
        let original = try readFileBytes(wal)
        let starts = walRecordStarts(original)
        #expect(starts.count == 3)
        var dropped: [Int] = []
        for position in 12..<starts[2] {
            var damaged = original
            damaged[position] ^= 0x20
            try writeFileBytes(wal, damaged)
            do {
                _ = try Store.open(at: dir.path)
                dropped.append(position)
            } catch {
                guard case .corrupt = error else { Issue.record("\(position): \(error)"); continue }
                if try readFileBytes(wal) != damaged { dropped.append(position) }
            }
        }
        try writeFileBytes(wal, original)
        #expect(dropped.isEmpty, "flips before the last record that did not stop the open: \(dropped.prefix(10))")
    }

    /// A cut exactly between two records leaves a valid, shorter WAL: nothing in the file can tell (docs/format/wal.md
    /// says so). Every other cut is reported.
    @Test func everyTruncationInsideAHeaderOrRecordIsReported() throws {
        let dir = TemporaryDirectory()
        let (wal, _) = try store(dir)
        let original = try readFileBytes(wal)
        var boundaries: Set<Int> = [12]
        var offset = 12
        while offset + 8 <= original.count {
            let length = Int(original[offset]) | Int(original[offset + 1]) << 8 | Int(original[offset + 2]) << 16 | Int(original[offset + 3]) << 24
            offset += 8 + length
            boundaries.insert(offset)
        }
        #expect(boundaries.count == 4)
        for cut in 0..<original.count where !boundaries.contains(cut) {
            try writeFileBytes(wal, Array(original.prefix(cut)))
            #expect(!Store.verify(at: dir.path).isClean, "a cut at \(cut) went unnoticed")
        }
        try writeFileBytes(wal, original)
    }

    @Test func everyFlippedDocumentByteIsReported() throws {
        let dir = TemporaryDirectory()
        let (_, documents) = try store(dir)
        let original = try readFileBytes(documents)
        var missed: [Int] = []
        for position in original.indices {
            var damaged = original
            damaged[position] ^= 0x20
            try writeFileBytes(documents, damaged)
            if !Store.verify(at: dir.path).problems.contains(where: { $0.path == documents }) { missed.append(position) }
        }
        try writeFileBytes(documents, original)
        #expect(missed.isEmpty, "undetected document-log flips at \(missed.prefix(10))")
        #expect(Store.verify(at: dir.path).isClean)
    }
}
