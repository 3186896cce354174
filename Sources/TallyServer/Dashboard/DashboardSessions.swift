import Tally

/// The dashboard's sign-in sessions, kept in memory on the server.
///
/// Signing in with an API key makes a session: a random token (256 bits from the system's secure generator) that
/// the browser keeps in the `tally_session` cookie. The server keeps only the token's SHA-256 (``TokenTable``), with the key it
/// stands for and its expiry. A session ends when it expires, when it is signed out, when its key is revoked, and
/// when the server restarts. Sessions grant dashboard reads only: the API never looks at the cookie.
final class DashboardSessions: Sendable {
    /// The name of the session cookie.
    static let cookieName = "tally_session"

    let keys: KeyManager
    let lifetimeMillis: Int64
    private let sessions: TokenTable

    init(keys: KeyManager, lifetimeMillis: Int64, maxSessions: Int = 10_000) {
        self.keys = keys
        self.lifetimeMillis = lifetimeMillis
        sessions = TokenTable(capacity: maxSessions)
    }

    /// Starts a session for a key that was just verified; returns the token for the cookie.
    func create(keyID: String, now: Int64 = currentTimeMillis()) -> String {
        let token = "tds_" + KeyManager.randomHex(bytes: 32)
        sessions.insert(token, keyID: keyID, expires: expiry(now: now, lifetimeMillis: lifetimeMillis), now: now)
        return token
    }

    /// The principal of a session token, or nil: unknown, signed out, expired (then forgotten), or its key revoked.
    ///
    /// - Throws: when the catalog cannot be read to see whether the key still stands.
    func principal(token: String, now: Int64 = currentTimeMillis()) throws(StoreError) -> Principal? {
        try sessions.principal(token, keys: keys, now: now)
    }

    /// Ends a session (signing out); false when there was none.
    @discardableResult
    func end(token: String) -> Bool {
        sessions.remove(token)
    }

    /// The number of sessions held (expired ones included until they are looked up or pushed out).
    var count: Int { sessions.count }
}
