import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("token table")
struct TokenTableTests {
    /// Tokens expire, are forgotten when looked up expired, and a full table pushes out the expired ones first,
    /// then the one closest to expiring; a revoked key's tokens stop working.
    @Test func expiryCapacityAndRevocation() throws {
        let dir = TemporaryDirectory()
        try Store.open(at: dir.child("store")).close()
        let keys = try KeyManager(storePath: dir.child("store"))
        let a = try keys.create(role: .read, name: "a"), b = try keys.create(role: .write, name: "b")
        let table = TokenTable(capacity: 3)
        table.insert("t1", keyID: a.record.id, expires: 100, now: 0)
        table.insert("t2", keyID: b.record.id, expires: 300, now: 0)
        table.insert("t3", keyID: b.record.id, expires: 200, now: 0)
        #expect(try table.principal("t2", keys: keys, now: 50) == Principal(keyID: b.record.id, role: .write))
        #expect(try table.principal("t1", keys: keys, now: 100) == nil, "expired at 100")
        #expect(table.count == 2, "an expired token is forgotten when looked up")
        table.insert("t4", keyID: a.record.id, expires: 400, now: 150)
        table.insert("t5", keyID: a.record.id, expires: 500, now: 150)   // full: t3 (closest to expiring) goes
        #expect(table.count == 3)
        #expect(try table.principal("t3", keys: keys, now: 150) == nil)
        #expect(try table.principal("t4", keys: keys, now: 150)?.role == .read)
        #expect(table.remove("t4") && !table.remove("t4"))
        #expect(try keys.revoke(id: b.record.id))
        #expect(try table.principal("t2", keys: keys, now: 150) == nil, "a revoked key's tokens stop working")
    }

    /// A table full of live tokens pushes out the tenth closest to expiring at once, so the next inserts need no
    /// scan of the table.
    @Test func aFullTableOfLiveTokensPushesOutATenthAtOnce() throws {
        let dir = TemporaryDirectory()
        try Store.open(at: dir.child("store")).close()
        let keys = try KeyManager(storePath: dir.child("store"))
        let a = try keys.create(role: .read, name: "a")
        let table = TokenTable(capacity: 100)
        for k in 0..<100 { table.insert("t\(k)", keyID: a.record.id, expires: 1_000 + Int64(k), now: 0) }
        #expect(table.count == 100)
        table.insert("new", keyID: a.record.id, expires: 5_000, now: 0)
        #expect(table.count == 91)
        #expect(try (0..<10).allSatisfy { try table.principal("t\($0)", keys: keys, now: 0) == nil })
        #expect(try (10..<100).allSatisfy { try table.principal("t\($0)", keys: keys, now: 0) != nil })
        #expect(try table.principal("new", keys: keys, now: 0) != nil)
    }
}
