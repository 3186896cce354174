import Tally

/// The dashboard's sign-in sessions, kept in memory on the server.
///
/// Signing in with an API key makes a session: a random token (256 bits from the system's secure generator) that
/// the browser keeps in the `tally_session` cookie. The server keeps only the token's SHA-256, with the key it
/// stands for and its expiry. A session ends when it expires, when it is signed out, when its key is revoked, and
/// when the server restarts. Sessions grant dashboard reads only: the API never looks at the cookie.
final class DashboardSessions: Sendable {
    /// The name of the session cookie.
    static let cookieName = "tally_session"

    struct Entry: Sendable {
        var keyID: String
        var expires: Int64
    }

    let keys: KeyManager
    let lifetimeMillis: Int64
    let maxSessions: Int
    private let table = Locked<[String: Entry]>([:])

    init(keys: KeyManager, lifetimeMillis: Int64, maxSessions: Int = 10_000) {
        self.keys = keys
        self.lifetimeMillis = lifetimeMillis
        self.maxSessions = maxSessions
    }

    /// Starts a session for a key that was just verified; returns the token for the cookie.
    func create(keyID: String, now: Int64 = currentTimeMillis()) -> String {
        let token = "tds_" + KeyManager.randomHex(bytes: 32)
        let hashed = KeyManager.hash(token)
        table.withLock { table in
            if table.count >= maxSessions {
                table = table.filter { $0.value.expires > now }
                if table.count >= maxSessions, let oldest = table.min(by: { $0.value.expires < $1.value.expires }) {
                    table.removeValue(forKey: oldest.key)
                }
            }
            table[hashed] = Entry(keyID: keyID, expires: now + lifetimeMillis)
        }
        return token
    }

    /// The principal of a session token, or nil: unknown, signed out, expired (then forgotten), or its key revoked.
    func principal(token: String, now: Int64 = currentTimeMillis()) -> Principal? {
        let hashed = KeyManager.hash(token)
        let entry = table.withLock { table -> Entry? in
            guard let entry = table[hashed] else { return nil }
            if entry.expires <= now {
                table.removeValue(forKey: hashed)
                return nil
            }
            return entry
        }
        guard let entry, let record = keys.active(id: entry.keyID) else { return nil }
        return Principal(keyID: record.id, role: record.role)
    }

    /// Ends a session (signing out); false when there was none.
    @discardableResult
    func end(token: String) -> Bool {
        let hashed = KeyManager.hash(token)
        return table.withLock { $0.removeValue(forKey: hashed) != nil }
    }

    /// The number of sessions held (expired ones included until they are looked up or pushed out).
    var count: Int { table.withLock { $0.count } }
}
