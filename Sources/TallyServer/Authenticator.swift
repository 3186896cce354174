import Tally
#if canImport(Glibc)
import Glibc
#endif

/// Who a request comes from.
public struct Principal: Sendable, Equatable {
    public var keyID: String
    public var role: APIKeyRole
}

/// Checks credentials: API keys (`Authorization: Bearer <id>.<secret>`, `X-API-Key: <id>.<secret>`) and the
/// tokens the Soda Cloud `login` command hands out (in the `token` of every later Soda request body, or as a
/// bearer token).
///
/// A token stands for its key: it stops working when the key is revoked, when it expires, and when the server
/// restarts (tokens are kept in memory only). soda-core logs in again on a 401.
final class Authenticator: Sendable {
    let keys: KeyManager
    let tokenLifetimeMillis: Int64
    private let tokens: TokenTable

    init(keys: KeyManager, tokenLifetimeMillis: Int64, maxTokens: Int = 100_000) {
        self.keys = keys
        self.tokenLifetimeMillis = tokenLifetimeMillis
        tokens = TokenTable(capacity: maxTokens)
    }

    /// Soda `login`: a token for a valid key id and secret, or nil.
    ///
    /// - Throws: when the catalog cannot be read (the key could not be checked).
    func login(keyID: String, secret: String, now: Int64 = currentTimeMillis()) throws(StoreError) -> (token: String, principal: Principal)? {
        guard let record = try keys.verify(id: keyID, secret: secret) else { return nil }
        let token = "tst_" + KeyManager.randomHex(bytes: 32)
        tokens.insert(token, keyID: record.id, expires: expiry(now: now, lifetimeMillis: tokenLifetimeMillis), now: now)
        return (token, Principal(keyID: record.id, role: record.role))
    }

    /// The principal of a Soda session token, or nil (unknown, expired, or its key revoked).
    func principal(sessionToken token: String, now: Int64 = currentTimeMillis()) throws(StoreError) -> Principal? {
        try tokens.principal(token, keys: keys, now: now)
    }

    /// The principal of an `Authorization` / `X-API-Key` header value: an API key `<id>.<secret>` or a session
    /// token.
    ///
    /// - Throws: when the catalog cannot be read (the credential could not be checked).
    func principal(credential: String) throws(StoreError) -> Principal? {
        if credential.hasPrefix("tst_") { return try principal(sessionToken: credential) }
        guard let record = try keys.verify(token: credential) else { return nil }
        return Principal(keyID: record.id, role: record.role)
    }
}

/// When a token given at `now` expires: at the end of time rather than overflowing for a lifetime that long.
func expiry(now: Int64, lifetimeMillis: Int64) -> Int64 {
    timeShift(now, by: lifetimeMillis)
}

/// A lifetime in seconds as milliseconds, at most `Int64.max` (`tally serve --token-lifetime` is checked first; a
/// library caller may still ask for any `Int`).
func lifetimeMillis(seconds: Int) -> Int64 {
    let (millis, overflow) = Int64(seconds).multipliedReportingOverflow(by: 1000)
    return overflow ? (seconds > 0 ? .max : .min) : millis
}
