import Tally

/// A key just created: the only moment its secret exists outside the client.
public struct IssuedKey: Sendable {
    public let record: APIKeyRecord
    /// The secret. The store keeps only its SHA-256.
    public let secret: String

    /// `<id>.<secret>`: what `Authorization: Bearer` and `X-API-Key` carry.
    public var token: String { record.id + "." + secret }
}

/// API keys: created with a random id and secret, stored as id + SHA-256 of the secret, checked in constant time.
///
/// Keys live in the store's catalog (``CatalogSideTables``), so `tally keys` works while `tally serve` runs
/// and a revoked key stops working at the server's next request.
public final class KeyManager: Sendable {
    let tables: CatalogSideTables

    /// Opens the keys of the store at `storePath` (which must exist).
    public init(storePath: String, readOnly: Bool = false) throws(StoreError) {
        tables = try CatalogSideTables(storePath: storePath, readOnly: readOnly)
    }

    init(tables: CatalogSideTables) {
        self.tables = tables
    }

    /// Creates a key; its secret is returned once and never stored.
    public func create(role: APIKeyRole, name: String, now: Int64 = currentTimeMillis()) throws(StoreError) -> IssuedKey {
        let id = "tk_" + KeyManager.randomHex(bytes: 8)
        let secret = KeyManager.randomHex(bytes: 32)
        let record = APIKeyRecord(id: id, name: name, role: role, secretHash: KeyManager.hash(secret), created: now)
        try tables.insertKey(record)
        return IssuedKey(record: record, secret: secret)
    }

    /// Every key, oldest first (revoked ones included, marked).
    public func list() throws(StoreError) -> [APIKeyRecord] {
        try tables.keys()
    }

    /// Revokes a key; false when there is none with this id.
    public func revoke(id: String) throws(StoreError) -> Bool {
        try tables.revokeKey(id: id)
    }

    /// The key when `id` names a valid (not revoked) key whose secret is `secret`; otherwise nil, whatever was
    /// wrong. The secret is hashed and compared in constant time even when the id is unknown.
    ///
    /// - Throws: when the catalog cannot be read. A key that cannot be checked is not a wrong key: the server
    ///   answers 503 and logs why, rather than a 401 that would send the client looking for a bad key.
    public func verify(id: String, secret: String) throws(StoreError) -> APIKeyRecord? {
        let presented = KeyManager.hash(secret)
        let record = try tables.key(id: id)
        let expected = record?.secretHash ?? String(repeating: "0", count: presented.count)
        let same = KeyManager.constantTimeEqual(presented, expected)
        guard let record, same, record.revoked == nil else { return nil }
        return record
    }

    /// The key with this id if it exists and is not revoked (for tokens issued from it).
    ///
    /// - Throws: when the catalog cannot be read.
    public func active(id: String) throws(StoreError) -> APIKeyRecord? {
        guard let record = try tables.key(id: id), record.revoked == nil else { return nil }
        return record
    }

    /// Checks `<id>.<secret>`.
    ///
    /// - Throws: when the catalog cannot be read.
    public func verify(token: String) throws(StoreError) -> APIKeyRecord? {
        guard let dot = token.firstIndex(of: ".") else {
            _ = KeyManager.hash(token)
            return nil
        }
        return try verify(id: String(token[..<dot]), secret: String(token[token.index(after: dot)...]))
    }

    /// Hex SHA-256 of a secret's UTF-8.
    static func hash(_ secret: String) -> String {
        SHA256.hexHash(Array(secret.utf8))
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return diff == 0
    }

    /// Random bytes from the system's cryptographically secure generator, as lowercase hex.
    static func randomHex(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes * 2)
        for _ in 0..<bytes {
            let byte = UInt8.random(in: 0...255, using: &generator)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
