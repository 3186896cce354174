#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import Testing
import TallyStorage
import TallyTestSupport

/// Faults are injected only for paths inside one test's directory, so tests running in parallel are unaffected.
final class FaultPlan: Sendable {
    let directory: String
    let rule = Mutex<(@Sendable (SystemCall, String) -> InjectedFault?)?>(nil)

    init(directory: String) {
        self.directory = directory
        let prefix = directory
        SystemCalls.setFaultHook { [weak self] call, path in
            guard path.hasPrefix(prefix), let self else { return nil }
            return self.rule.withLock { $0 }?(call, path)
        }
    }

    func fail(_ rule: (@Sendable (SystemCall, String) -> InjectedFault?)?) {
        self.rule.withLock { $0 = rule }
    }
}

@Suite("Injected system-call faults", .serialized)
struct FaultInjectionTests {
    @Test func walWriteFailureAcknowledgesNothingAndWritingContinues() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1)]))
        // A short write, then ENOSPC.
        plan.fail { call, path in
            call == .write && path.hasSuffix(".wal") ? InjectedFault(errno: ENOSPC, bytesBeforeFailure: 10) : nil
        }
        let error = #expect(throws: StoreError.self) { try store.write(batch(points: [(2, 2)])) }
        #expect(error?.description.contains("No space left on device") == true)
        #expect(error?.description.contains(".wal") == true)
        #expect(same(try pairs(store), [(1, 1)]))
        // A failed fdatasync is a failed write too.
        plan.fail { call, path in call == .fsync && path.hasSuffix(".wal") ? InjectedFault(errno: EIO) : nil }
        #expect(throws: StoreError.self) { try store.write(batch(points: [(3, 3)])) }
        #expect(same(try pairs(store), [(1, 1)]))
        // The fault clears: writing continues, and the WAL holds no partial record. The failed writes' LSNs (2 and
        // 3) are not given again: a client may have logged them with the errors.
        plan.fail(nil)
        #expect(try store.write(batch(points: [(4, 4)])).lsn == 4)
        #expect(Store.verify(at: dir.path).isClean)
        try store.close()
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (4, 4)]))
    }

    /// An LSN a failed write burnt leaves a gap in the WAL file with no damage around it: a repair of damage elsewhere
    /// in the file does not name it as a lost batch.
    @Test func aRepairDoesNotTakeABurntLSNForALostBatch() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(points: [(1, 1)]))
            plan.fail { call, path in call == .fsync && path.hasSuffix(".wal") ? InjectedFault(errno: EIO) : nil }
            #expect(throws: StoreError.self) { try store.write(batch(points: [(2, 2)])) }
            plan.fail(nil)
            #expect(try store.write(batch(points: [(3, 3)])).lsn == 3)
            #expect(try store.write(batch(points: [(4, 4)])).lsn == 4)
        }
        let wal = try #require(try files(dir.child("wal"), suffix: ".wal").first)
        var bytes = try readFileBytes(wal)
        bytes[bytes.count - 3] ^= 0x01   // the last record (batch 4), which no later write follows
        try writeFileBytes(wal, bytes)
        let report = try Store.repair(at: dir.path)
        let finding = try #require(report.findings.first { $0.path == wal })
        #expect(finding.detail.contains("no batch can be named"), "\(finding.detail)")
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (3, 3)]))
    }

    /// A batch whose WAL write fails leaves nothing behind, not even the ids its new series were given: the same
    /// batch sent again creates them (a scanner resends the same list of series).
    @Test func failedWriteLeavesNoResolvedSeries() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        let store = try Store.open(at: dir.path)
        try store.write(batch("rows", points: [(1, 1)]))
        let scan = batch("new_metric", points: [(2, 2)])
        plan.fail { call, path in call == .fsync && path.hasSuffix(".wal") ? InjectedFault(errno: EIO) : nil }
        #expect(throws: StoreError.self) { try store.write(scan) }
        #expect(store.series(key: SeriesKey(metric: "new_metric", labels: ["dataset": "orders"])) == nil)
        plan.fail(nil)
        #expect(try store.write(scan).newSeriesCount == 1)
        #expect(same(try pairs(store, "new_metric"), [(2, 2)]))
        try store.close()
        let reopened = try Store.open(at: dir.path)
        #expect(same(try pairs(reopened, "new_metric"), [(2, 2)]))
        #expect(reopened.series().count == 2)
    }

    /// A large import is encoded in pieces that are written while others are still being encoded: a write that
    /// fails partway leaves no segment file and no series behind, and the same import then succeeds.
    @Test func importWriteFailurePartwayLeavesNothing() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        let store = try Store.open(at: dir.path)
        // 40 series × 20,000 points a minute apart (about two weeks each, across a month boundary): many pieces.
        let start: Int64 = 1_706_000_000_000
        var keys: [SeriesKey] = [], counts: [Int] = [], times: [Int64] = [], values: [Double] = []
        for s in 0..<40 {
            keys.append(SeriesKey(metric: "rows", labels: ["table": "t\(s)"]))
            counts.append(20_000)
            for i in 0..<20_000 {
                times.append(start + Int64(i) * 60_000)
                // Full-precision values (about 7 bytes a point): the big month's file is drained to disk while
                // later pieces are still being encoded.
                var h = UInt64(s * 1_000_003 + i) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                values.append(Double(bitPattern: 0x3FF0_0000_0000_0000 | (h & 0x000F_FFFF_FFFF_FFFF)))
            }
        }
        let batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "big", wallTime: 0), series: keys,
                               pointCounts: counts, times: times, columnValues: values)
        let writes = Locked(0)
        plan.fail { call, path in
            guard call == .write, path.contains("/segments/") else { return nil }
            return writes.withLock { n in
                n += 1
                return n == 1 ? InjectedFault(errno: EIO) : nil   // the first drain, while pieces are being encoded
            }
        }
        #expect(throws: StoreError.self) { try store.importBulk(batch) }
        #expect(try Directory.list(dir.child("segments")).isEmpty, "no segment file is left behind")
        #expect(store.series().isEmpty)
        #expect(writes.withLock { $0 } >= 1, "the fault was reached")
        plan.fail(nil)
        try store.importBulk(batch)
        #expect(store.series().count == 40)
        // Every piece landed in order: each series reads back exactly as given.
        for s in [0, 17, 39] {
            let read = try pairs(store, "rows", labels: ["table": "t\(s)"])
            let given = (0..<20_000).map { (times[s * 20_000 + $0], Optional(values[s * 20_000 + $0])) }
            #expect(same(read, given), "series t\(s)")
        }
        #expect(store.stats().segments == 2, "one file per month")
        try store.close()
        #expect(Store.verify(at: dir.path).isClean)
    }

    @Test func flushFailureKeepsEverythingReadableAndRetries() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        let store = try Store.open(at: dir.path)
        try store.write(batch(points: [(1, 1), (2, 2)]))
        for failing in [SystemCall.rename, .fsync, .write] {
            plan.fail { call, path in call == failing && path.contains("/segments/") ? InjectedFault(errno: EIO) : nil }
            #expect(throws: StoreError.self) { try store.flush() }
            #expect(same(try pairs(store), [(1, 1), (2, 2)]))
            #expect(store.stats().segments == 0)
            #expect(try Directory.list(dir.child("segments")).isEmpty, "a failed flush leaves no files behind")
        }
        plan.fail(nil)
        try store.flush()
        #expect(store.stats().segments == 1)
        try store.write(batch(points: [(3, 3)]))
        try store.close()
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (2, 2), (3, 3)]))
        #expect(Store.verify(at: dir.path).isClean)
    }

    /// A segment read that fails (EIO) is an error naming the file, the offset and the series being read; the read
    /// succeeds again once the fault clears.
    @Test func failedSegmentReadNamesTheSeries() throws {
        let dir = TemporaryDirectory()
        let plan = FaultPlan(directory: dir.path)
        defer { SystemCalls.setFaultHook(nil) }
        do {
            let store = try Store.open(at: dir.path)
            try store.write(batch(labels: ["dataset": "orders", "zone": "eu"], points: [(1, 1), (2, 2)]))
            try store.close()
        }
        let store = try Store.open(at: dir.path, options: StoreOptions(readOnly: true))
        let info = try #require(store.series(matching: .all).first)
        plan.fail { call, path in call == .read && path.hasSuffix(".tseg") ? InjectedFault(errno: EIO) : nil }
        let error = #expect(throws: StoreError.self) { _ = try store.read(info.id) }
        let text = error?.description ?? ""
        #expect(text.contains(#"read for series row_count{dataset="orders", zone="eu"} in "#), "\(text)")
        #expect(text.contains(".tseg at offset") && text.contains("Input/output error"), "\(text)")
        plan.fail(nil)
        #expect(try store.read(info.id).count == 2)
    }
}
