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
        // The fault clears: writing continues, and the WAL holds no partial record.
        plan.fail(nil)
        try store.write(batch(points: [(4, 4)]))
        #expect(Store.verify(at: dir.path).isClean)
        try store.close()
        #expect(same(try pairs(try Store.open(at: dir.path)), [(1, 1), (4, 4)]))
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
}
