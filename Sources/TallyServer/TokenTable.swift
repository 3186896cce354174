import Tally

/// Tokens handed out after a key was verified (Soda logins, dashboard sessions), kept in memory: each stands for
/// its key until it expires. Holds at most `capacity` tokens; a new one pushes out the expired ones, then the one
/// closest to expiring.
final class TokenTable: Sendable {
    let capacity: Int
    private let entries = Locked<[String: (keyID: String, expires: Int64)]>([:])

    init(capacity: Int) { self.capacity = capacity }

    func insert(_ token: String, keyID: String, expires: Int64, now: Int64) {
        entries.withLock { table in
            if table.count >= capacity {
                table = table.filter { $0.value.expires > now }
                if table.count >= capacity, let oldest = table.min(by: { $0.value.expires < $1.value.expires }) {
                    table.removeValue(forKey: oldest.key)
                }
            }
            table[token] = (keyID, expires)
        }
    }

    /// The principal a token stands for, or nil: unknown, expired (then forgotten), or its key revoked.
    func principal(_ token: String, keys: KeyManager, now: Int64) -> Principal? {
        let keyID = entries.withLock { table -> String? in
            guard let entry = table[token] else { return nil }
            if entry.expires <= now {
                table.removeValue(forKey: token)
                return nil
            }
            return entry.keyID
        }
        guard let keyID, let record = keys.active(id: keyID) else { return nil }
        return Principal(keyID: record.id, role: record.role)
    }

    /// Forgets a token; false when it was not held.
    @discardableResult
    func remove(_ token: String) -> Bool { entries.withLock { $0.removeValue(forKey: token) != nil } }

    /// The number of tokens held (expired ones included until they are looked up or pushed out).
    var count: Int { entries.withLock { $0.count } }
}
