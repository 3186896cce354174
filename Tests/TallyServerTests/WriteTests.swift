import Dispatch
import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

#if canImport(Glibc)
import Glibc
#endif

@Suite("group commit, concurrent clients, shutdown", .serialized)
struct WriteTests {
    static func batch(_ name: String, value: Double, time: Int64 = 1_714_550_400_000, hash: String? = nil) -> WriteBatch {
        var details: [String: String] = [:]
        if let hash { details[BatchOrigin.contentHashKey] = hash }
        var batch = WriteBatch(origin: BatchOrigin(kind: "api", source: name, details: details))
        let s = batch.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": name]), attributes: Attributes(["unit": name]))
        batch.append(series: s, time: time, value: value)
        return batch
    }

    @Test("writeGroup: one LSN per batch, new series shared across the group, duplicates and invalid batches alone")
    func writeGroup() throws {
        let dir = TemporaryDirectory("tally-group")
        let store = try Store.open(at: dir.child("s"))
        var invalid = WriteBatch(origin: BatchOrigin(kind: "api", source: "bad"))
        _ = invalid.addSeries(SeriesKey(metric: "9bad", labels: [:]))
        var kindClash = WriteBatch(origin: BatchOrigin(kind: "api", source: "clash"))
        let clash = kindClash.addSeries(SeriesKey(metric: "row_count", labels: ["dataset": "a"]), kind: .check)
        kindClash.append(series: clash, time: 1, value: 1, outcome: .pass)
        let results = store.writeGroup([
            GroupWrite(batch: Self.batch("a", value: 1, hash: "h1")),
            GroupWrite(batch: Self.batch("b", value: 2)),
            GroupWrite(batch: invalid),
            GroupWrite(batch: Self.batch("a", value: 3, time: 1_714_636_800_000)),   // the series "a" created two batches earlier
            GroupWrite(batch: Self.batch("c", value: 4, hash: "h1")),                  // same content hash as the first
            GroupWrite(batch: kindClash),                                              // "a" is a measurement series (made in this group)
            GroupWrite(batch: Self.batch("d", value: 5), document: (kind: "test/doc", bytes: Array("hello".utf8))),
        ])
        let receipts = results.map { try? $0.get() }
        #expect(receipts[0]?.lsn == 1 && receipts[1]?.lsn == 2 && receipts[3]?.lsn == 3 && receipts[6]?.lsn == 4)
        #expect(receipts[0]?.newSeriesCount == 1 && receipts[3]?.newSeriesCount == 0)
        #expect(receipts[4]?.isDuplicate == true && receipts[4]?.lsn == 1)
        if case .failure(.invalid) = results[2] {} else { Issue.record("an invalid batch fails alone: \(results[2])") }
        if case .failure(.invalid) = results[5] {} else { Issue.record("a kind clash with a series of the group fails: \(results[5])") }
        #expect(store.series(matching: .all).count == 3)
        let a = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "a"])))
        #expect(try store.read(a.id).values == [1, 3])
        #expect(String(decoding: try #require(try store.document(ofBatch: 4)).bytes, as: UTF8.self) == "hello")
        // The WAL holds the group as four records: a read-only handle replays them (as an open after a crash
        // would), with the same LSNs, series and documents.
        #expect(try Directory.list(dir.child("s/wal")).count == 1)
        let replayed = try Store.open(at: dir.child("s"), options: StoreOptions(readOnly: true))
        #expect(try replayed.imports().map(\.lsn) == [1, 2, 3, 4])
        #expect(try replayed.read(a.id).values == [1, 3] && replayed.series(matching: .all).count == 3)
        #expect(String(decoding: try #require(try replayed.document(ofBatch: 4)).bytes, as: UTF8.self) == "hello")
        #expect(replayed.batch(withContentHash: "h1") == 1)
        try store.close()
        let reopened = try Store.open(at: dir.child("s"))
        #expect(try reopened.read(a.id).values == [1, 3])
        #expect(try reopened.imports().map(\.lsn) == [1, 2, 3, 4])
        #expect(reopened.batch(withContentHash: "h1") == 1)
        // The next write continues the LSNs.
        #expect(try reopened.write(Self.batch("e", value: 6)).lsn == 5)
        try reopened.close()
        #expect(Store.verify(at: dir.child("s")).problems.isEmpty)
    }

    @Test("tally backup copies a store that tally serve is writing to, and the copy restores with every acknowledged batch")
    func backupWhileServing() async throws {
        let dir = TemporaryDirectory("tally-backup-serving")
        let path = dir.child("s")
        let key = try storeWithWriteKey(at: path)
        let server = try await ServeProcess.start(storePath: path, logPath: dir.child("serve.log"))
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        try await waitUntilHealthy(port: server.port)
        for i in 0..<20 {
            let csv = Array("time,metric,value\n\(1_700_000_000_000 + i * 60_000),row_count,\(i)\n".utf8)
            let answer = try await HTTP.send("POST", port: server.port, path: "/api/v1/ingest",
                                             headers: ["Authorization": "Bearer \(key.token)", "Content-Type": "text/csv"], body: csv)
            #expect(answer.status == 200)
        }
        let backup = try await runProgram(tallyBinary, ["backup", "--store", path, dir.child("b")])
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(backup.stdout.hasPrefix("backed up every batch up to "), "\(backup.stdout)")
        #expect(try await server.terminate() == 0)
        let restore = try await runProgram(tallyBinary, ["restore", dir.child("b"), "--store", dir.child("r")])
        #expect(restore.status == 0 && restore.stdout.contains("verified clean"), "\(restore.stdout)\(restore.stderr)")
        let restored = try Store.open(at: dir.child("r"), options: StoreOptions(readOnly: true))
        let series = try #require(restored.series(matching: .all).first)
        #expect(try restored.read(series.id).values == (0..<20).map(Double.init))
    }

    @Test("a group is replayed from the WAL when the process dies before a flush")
    func groupReplay() async throws {
        let dir = TemporaryDirectory("tally-group-replay")
        let path = dir.child("s")
        // A child process writes a group and is killed without closing the store.
        try Store.open(at: path).close()
        let server = try await ServeProcess.start(storePath: path, logPath: dir.child("serve.log"))
        let port = server.port
        try await waitUntilHealthy(port: port)
        let key = try KeyManager(storePath: path).create(role: .write, name: "w")
        let csv = Array("time,metric,value\n2024-05-01T00:00:00Z,row_count,7\n".utf8)
        let answer = try await HTTP.send("POST", port: port, path: "/api/v1/ingest",
                                         headers: ["Authorization": "Bearer \(key.token)", "Content-Type": "text/csv"], body: csv)
        #expect(answer.status == 200)
        kill(server.process.processIdentifier, SIGKILL)
        server.process.waitUntilExit()
        let store = try Store.open(at: path, options: StoreOptions(readOnly: true))
        let series = try #require(store.series(matching: .all).first)
        #expect(try store.read(series.id).values == [7])
    }

    @Test("the write queue commits every waiting batch with one sync")
    func queueGroups() async throws {
        let dir = TemporaryDirectory("tally-queue")
        let store = try Store.open(at: dir.child("s"))
        let queue = WriteQueue(store: store, maxGroup: 64)
        queue.start()
        queue.hold()
        let results = try await withThrowingTaskGroup(of: Result<WriteReceipt, StoreError>.self) { group in
            for i in 0..<40 {
                group.addTask { await queue.submit(.batch(GroupWrite(batch: Self.batch("t\(i)", value: Double(i))))) }
            }
            // Wait (bounded) until all 40 are queued, then let the writer take them.
            for _ in 0..<500 where queue.waiting < 40 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(queue.waiting == 40)
            queue.release()
            var out: [Result<WriteReceipt, StoreError>] = []
            for try await r in group { out.append(r) }
            return out
        }
        let lsns = results.compactMap { try? $0.get().lsn }.sorted()
        #expect(lsns == Array(1...40))
        let counters = queue.currentCounters
        #expect(counters.commits == 1 && counters.batches == 40 && counters.largestGroup == 40)
        // maxGroup bounds a group.
        queue.hold()
        let more = try await withThrowingTaskGroup(of: Result<WriteReceipt, StoreError>.self) { group in
            for i in 0..<100 {
                group.addTask { await queue.submit(.batch(GroupWrite(batch: Self.batch("u\(i)", value: Double(i))))) }
            }
            for _ in 0..<500 where queue.waiting < 100 { try await Task.sleep(for: .milliseconds(10)) }
            queue.release()
            var n = 0
            for try await r in group where (try? r.get()) != nil { n += 1 }
            return n
        }
        #expect(more == 100)
        #expect(queue.currentCounters.commits == 3 && queue.currentCounters.largestGroup == 64)
        queue.stop()
        if case .failure(.closed) = await queue.submit(.batch(GroupWrite(batch: Self.batch("late", value: 0)))) {} else {
            Issue.record("a stopped queue refuses writes")
        }
        try store.close()
    }

    @Test("concurrent clients: every scan and CSV is stored once, reads go on meanwhile")
    func concurrentClients() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let base = try SodaFixtures.day(5)
        let clients = 12, perClient = 8
        let port = server.port
        let token = server.writeKey.token
        let readToken = server.readKey.token
        let statuses = try await withThrowingTaskGroup(of: [Int].self) { group in
            for c in 0..<clients {
                group.addTask {
                    var out: [Int] = []
                    for i in 0..<perClient {
                        let minute = c * perClient + i
                        let stamp = String(format: "2024-06-01T%02d:%02d:00+00:00", minute / 60, minute % 60)
                        let body: [UInt8]
                        let type: String
                        if i % 2 == 0 {
                            body = try SodaFixtures.retimed(base, dataTimestamp: stamp)
                            type = "application/json"
                        } else {
                            body = Array("time,metric,value,client\n\(stamp.replacingOccurrences(of: "+00:00", with: "Z")),load,\(minute),c\(c)\n".utf8)
                            type = "text/csv"
                        }
                        let r = try await HTTP.send("POST", port: port, path: "/api/v1/ingest",
                                                    headers: ["Authorization": "Bearer \(token)", "Content-Type": type], body: body)
                        out.append(r.status)
                        let q = try await HTTP.send("GET", port: port, path: "/api/v1/query?" + formEncode([("q", "load | last 1")]),
                                                    headers: ["X-API-Key": readToken])
                        out.append(q.status)
                    }
                    return out
                }
            }
            var all: [Int] = []
            for try await s in group { all += s }
            return all
        }
        #expect(statuses.count == clients * perClient * 2)
        #expect(statuses.allSatisfy { $0 == 200 })
        let scans = try #require(try await server.get("/api/v1/scans").json as? [Any])
        #expect(scans.count == clients * perClient / 2)
        let load = try await server.get("/api/v1/series?" + formEncode([("match", "load")]))
        #expect((load.json as? [Any])?.count == clients)
        let stats = try await server.get("/api/v1/stats")
        #expect(stats.object["write_batches"] as? Int == clients * perClient)
        #expect((stats.object["write_commits"] as? Int ?? 0) <= clients * perClient)
        await server.stop()
        let report = Store.verify(at: server.storePath)
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    @Test("SIGTERM under load: in-flight requests finish, no acknowledged scan is lost, the store closes clean")
    func shutdownUnderLoad() async throws {
        let dir = TemporaryDirectory("tally-shutdown")
        let path = dir.child("store")
        let key = try storeWithWriteKey(at: path)
        let server = try await ServeProcess.start(storePath: path, logPath: dir.child("serve.log"))
        let port = server.port
        try await waitUntilHealthy(port: port)
        let base = try SodaFixtures.day(7)

        // Writers post distinct scans as fast as they can until the server goes away.
        final class Acknowledged: @unchecked Sendable {
            let lock = NSLock()
            var hashes: [(lsn: Int, stamp: String)] = []
            var refused = 0
            func add(_ lsn: Int, _ stamp: String) { lock.lock(); hashes.append((lsn, stamp)); lock.unlock() }
            func refuse() { lock.lock(); refused += 1; lock.unlock() }
        }
        let acknowledged = Acknowledged()
        let writers = 6
        let done = DispatchGroup()
        for w in 0..<writers {
            done.enter()
            DispatchQueue.global().async {
                defer { done.leave() }
                for i in 0..<2_000 {
                    let second = w * 2_000 + i
                    let stamp = String(format: "2024-07-01T%02d:%02d:%02d+00:00", second / 3600, (second / 60) % 60, second % 60)
                    guard let body = try? SodaFixtures.retimed(base, dataTimestamp: stamp) else { return }
                    do {
                        let r = try HTTP.sendBlocking("POST", port: port, path: "/api/v1/ingest",
                                                      headers: ["Authorization": "Bearer \(key.token)", "Content-Type": "application/json"],
                                                      body: body, timeoutSeconds: 30)
                        if r.status == 200, let lsn = (r.object["lsn"] as? Int) {
                            acknowledged.add(lsn, stamp)
                        } else {
                            acknowledged.refuse()
                        }
                    } catch {
                        return  // connection refused or reset: the server is gone
                    }
                }
            }
        }
        // Let the load build up, then ask the server to stop.
        for _ in 0..<200 {
            try await Task.sleep(for: .milliseconds(50))
            if acknowledged.lock.withLock({ acknowledged.hashes.count }) >= 40 { break }
        }
        let status = try await server.terminate()
        #expect(status == 0, "\(server.log)")
        let finished = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async { c.resume(returning: done.wait(timeout: .now() + 120) == .success) }
        }
        #expect(finished)
        let acked = acknowledged.lock.withLock { acknowledged.hashes }
        #expect(acked.count >= 10, "the load ran")
        #expect(server.log.contains("store closed"))

        // Every acknowledged scan is in the store, at the LSN it was acknowledged with.
        let store = try Store.open(at: path, options: StoreOptions(readOnly: true))
        let scans = try store.scans()
        let byLSN = Dictionary(uniqueKeysWithValues: scans.map { (Int($0.id), $0) })
        for (lsn, stamp) in acked {
            let scan = byLSN[lsn]
            #expect(scan != nil, "acknowledged scan \(lsn) is missing")
            #expect(scan?.dataTime == TimeText.parse(stamp.replacingOccurrences(of: "+00:00", with: "Z")))
        }
        // The store was closed: the head is in segments and the WAL is empty of unflushed batches.
        #expect(store.stats().headPoints == 0)
        #expect(Store.verify(at: path).problems.isEmpty)
    }
}

