import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("WAL replay after a real SIGKILL")
struct CrashTests {
    /// Starts the crash writer, lets it acknowledge some batches, kills it with SIGKILL, and returns the
    /// highest acknowledged batch number.
    mutating func runAndKill(store: String, after acks: Int, extra: [String] = []) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tallyBinary)
        process.arguments = ["_crash-writer", "--store", store, "--series", "7"] + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var lines = LineStream(out.fileHandleForReading)
        var lastAck = -1
        var seen = 0
        var retained = -1
        while seen < acks, let line = lines.next() {
            if line.hasPrefix("ack "), let i = Int(line.dropFirst(4)) { lastAck = i; seen += 1 }
            if line.hasPrefix("retained "), let i = Int(line.dropFirst(9)) { retained = max(retained, i) }
            if line.hasPrefix("deleted "), let i = Int(line.dropFirst(8)) { deleted.insert(i) }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Acks printed before the kill but not yet read still count as acknowledged.
        for line in lines.rest() {
            if line.hasPrefix("ack ") { lastAck = max(lastAck, Int(line.dropFirst(4)) ?? lastAck) }
            if line.hasPrefix("retained "), let i = Int(line.dropFirst(9)) { retained = max(retained, i) }
            if line.hasPrefix("deleted "), let i = Int(line.dropFirst(8)) { deleted.insert(i) }
        }
        lastRetained = max(lastRetained, retained)
        return lastAck
    }

    /// The highest cutoff a retention run finished with (points before it may be gone).
    nonisolated(unsafe) var lastRetained = -1
    /// The batches a delete finished removing.
    nonisolated(unsafe) var deleted = Set<Int>()

    @Test(arguments: [(25, 0), (60, 10), (40, 7)])
    mutating func acknowledgedBatchesSurviveAKill(acks: Int, flushEvery: Int) throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        var acknowledged = -1
        for round in 0..<3 {
            let last = try runAndKill(store: store, after: acks + round * 5, extra: ["--flush-every", "\(flushEvery)"])
            #expect(last > acknowledged)
            acknowledged = last
            #expect(Store.verify(at: store).problems.allSatisfy { $0.detail.contains("never acknowledged") })
        }
        let db = try Store.open(at: store)
        #expect(Store.verify(at: store).isClean)
        var present = -1
        for k in 0..<7 {
            let info = try #require(db.series(key: SeriesKey(metric: "crash_metric", labels: ["series": "s\(k)"])))
            let points = try db.read(info.id)
            // Every batch up to the last present one is there, exactly once, with its values.
            #expect(points.times == (0..<Int64(points.count)).map { $0 })
            for (i, v) in points.values.enumerated() { #expect(v == Double(i * 1000 + k)) }
            if k == 0 { present = points.count - 1 } else { #expect(points.count - 1 == present, "batch cut in half") }
        }
        #expect(present >= acknowledged)
    }
}

@Suite("Lifecycle operations under a real SIGKILL")
struct LifecycleCrashTests {
    @Test(arguments: [["--flush-every", "3", "--compact-every", "7"], ["--flush-every", "4", "--retain-every", "9", "--keep", "5"]])
    func storeOpensVerifiesAndKeepsWhatWasNotDeleted(options: [String]) throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        var runner = CrashTests()
        var acknowledged = -1
        for round in 0..<4 {
            let last = try runner.runAndKill(store: store, after: 30 + round * 11, extra: options)
            #expect(last > acknowledged)
            acknowledged = last
        }
        let db = try Store.open(at: store)
        #expect(Store.verify(at: store).isClean)
        for k in 0..<7 {
            let info = try #require(db.series(key: SeriesKey(metric: "crash_metric", labels: ["series": "s\(k)"])))
            let points = try db.read(info.id)
            let times = points.times.map { Int($0) }
            // What remains is a run of consecutive batches ending at or after the last acknowledged one;
            // retention may only have removed batches before its cutoff.
            #expect((times.last ?? -1) >= acknowledged)
            #expect(times == Array((times.first ?? 0)...(times.last ?? -1)))
            #expect((times.first ?? 0) <= max(0, runner.lastRetained))
            for (t, v) in zip(points.times, points.values) { #expect(v == Double(Int(t) * 1000 + k)) }
        }
    }
}

@Suite("Deleting batches under a real SIGKILL")
struct DeleteCrashTests {
    @Test func aBatchIsDeletedWholeOrNotAtAll() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        var runner = CrashTests()
        var acknowledged = -1
        let every = 5
        for round in 0..<4 {
            acknowledged = try runner.runAndKill(store: store, after: 25 + round * 7,
                                                 extra: ["--flush-every", "4", "--delete-every", "\(every)"])
        }
        let db = try Store.open(at: store)
        #expect(Store.verify(at: store).isClean)
        // Batches that a delete may have removed: 3 before each multiple of `every` (a run restarts its count
        // after the batches already stored, so any batch can be a candidate): only finished deletes are known.
        var present: Set<Int>?
        for k in 0..<7 {
            let info = try #require(db.series(key: SeriesKey(metric: "crash_metric", labels: ["series": "s\(k)"])))
            let points = try db.read(info.id)
            let times = Set(points.times.map { Int($0) })
            if let present { #expect(times == present, "a batch is half deleted") } else { present = times }
            for (t, v) in zip(points.times, points.values) { #expect(v == Double(Int(t) * 1000 + k)) }
        }
        let kept = try #require(present)
        #expect(!runner.deleted.isEmpty, "no delete finished: the test proved nothing")
        #expect(kept.isDisjoint(with: runner.deleted), "a finished delete came back")
        let missing = Set(0...acknowledged).subtracting(kept).subtracting(runner.deleted)
        // At most the deletes cut short by each kill (one per run) are unaccounted for.
        #expect(missing.count <= 4, "acknowledged batches lost: \(missing.sorted())")
    }
}
