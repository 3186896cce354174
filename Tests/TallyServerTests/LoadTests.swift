import Dispatch
import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// 32 concurrent loopback clients mixing writes, queries, listings and stats (plus requests without a key and
/// writes with a read key) against a `tally serve` process: every request gets its expected status, every write
/// is stored exactly once, and the server's resident memory stops growing once warmed up. (A separate process, so
/// that the suites running in parallel in this one do not count.)
@Suite("server under load", .serialized)
struct LoadTests {
    /// A process's resident set size in KiB (VmRSS of /proc/PID/status).
    static func residentKiB(_ pid: Int32) throws -> Int {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else {
            throw HTTPFailure(description: "no VmRSS in /proc/\(pid)/status")
        }
        return kib
    }

    /// One round: `clients` tasks × `perClient` requests. Returns the (expected, got) status pairs that differ
    /// and the number of writes made.
    static func round(port: Int, write: String, read: String, round: Int, clients: Int,
                      perClient: Int) async throws -> (mismatches: [String], writes: Int) {
        return try await withThrowingTaskGroup(of: ([String], Int).self) { group in
            for c in 0..<clients {
                group.addTask {
                    var mismatches: [String] = []
                    var writes = 0
                    for i in 0..<perClient {
                        let expected: Int
                        let result: HTTPResult
                        switch i % 8 {
                        case 0, 4:
                            // Three points of this client's series, at minutes no other write uses.
                            let minute = (round * perClient + i) * 3
                            var csv = "time,metric,value,client\n"
                            for k in 0..<3 { csv += "\(1_714_550_400_000 + Int64(minute + k) * 60_000),load,\(minute + k),c\(c)\n" }
                            result = try await HTTP.send("POST", port: port, path: "/api/v1/ingest",
                                                         headers: ["Authorization": "Bearer \(write)", "Content-Type": "text/csv"],
                                                         body: Array(csv.utf8))
                            expected = 200
                            writes += 1
                        case 1, 5:
                            result = try await HTTP.send("GET", port: port,
                                                         path: "/api/v1/query?" + formEncode([("q", "load{client=\"c\(c)\"} | last 5")]),
                                                         headers: ["X-API-Key": read])
                            expected = 200
                        case 2:
                            result = try await HTTP.send("POST", port: port, path: "/api/v1/query",
                                                         headers: ["X-API-Key": read, "Content-Type": "text/plain"],
                                                         body: Array("load | bucket 1h avg | agg sum".utf8))
                            expected = 200
                        case 3:
                            result = try await HTTP.send("GET", port: port, path: "/api/v1/series?" + formEncode([("match", "load{client=\"c\(c)\"}")]),
                                                         headers: ["X-API-Key": read])
                            expected = 200
                        case 6:
                            result = try await HTTP.send("GET", port: port, path: "/api/v1/stats")
                            expected = 401
                        default:
                            result = try await HTTP.send("POST", port: port, path: "/api/v1/ingest",
                                                         headers: ["X-API-Key": read, "Content-Type": "text/csv"],
                                                         body: Array("time,metric,value\n1,load,1\n".utf8))
                            expected = 403
                        }
                        if result.status != expected {
                            mismatches.append("client \(c) request \(i): \(result.status) instead of \(expected): \(result.text.prefix(200))")
                        }
                    }
                    return (mismatches, writes)
                }
            }
            var all: [String] = []
            var writes = 0
            for try await (m, w) in group {
                all += m
                writes += w
            }
            return (all, writes)
        }
    }

    @Test("32 clients: every request answered as expected, every write stored once, server memory bounded")
    func concurrentClientsWithBoundedMemory() async throws {
        let dir = TemporaryDirectory("tally-load")
        let path = dir.child("store")
        try Store.open(at: path).close()
        let keys = try KeyManager(storePath: path)
        let write = try keys.create(role: .write, name: "load-writer").token
        let read = try keys.create(role: .read, name: "load-reader").token
        let server = try await ServeProcess.start(storePath: path, logPath: dir.child("serve.log"))
        let port = server.port
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        try await waitUntilHealthy(port: port)
        let pid = server.process.processIdentifier
        let clients = 32, perClient = 16
        // Warm-up: caches, thread pools, allocator arenas.
        var (mismatches, writes) = try await LoadTests.round(port: port, write: write, read: read, round: 0,
                                                             clients: clients, perClient: perClient)
        let warm = try LoadTests.residentKiB(pid)
        for r in 1...2 {
            let (m, w) = try await LoadTests.round(port: port, write: write, read: read, round: r,
                                                   clients: clients, perClient: perClient)
            mismatches += m
            writes += w
        }
        let loaded = try LoadTests.residentKiB(pid)
        let requests = clients * perClient * 2
        #expect(mismatches.isEmpty, "\(mismatches.count) unexpected answers: \(mismatches.prefix(5))")
        #expect(writes == clients * perClient / 4 * 3)
        let stats = try await HTTP.send("GET", port: port, path: "/api/v1/stats", headers: ["X-API-Key": read])
        #expect(stats.object["write_batches"] as? Int == writes)
        #expect(try await server.terminate() == 0)
        // Every write is stored exactly once: three points per write in its client's series.
        let store = try Store.open(at: path, options: StoreOptions(readOnly: true))
        for c in 0..<clients {
            let info = try #require(store.series(key: SeriesKey(metric: "load", labels: ["client": "c\(c)"])))
            let points = try store.read(info.id)
            #expect(points.count == writes / clients * 3)
            #expect(Set(points.times).count == points.count)
        }
        #expect(Store.verify(at: path).isClean)
        // The 1,024 requests after the warm-up hold on to almost nothing (0.2 MiB measured): a leak of 8 KiB a
        // request (a connection's buffers, a request or response body) would pass the bound.
        let growth = loaded - warm
        print("load test: \(requests) requests after warm-up; server RSS \(warm) KiB -> \(loaded) KiB (\(growth) KiB)")
        #expect(growth < 8 * 1024, "the server's resident memory grew by \(growth) KiB over \(requests) requests")
    }
}
