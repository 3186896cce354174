import CSQLite
import Foundation
import Logging
import Tally
import Testing
@testable import TallyServer

/// When the key catalog cannot be read, a valid key has not been refused: it has not been checked. Every way in
/// (API key, Soda login and token, dashboard sign-in and session) answers 503 and logs the cause, never 401, and
/// works again once the catalog can be read.
@Suite struct KeyCatalogFailureTests {
    /// Runs one SQL statement on the store's catalog through a connection of its own, as another process would.
    static func execute(_ sql: String, inStoreAt storePath: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(storePath + "/catalog.sqlite", &db) == SQLITE_OK, let db else {
            throw HTTPFailure(description: "cannot open the catalog of \(storePath)")
        }
        defer { sqlite3_close(db) }
        sqlite3_busy_timeout(db, 10_000)
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else {
            throw HTTPFailure(description: "\(sql): \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    @Test func anUnreadableKeyCatalogAnswers503AndLogsWhyUntilItCanBeReadAgain() async throws {
        let log = CapturedLog()
        let server = try await TestServer(logger: Logger(label: "tally.test") { _ in log })
        defer { Task { await server.stop() } }
        let sodaToken = try await server.sodaLogin(server.readKey)
        let cookie = try await server.sessionCookie(server.readKey)
        #expect(try await server.get("/api/v1/scans").status == 200)

        // The key table goes away under the running server (here: renamed by another connection).
        try Self.execute("ALTER TABLE api_key RENAME TO api_key_away", inStoreAt: server.storePath)
        let api = try await server.get("/api/v1/scans")
        #expect(api.status == 503, "\(api.text)")
        #expect(api.headers["retry-after"] == "1" && api.headers["www-authenticate"] == nil)
        #expect(api.text.contains("cannot check credentials now"))
        let login = try await server.soda("/api/command", ["type": "login", "apiKeyId": server.readKey.record.id,
                                                           "apiKeySecret": server.readKey.secret])
        #expect(login.status == 503, "\(login.text)")
        let withToken = try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": sodaToken])
        #expect(withToken.status == 503, "\(withToken.text)")
        let signIn = try await server.signIn(server.readKey.token)
        #expect(signIn.status == 503 && signIn.headers["set-cookie"] == nil)
        #expect(signIn.text.contains("could not read its key catalog"))
        let page = try await server.page("/", cookie: cookie)
        #expect(page.status == 503 && page.text.contains("could not read its key catalog"))
        #expect(page.text.contains("<a href=\"/\">Try again</a>"))
        #expect(try await server.page("/chart.svg?q=row_count", cookie: cookie).status == 503)
        // The cause is in the server's log; a wrong key is still told apart from an unchecked one there.
        #expect(log.messages.contains { $0.level == .error && $0.text.contains("no such table: api_key") })
        #expect(!log.messages.contains { $0.text.contains(server.readKey.secret) })

        // Back again: the same key, token and session work without a restart.
        try Self.execute("ALTER TABLE api_key_away RENAME TO api_key", inStoreAt: server.storePath)
        #expect(try await server.get("/api/v1/scans").status == 200)
        #expect(try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": sodaToken]).status == 200)
        #expect(try await server.page("/", cookie: cookie).status == 200)
        #expect(try await server.signIn(server.readKey.token).status == 303)
        // And a wrong key is a 401 again, not a 503.
        #expect(try await server.signIn(server.readKey.record.id + "." + String(repeating: "0", count: 64)).status == 401)
    }
}

/// A log handler that keeps every message (level, text and metadata as one line), for tests that check what the
/// server logs.
final class CapturedLog: LogHandler, @unchecked Sendable {
    struct Message: Sendable {
        var level: Logger.Level
        var text: String
    }

    private let lock = NSLock()
    private var kept: [Message] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    var messages: [Message] { lock.withLock { kept } }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var text = "\(event.message)"
        if let fields = event.metadata, !fields.isEmpty {
            text += " " + fields.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        lock.withLock { kept.append(Message(level: event.level, text: text)) }
    }
}
