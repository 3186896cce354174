import Dispatch
extension Store {
    /// Turns the head into segment files and registers them, then drops the WAL they cover.
    public func flush() throws(StoreError) {
        try writer.withLock { (w: inout WriterState?) throws(StoreError) in
            guard var current = w else { throw readOnlyOrClosed() }
            try flushLocked(&current)
            w = current
        }
    }

    /// The flush, with the writer lock held.
    func flushLocked(_ w: inout WriterState) throws(StoreError) {
        let (head, pending, lastLSN, kinds) = state.withLock { s in
            let kinds = Dictionary(uniqueKeysWithValues: s.head.seriesIDs.map { ($0, s.index.kind(of: $0)) })
            return (s.head, s.pending, s.nextLSN - 1, kinds)
        }
        if head.isEmpty && pending.isEmpty { return }
        let perSeries = head.pointsBySeries().map { ($0.id, kinds[$0.id]!, $0.points) }
        let written = try writeSegments(perSeries, level: 0)
        do throws(StoreError) {
            try catalog.db.transaction { () throws(StoreError) in
                try Store.applyPending(pending, to: catalog)
                for (record, _) in written { try catalog.insertSegment(record) }
                try catalog.setMeta("flushed_lsn", "\(lastLSN)")
            }
        } catch {
            for (record, _) in written { try? Directory.remove(segmentDirectory + "/" + record.file) }
            throw error
        }
        state.withLock { s in
            for (record, opened) in written { s.addSegment(record, opened) }
            s.head = Head()
            s.pending = PendingCatalog()
        }
        // The catalog now holds everything up to lastLSN: start a new WAL file and drop the old ones.
        let oldFiles: [String]
        do throws(IOError) {
            oldFiles = try Directory.list(walDirectory).filter { $0.hasSuffix(".wal") }
            try w.wal.rotate(firstLSN: lastLSN + 1)
        } catch {
            // The data is safe in segments; replay skips records at or below the flushed LSN.
            throw .io(error)
        }
        let current = WALWriter.fileName(firstLSN: lastLSN + 1)
        for name in oldFiles where name != current { try? Directory.remove(walDirectory + "/" + name) }
    }

    /// Writes series (ascending ids, sorted points) into one segment file per UTC month they touch.
    func writeSegments(_ series: [(SeriesID, SeriesKind, PointColumns)], level: Int)
        throws(StoreError) -> [(SegmentRecord, SegmentReader.Opened)]
    {
        try writeSegments(series.map { SeriesPoints(id: $0.0, kind: $0.1, columns: $0.2, range: 0..<$0.2.count) },
                          level: level)
    }

    /// Writes series (ascending ids; each range sorted by time, one point per time) into one segment file per UTC
    /// month they touch, encoding and syncing the months on all cores.
    func writeSegments(_ series: [SeriesPoints], level: Int) throws(StoreError) -> [(SegmentRecord, SegmentReader.Opened)] {
        var partitions: [Int64: [SeriesPoints]] = [:]
        for run in series where !run.range.isEmpty {
            let times = run.columns.times
            var start = run.range.lowerBound
            while start < run.range.upperBound {
                let month = CivilCalendar.monthIndex(ofMillis: times[start])
                let next = CivilCalendar.startOfMonth(index: month + 1)
                var end = times[start..<run.range.upperBound].partitionPoint { $0 < next }
                if end == start { end = start + 1 }
                partitions[month, default: []].append(
                    SeriesPoints(id: run.id, kind: run.kind, columns: run.columns, range: start..<end,
                                 uniformLSN: run.uniformLSN))
                start = end
            }
        }
        // One segment file per month. The encoding is spread over the cores in pieces of about `piecePoints`
        // points (one month often holds most of an import). Pieces are written to their month's file in order as
        // soon as they and the pieces before them are encoded, by whichever thread finds them ready, so the
        // writing overlaps the encoding; then the months' files are synced side by side.
        let months = partitions.keys.sorted()
        let piecePoints = 200_000
        var pieces: [(month: Int, runs: ArraySlice<SeriesPoints>)] = []
        for (k, month) in months.enumerated() {
            let runs = partitions[month]!
            var start = 0, points = 0
            for i in runs.indices {
                points += runs[i].range.count
                if points >= piecePoints || i == runs.count - 1 {
                    pieces.append((k, runs[start...i]))
                    start = i + 1
                    points = 0
                }
            }
        }
        var piecesOfMonth = [[Int]](repeating: [], count: months.count)
        for (j, piece) in pieces.enumerated() { piecesOfMonth[piece.month].append(j) }
        var outputs: [SegmentOutput] = []
        do throws(StoreError) {
            for _ in months { outputs.append(try SegmentOutput(store: self, level: level)) }
        } catch {
            for output in outputs { output.discard() }
            throw error
        }
        let pipeline = Locked(SegmentPipeline(pieces: pieces.count, months: months.count))
        var encoded = [EncodedSeries](repeating: EncodedSeries(), count: pieces.count)
        encoded.withUnsafeMutableBufferPointer { slots in
            outputs.withUnsafeMutableBufferPointer { files in
                nonisolated(unsafe) let slots = slots, files = files
                let pieces = pieces, piecesOfMonth = piecesOfMonth
                DispatchQueue.concurrentPerform(iterations: pieces.count) { j in
                    slots[j] = EncodedSeries.encode(pieces[j].runs)
                    var work = pipeline.withLock { $0.ready(j, piecesOfMonth: piecesOfMonth) }
                    while !work.isEmpty {
                        var failure: StoreError?
                        for (k, piece) in work {
                            do throws(StoreError) {
                                try files[k].append(slots[piece])
                            } catch {
                                failure = error
                            }
                            slots[piece] = EncodedSeries()   // free each piece once it is in the file's buffer
                        }
                        work = pipeline.withLock { $0.next(piecesOfMonth: piecesOfMonth, failure: failure) }
                    }
                }
            }
        }
        if let failure = pipeline.withLock({ $0.failure }) {
            for output in outputs { output.discard() }
            throw failure
        }
        var finished = [Result<(SegmentRecord, SegmentReader.Opened), StoreError>?](repeating: nil, count: months.count)
        finished.withUnsafeMutableBufferPointer { slots in
            outputs.withUnsafeMutableBufferPointer { files in
                nonisolated(unsafe) let slots = slots, files = files
                let finishMonth: @Sendable (Int) -> Void = { k in
                    slots[k] = Result { () throws(StoreError) -> (SegmentRecord, SegmentReader.Opened) in try files[k].finish() }
                }
                if months.count == 1 { finishMonth(0) } else { DispatchQueue.concurrentPerform(iterations: months.count, execute: finishMonth) }
            }
        }
        var results: [(SegmentRecord, SegmentReader.Opened)] = []
        var firstError: StoreError?
        for outcome in finished {
            switch outcome! {
            case .success(let written): results.append(written)
            case .failure(let error): firstError = firstError ?? error
            }
        }
        if let firstError {
            for (record, _) in results { try? Directory.remove(segmentDirectory + "/" + record.file) }
            throw firstError
        }
        return results
    }

    /// A new segment id, never handed out before (flushes, imports and compactions may run side by side).
    func allocateSegmentID() -> UInt64 {
        state.withLock { s in
            let id = s.nextSegmentID
            s.nextSegmentID += 1
            return id
        }
    }

    func segmentFileName(_ id: UInt64) -> String {
        let hex = String(id, radix: 16)
        return String(repeating: "0", count: max(0, 16 - hex.count)) + hex + ".tseg"
    }
}

/// Points `range` of `columns`, as one series: several series may share one set of columns.
struct SeriesPoints: Sendable {
    let id: SeriesID
    let kind: SeriesKind
    let columns: PointColumns
    let range: Range<Int>
    /// Set when every point has this LSN (a bulk import): `columns.lsns` is then empty, not a column of copies.
    var uniformLSN: LSN? = nil
}

/// Which encoded pieces of a segment write are ready and which are written: one thread at a time writes the
/// pieces that are next in their month's file and ready; a piece that becomes ready meanwhile is picked up by that
/// thread's next look, or, when no thread is writing, by the thread that finished it.
struct SegmentPipeline {
    private var isReady: [Bool]
    /// Per month, how many of its pieces are handed out for writing.
    private var handedOut: [Int]
    private var writing = false
    private(set) var failure: StoreError?

    init(pieces: Int, months: Int) {
        isReady = [Bool](repeating: false, count: pieces)
        handedOut = [Int](repeating: 0, count: months)
    }

    /// Notes that piece `j` is encoded; returns the pieces the caller should now write (empty when another thread
    /// is writing, or nothing is next).
    mutating func ready(_ j: Int, piecesOfMonth: [[Int]]) -> [(month: Int, piece: Int)] {
        isReady[j] = true
        if writing { return [] }
        writing = true
        return next(piecesOfMonth: piecesOfMonth, failure: nil)
    }

    /// Called by the writing thread after writing what it was given: the next pieces to write, or empty (and the
    /// thread stops being the writer).
    mutating func next(piecesOfMonth: [[Int]], failure: StoreError?) -> [(month: Int, piece: Int)] {
        if let failure, self.failure == nil { self.failure = failure }
        var work: [(month: Int, piece: Int)] = []
        if self.failure == nil {
            for k in piecesOfMonth.indices {
                while handedOut[k] < piecesOfMonth[k].count && isReady[piecesOfMonth[k][handedOut[k]]] {
                    work.append((k, piecesOfMonth[k][handedOut[k]]))
                    handedOut[k] += 1
                }
            }
        }
        if work.isEmpty { writing = false }
        return work
    }
}

/// One segment file being written: a temporary file that becomes `segments/<id>.tseg` when finished.
struct SegmentOutput {
    let store: Store
    let id: UInt64
    let name: String
    let temporary: String
    let level: Int
    var writer: SegmentWriter

    init(store: Store, level: Int) throws(StoreError) {
        self.store = store
        self.level = level
        id = store.allocateSegmentID()
        name = store.segmentFileName(id)
        temporary = store.segmentDirectory + "/" + name + ".tmp"
        do { writer = try SegmentWriter(path: temporary) } catch { throw .io(error) }
    }

    var pointCount: Int { writer.pointCount }

    mutating func add(series: SeriesID, kind: SeriesKind, columns: PointColumns) throws(StoreError) {
        do throws(IOError) {
            try writer.add(series: series, kind: kind, columns: columns)
        } catch {
            try? Directory.remove(temporary)
            throw .io(error)
        }
    }

    mutating func append(_ encoded: EncodedSeries) throws(StoreError) {
        do throws(IOError) {
            try writer.append(encoded)
        } catch {
            try? Directory.remove(temporary)
            throw .io(error)
        }
    }

    /// Removes the temporary file (a write that failed elsewhere).
    func discard() {
        try? Directory.remove(temporary)
    }

    /// Syncs the file, renames it into place (syncing the directory) and opens it for reading.
    mutating func finish() throws(StoreError) -> (SegmentRecord, SegmentReader.Opened) {
        let final = store.segmentDirectory + "/" + name
        let bytes: Int
        do throws(IOError) {
            bytes = try writer.finish()
            try Directory.renameDurably(temporary, final, directory: store.segmentDirectory)
        } catch {
            try? Directory.remove(temporary)
            try? Directory.remove(final)
            throw .io(error)
        }
        let record = SegmentRecord(
            id: id, file: name, minTime: writer.minTime, maxTime: writer.maxTime, minLSN: writer.minLSN,
            maxLSN: writer.maxLSN, seriesCount: writer.seriesCount, pointCount: writer.pointCount,
            bytes: bytes, level: level)
        do throws(StoreError) {
            return (record, try SegmentReader.open(path: final, id: id))
        } catch {
            try? Directory.remove(final)
            throw error
        }
    }
}

