import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("keys, authentication and limits", .serialized)
struct AuthAndLimitsTests {
    @Test("keys: secrets are hashed, checked in constant time, revocable")
    func keyManager() throws {
        let dir = TemporaryDirectory("tally-keys")
        try Store.open(at: dir.child("s")).close()
        let keys = try KeyManager(storePath: dir.child("s"))
        let issued = try keys.create(role: .write, name: "ci")
        #expect(issued.record.id.hasPrefix("tk_") && issued.secret.count == 64)
        #expect(issued.token == issued.record.id + "." + issued.secret)
        // Only the hash is stored.
        let stored = try keys.list()
        #expect(stored.count == 1 && stored[0].secretHash == SHA256.hexHash(Array(issued.secret.utf8)))
        #expect(stored[0].secretHash != issued.secret)
        let catalog = try readFileBytes(dir.child("s/catalog.sqlite"))
        #expect(String(decoding: catalog, as: UTF8.self).contains(issued.secret) == false)

        #expect(try keys.verify(id: issued.record.id, secret: issued.secret)?.role == .write)
        #expect(try keys.verify(token: issued.token) != nil)
        #expect(try keys.verify(id: issued.record.id, secret: issued.secret + "x") == nil)
        #expect(try keys.verify(id: "tk_unknown", secret: issued.secret) == nil)
        #expect(try keys.verify(token: "no-dot") == nil)
        #expect(try keys.revoke(id: issued.record.id))
        #expect(try keys.verify(token: issued.token) == nil)
        #expect(try keys.list()[0].revoked != nil)
        #expect(try keys.revoke(id: "tk_nope") == false)
        // Two keys never share an id or a secret.
        let other = try keys.create(role: .read, name: "")
        #expect(other.record.id != issued.record.id && other.secret != issued.secret)
        // A read-only view lists them too.
        #expect(try KeyManager(storePath: dir.child("s"), readOnly: true).list().count == 2)
    }

    @Test("no key, a wrong key, a malformed header: 401 with the same answer; health needs none")
    func unauthenticated() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        #expect(try await server.send("GET", "/healthz").status == 200)
        #expect(try await server.send("GET", "/readyz").status == 200)

        let none = try await server.send("GET", "/api/v1/scans")
        #expect(none.status == 401)
        #expect(none.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
        let wrongSecret = try await server.send("GET", "/api/v1/scans",
                                                headers: ["Authorization": "Bearer \(server.readKey.record.id).\(String(repeating: "0", count: 64))"])
        let unknownID = try await server.send("GET", "/api/v1/scans",
                                              headers: ["Authorization": "Bearer tk_0000000000000000.\(server.readKey.secret)"])
        let malformed = try await server.send("GET", "/api/v1/scans", headers: ["Authorization": "Basic abc"])
        let garbage = try await server.send("GET", "/api/v1/scans", headers: ["X-API-Key": "garbage"])
        for result in [wrongSecret, unknownID, malformed, garbage] {
            #expect(result.status == 401)
            #expect(result.text == none.text, "401 answers must not hint which part was wrong")
        }
        #expect(try await server.send("GET", "/api/v1/scans", headers: ["X-API-Key": server.readKey.token]).status == 200)
        #expect(try await server.get("/api/v1/scans").status == 200)

        // Soda: a wrong login and requests without a token.
        let login = try await server.soda("/api/command", ["type": "login", "apiKeyId": server.writeKey.record.id, "apiKeySecret": "wrong"])
        #expect(login.status == 401 && login.text == none.text)
        let fakeLogin = try await server.soda("/api/command", ["type": "login", "apiKeyId": "fake", "apiKeySecret": "fake"])
        #expect(fakeLogin.status == 401)
        let noToken = try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration"])
        #expect(noToken.status == 401)
        let badToken = try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": "tst_nope"])
        #expect(badToken.status == 401)
        await server.stop()
    }

    @Test("a read key cannot write: 403 for ingest, Soda inserts and feedback")
    func readKeyCannotWrite() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let csv = Array("time,metric,value\n2024-05-01T00:00:00Z,row_count,1\n".utf8)
        let ingest = try await server.send("POST", "/api/v1/ingest", key: server.readKey, headers: ["Content-Type": "text/csv"], body: csv)
        #expect(ingest.status == 403)
        #expect(ingest.errorMessage?.contains("write role") == true)

        let token = try await server.sodaLogin(server.readKey)
        // The read key may read the history...
        let config = try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": token])
        #expect(config.status == 200)
        // ...but not insert scan results.
        let insert = try await server.soda("/api/command", try SodaFixtures.insertPayload(try SodaFixtures.day(1), token: token))
        #expect(insert.status == 403)
        let feedback = try await server.send("POST", "/api/v1/soda/feedback", key: server.readKey,
                                             headers: ["Content-Type": "application/json"],
                                             body: Array("{\"testResultId\": \"1-1\", \"skipMeasurements\": \"this\"}".utf8))
        #expect(feedback.status == 403)
        #expect(try await server.get("/api/v1/scans").text == "[]")

        // The write key may.
        #expect(try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"], body: csv).status == 200)
        await server.stop()
    }

    @Test("a revoked key and the Soda tokens it issued stop working at once")
    func revokedKey() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let token = try await server.sodaLogin(server.writeKey)
        #expect(try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": token]).status == 200)
        #expect(try await server.get("/api/v1/scans", key: server.writeKey).status == 200)
        // Revoked from another handle, as `tally keys revoke` does while the server runs.
        #expect(try KeyManager(storePath: server.storePath).revoke(id: server.writeKey.record.id))
        #expect(try await server.get("/api/v1/scans", key: server.writeKey).status == 401)
        #expect(try await server.soda("/api/query", ["type": "sodaCoreCloudConfiguration", "token": token]).status == 401)
        let again = try await server.soda("/api/command", ["type": "login", "apiKeyId": server.writeKey.record.id,
                                                           "apiKeySecret": server.writeKey.secret])
        #expect(again.status == 401)
        // Other keys are unaffected.
        #expect(try await server.get("/api/v1/scans").status == 200)
        await server.stop()
    }

    @Test("bodies and queries over the limits: 413 with a JSON error")
    func limits() async throws {
        var limits = ServerLimits()
        limits.maxBodyBytes = 4096
        limits.maxQueryBytes = 64
        limits.query.maxSeries = 2
        limits.maxSeriesListed = 2
        limits.maxHistoryRows = 2
        let server = try await TestServer(limits: limits)
        defer { Task { await server.stop() } }

        let big = [UInt8](repeating: UInt8(ascii: "a"), count: 10_000)
        let body = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"], body: big)
        #expect(body.status == 413)
        #expect(body.errorMessage?.contains("limit of 4096") == true || body.errorMessage?.contains("limit is 4096") == true)
        let soda = try await HTTP.send("POST", port: server.port, path: "/api/command",
                                       headers: ["Content-Type": "application/json"], body: big)
        #expect(soda.status == 413)
        #expect(soda.errorMessage != nil)

        let long = formEncode([("q", "row_count{dataset=\"" + String(repeating: "x", count: 100) + "\"}")])
        let query = try await server.get("/api/v1/query?" + long)
        #expect(query.status == 413)
        #expect(query.errorMessage?.contains("limit is 64") == true)

        // Three series: more than a query or a listing may take.
        var csv = "time,metric,value,dataset\n"
        for d in ["a", "b", "c"] { csv += "2024-05-01T00:00:00Z,row_count,1,\(d)\n2024-05-02T00:00:00Z,row_count,2,\(d)\n" }
        #expect(try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"],
                                      body: Array(csv.utf8)).status == 200)
        let tooMany = try await server.get("/api/v1/query?" + formEncode([("q", "row_count")]))
        #expect(tooMany.status == 413)
        #expect(tooMany.errorMessage != nil)
        let listing = try await server.get("/api/v1/series?" + formEncode([("match", "row_count")]))
        #expect(listing.status == 413)
        let narrow = try await server.get("/api/v1/query?" + formEncode([("q", "row_count{dataset=\"a\"}")]))
        #expect(narrow.status == 200)
        await server.stop()
    }
}
