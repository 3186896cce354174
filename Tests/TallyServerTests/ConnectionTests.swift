import Foundation
import Logging
import Tally
import TallyTestSupport
import Testing
@testable import TallyServer
#if canImport(Glibc)
import Glibc
#endif

/// How the server treats connections and methods: what it decides before reading a body, clients that stall,
/// shutdown with a request in flight, HEAD and 405s.
@Suite struct ConnectionTests {
    /// A raw connection to the server that has sent `head` (request line and headers) and maybe part of a body.
    final class RawClient {
        let fd: Int32

        init(port: Int, sending head: String, timeoutSeconds: Int = 20) throws {
            fd = try connectLoopback(port: port, timeoutSeconds: timeoutSeconds)
            let bytes = Array(head.utf8)
            guard bytes.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
                throw HTTPFailure(description: "send: errno \(errno)")
            }
        }

        /// What the server sends until it closes the connection or the timeout passes, and how long that took.
        func readUntilClosed() -> (text: String, closed: Bool, seconds: Double) {
            let started = Date()
            var received: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { received += chunk[0..<n]; continue }
                return (String(decoding: received, as: UTF8.self), n == 0 || errno == ECONNRESET,
                        Date().timeIntervalSince(started))
            }
        }

        /// The first answer's status line, read without waiting for the connection to close.
        func statusLine() -> String {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return "" }
            return String(decoding: chunk[0..<n], as: UTF8.self).components(separatedBy: "\r\n")[0]
        }

        deinit { close(fd) }
    }

    /// Credentials, role and body type are answered from the headers, before a byte of a (huge) body is read.
    @Test func ingestIsRefusedFromItsHeadersWithoutReadingTheBody() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let port = server.port
        func answer(_ headers: String) async throws -> String {
            try await offCooperativeThreads {
                let client = try RawClient(port: port, sending: "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n"
                                           + "Content-Length: 60000000\r\n" + headers + "\r\n", timeoutSeconds: 10)
                return client.statusLine()
            }
        }
        #expect(try await answer("Content-Type: text/csv\r\n") == "HTTP/1.1 401 Unauthorized")
        #expect(try await answer("Content-Type: text/csv\r\nAuthorization: Bearer \(server.readKey.token)\r\n") == "HTTP/1.1 403 Forbidden")
        #expect(try await answer("Content-Type: text/plain\r\nAuthorization: Bearer \(server.writeKey.token)\r\n")
                == "HTTP/1.1 415 Unsupported Media Type")
        // A write key with a CSV body is read and written as before.
        let csv = Array("time,metric,value\n2024-05-01T00:00:00Z,m,1\n".utf8)
        let landed = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                           headers: ["Content-Type": "text/csv"], body: csv)
        #expect(landed.status == 200, "\(landed.text)")
    }

    /// `Expect: 100-continue` gets `100 Continue` once the request passes its header checks, so the client sends its
    /// body at once (curl waited a second for it); a request refused from its headers gets only its final answer.
    @Test func expectContinueIsAnsweredWhenTheBodyIsWanted() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let body = "time,metric,value\n2024-05-01T00:00:00Z,expected,1\n"
        let head = "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nExpect: 100-continue\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n"
        let (port, token) = (server.port, server.writeKey.token)
        let (interim, final) = try await offCooperativeThreads {
            let client = try RawClient(port: port, sending: head + "Authorization: Bearer \(token)\r\n\r\n", timeoutSeconds: 10)
            let interim = client.statusLine()
            let bytes = Array(body.utf8)
            guard bytes.withUnsafeBytes({ Glibc.send(client.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
                throw HTTPFailure(description: "send: errno \(errno)")
            }
            return (interim, client.readUntilClosed().text)
        }
        #expect(interim == "HTTP/1.1 100 Continue")
        #expect(final.hasPrefix("HTTP/1.1 200 OK"), "\(final)")
        #expect(server.server.store.series(matching: SeriesSelector(metric: "expected")).count == 1)
        // Refused from its headers: the final answer only, and the connection closes (the body will not come).
        let keepAliveHead = head.replacingOccurrences(of: "Connection: close\r\n", with: "")
        let refused = try await offCooperativeThreads {
            try RawClient(port: port, sending: keepAliveHead + "\r\n", timeoutSeconds: 10).readUntilClosed()
        }
        #expect(refused.text.hasPrefix("HTTP/1.1 401 Unauthorized") && refused.closed, "\(refused)")
        #expect(refused.text.lowercased().contains("connection: close"), "\(refused.text)")
        // A small body sent whole with the headers, refused: the connection closes too (it stayed open, and even
        // answered a next request, after saying it would close).
        let whole = try await offCooperativeThreads {
            try RawClient(port: port, sending: "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          + "Content-Length: 2\r\n\r\n{}", timeoutSeconds: 10).readUntilClosed()
        }
        #expect(whole.text.hasPrefix("HTTP/1.1 401 Unauthorized") && whole.closed, "\(whole)")
        // Pipelined behind a request still unanswered, the 100 waits until that one is answered (it would read as
        // the earlier request's answer).
        let plain = "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nAuthorization: Bearer \(token)\r\n"
            + "Content-Length: \(body.utf8.count)\r\n\r\n" + body
        let pipelined = try await offCooperativeThreads {
            let client = try RawClient(port: port, sending: plain + keepAliveHead + "Authorization: Bearer \(token)\r\n\r\n",
                                       timeoutSeconds: 5)
            var received = ""
            var chunk = [UInt8](repeating: 0, count: 4096)
            while !received.contains("100 Continue") {
                let n = chunk.withUnsafeMutableBytes { recv(client.fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                received += String(decoding: chunk[0..<n], as: UTF8.self)
            }
            return received
        }
        let ok = pipelined.range(of: "HTTP/1.1 200 OK"), interimAfter = pipelined.range(of: "HTTP/1.1 100 Continue")
        #expect(ok != nil && interimAfter != nil && ok!.lowerBound < interimAfter!.lowerBound, "\(pipelined)")
    }

    /// A method a path does not take is a 405 with `Allow` with or without a key, as the docs list them; a
    /// Content-Encoding on a request without a body is ignored; an unescaped `+` in `now` gets a hint.
    @Test func methodsBeforeKeysAndHeadersWithoutBodies() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        for (method, path, allow) in [("DELETE", "/api/v1/stats", "GET, HEAD"), ("POST", "/api/v1/series", "GET, HEAD"),
                                      ("GET", "/api/v1/ingest", "POST"), ("PUT", "/api/v1/scans/3", "GET, HEAD")] {
            let answer = try await server.send(method, path)
            #expect(answer.status == 405 && answer.headers["allow"] == allow, "\(method) \(path): \(answer.status) \(answer.text)")
        }
        #expect(try await server.send("GET", "/api/v1/stats").status == 401)
        let encoded = try await server.send("GET", "/api/v1/stats", key: server.readKey, headers: ["Content-Encoding": "gzip"])
        #expect(encoded.status == 200, "\(encoded.text)")
        let plus = try await server.send("GET", "/api/v1/query?q=m&now=2026-11-20T02:00:00+02:00", key: server.readKey)
        #expect(plus.status == 400 && plus.text.contains("write it as %2B"), "\(plus.text)")
    }

    /// A compressed body is refused by its Content-Encoding (415), not read as CSV and refused with a position in
    /// binary noise.
    @Test func aCompressedBodyIsRefusedByItsEncoding() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let gzip = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                         headers: ["Content-Type": "text/csv", "Content-Encoding": "gzip"], body: [0x1f, 0x8b, 8, 0])
        #expect(gzip.status == 415 && gzip.text.contains("Content-Encoding gzip is not supported"), "\(gzip.text)")
        let plain = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                          headers: ["Content-Type": "text/csv", "Content-Encoding": "identity"],
                                          body: Array("time,metric,value\n2024-05-01T00:00:00Z,m,1\n".utf8))
        #expect(plain.status == 200, "\(plain.text)")
    }

    /// HEAD is answered as GET without a body; a method a path does not take is a 405 with `Allow`, on the API,
    /// the Soda Cloud API and the probes alike.
    @Test func headAndMethodsNotAllowed() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let head = try await server.send("HEAD", "/api/v1/stats", key: server.readKey)
        let get = try await server.send("GET", "/api/v1/stats", key: server.readKey)
        #expect(head.status == 200 && head.text.isEmpty)
        #expect(head.headers["content-length"] == String(get.body.count) && !get.body.isEmpty, "\(head.headers)")
        #expect(try await server.send("HEAD", "/readyz").status == 200)
        for (method, path, allow) in [("DELETE", "/api/v1/stats", "GET, HEAD"), ("POST", "/healthz", "GET, HEAD"),
                                      ("PUT", "/readyz", "GET, HEAD"), ("GET", "/api/v1/ingest", "POST"),
                                      ("GET", "/api/command", "POST"), ("PATCH", "/api/v1/query", "GET, HEAD, POST")] {
            let answer = try await server.send(method, path, key: server.readKey)
            #expect(answer.status == 405, "\(method) \(path): \(answer.status)")
            #expect(answer.headers["allow"] == allow, "\(method) \(path): \(answer.headers)")
        }
        // A HEAD where GET is not taken is a 405 too (it is routed as GET), with `Allow` and no body.
        let sentHead = try await server.send("HEAD", "/api/v1/ingest", key: server.writeKey)
        #expect(sentHead.status == 405 && sentHead.headers["allow"] == "POST" && sentHead.body.isEmpty, "\(sentHead.headers)")
    }

    /// A client that stops part-way through its body is disconnected after `--idle-timeout`.
    @Test(.timeLimit(.minutes(2))) func aStalledClientIsDisconnected() async throws {
        let work = TemporaryDirectory("tally-idle")
        let key = try storeWithWriteKey(at: work.child("store"))
        let server = try await ServeProcess.start(storePath: work.child("store"), logPath: work.child("serve.log"),
                                                  extraArguments: ["--idle-timeout", "2"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let client = try RawClient(port: server.port, sending: "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n"
                                   + "Authorization: Bearer \(key.token)\r\nContent-Type: text/csv\r\n"
                                   + "Content-Length: 1000\r\n\r\ntime,metric,value\n")
        let result = client.readUntilClosed()
        #expect(result.closed, "the server kept the stalled connection: \(result)")
        #expect(result.seconds >= 1.5 && result.seconds < 15, "\(result.seconds) s")
        #expect(try await server.terminate() == 0)
    }

    /// SIGTERM with a request that never finishes: the server waits `--shutdown-grace` seconds, cancels it, commits,
    /// closes the store and exits 0; a write acknowledged before stays.
    @Test(.timeLimit(.minutes(2))) func shutdownDoesNotWaitForeverForAStalledRequest() async throws {
        let work = TemporaryDirectory("tally-grace")
        let key = try storeWithWriteKey(at: work.child("store"))
        let server = try await ServeProcess.start(storePath: work.child("store"), logPath: work.child("serve.log"),
                                                  extraArguments: ["--idle-timeout", "600", "--shutdown-grace", "2"])
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        let csv = Array("time,metric,value\n2024-05-01T00:00:00Z,kept,1\n".utf8)
        let landed = try await HTTP.send("POST", port: server.port, path: "/api/v1/ingest",
                                         headers: ["Authorization": "Bearer \(key.token)", "Content-Type": "text/csv"], body: csv)
        #expect(landed.status == 200)
        let stalled = try RawClient(port: server.port, sending: "POST /api/v1/ingest HTTP/1.1\r\nHost: x\r\n"
                                    + "Authorization: Bearer \(key.token)\r\nContent-Type: text/csv\r\n"
                                    + "Content-Length: 1000\r\n\r\ntime,metric,value\n")
        try await Task.sleep(for: .milliseconds(300))
        let started = Date()
        #expect(try await server.terminate(timeoutSeconds: 30) == 0, "\(server.log)")
        let seconds = Date().timeIntervalSince(started)
        #expect(seconds >= 1.5 && seconds < 20, "stopped after \(seconds) s:\n\(server.log)")
        #expect(server.log.contains("no new connections; finishing the requests in flight"), "\(server.log)")
        _ = stalled
        let store = try Store.open(at: work.child("store"), options: StoreOptions(readOnly: true))
        #expect(store.series(matching: .all).map(\.key.metric) == ["kept"])
    }
}
