import Tally

/// Tokens handed out after a key was verified (Soda logins, dashboard sessions), kept in memory: each stands for
/// its key until it expires. Only each token's SHA-256 is kept, so the memory of the server holds no usable token.
/// Holds at most `capacity` tokens: when full, a new one pushes out the expired ones, and when that frees too little,
/// the tenth of the tokens closest to expiring (so a full table of live tokens is sorted once per tenth of its
/// capacity, not scanned on every insert).
final class TokenTable: Sendable {
    let capacity: Int
    private let entries = Locked<[String: (keyID: String, expires: Int64)]>([:])

    init(capacity: Int) { self.capacity = Swift.max(capacity, 1) }

    func insert(_ token: String, keyID: String, expires: Int64, now: Int64) {
        let hash = KeyManager.hash(token)
        entries.withLock { table in
            if table.count >= capacity {
                table = table.filter { $0.value.expires > now }
                if table.count >= capacity {
                    let evicted = table.sorted { $0.value.expires < $1.value.expires }
                        .prefix(Swift.max(1, capacity / 10))
                    for entry in evicted { table.removeValue(forKey: entry.key) }
                }
            }
            table[hash] = (keyID, expires)
        }
    }

    /// The principal a token stands for, or nil: unknown, expired (then forgotten), or its key revoked.
    ///
    /// - Throws: when the catalog cannot be read to see whether the key still stands.
    func principal(_ token: String, keys: KeyManager, now: Int64) throws(StoreError) -> Principal? {
        let hash = KeyManager.hash(token)
        let keyID = entries.withLock { table -> String? in
            guard let entry = table[hash] else { return nil }
            if entry.expires <= now {
                table.removeValue(forKey: hash)
                return nil
            }
            return entry.keyID
        }
        guard let keyID, let record = try keys.active(id: keyID) else { return nil }
        return Principal(keyID: record.id, role: record.role)
    }

    /// Forgets a token; false when it was not held.
    @discardableResult
    func remove(_ token: String) -> Bool {
        let hash = KeyManager.hash(token)
        return entries.withLock { $0.removeValue(forKey: hash) != nil }
    }

    /// The number of tokens held (expired ones included until they are looked up or pushed out).
    var count: Int { entries.withLock { $0.count } }
}
