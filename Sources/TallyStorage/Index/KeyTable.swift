/// Series ids by key, for the index: an open-addressing hash table of ids, whose keys are the index's packed keys
/// (``KeyArena``) — a dictionary from key to id would hold a second copy of every key. Each slot keeps the id with
/// the upper half of its key's hash, so a probe compares keys only when the hashes agree. At most half the slots
/// are used.
///
/// Only inserts: series are never removed from the index. Id 0 (never a series) marks an empty slot.
struct KeyTable: Sendable {
    /// `hash's upper 32 bits << 32 | id`; 0 when empty.
    private var slots: [UInt64] = []
    private(set) var count = 0

    @inline(__always) private static func tag(_ hash: Int) -> UInt64 { (UInt64(UInt(bitPattern: hash)) >> 32) << 32 }

    /// The id of the series whose key is `key`.
    func find(_ key: SeriesKey, in keys: KeyArena) -> SeriesID? {
        guard !slots.isEmpty else { return nil }
        return keys.withPacked(key) { packed -> SeriesID? in
            let hash = KeyArena.hash(packed)
            let tag = KeyTable.tag(hash)
            let mask = slots.count - 1
            var i = hash & mask
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                let id = SeriesID(truncatingIfNeeded: slot)
                if slot & 0xFFFF_FFFF_0000_0000 == tag && keys.withPacked(id, { $0.elementsEqual(packed) }) { return id }
                i = (i + 1) & mask
            }
        } ?? nil
    }

    /// Adds `id`, whose key is already in `keys`. An id already there under the same key is replaced (the later
    /// definition wins, as in a dictionary).
    mutating func insert(_ id: SeriesID, in keys: KeyArena) {
        if (count + 1) * 2 > slots.count { grow(toHold: count + 1, keys: keys) }
        keys.withPacked(id) { packed in
            let hash = KeyArena.hash(packed)
            let tag = KeyTable.tag(hash)
            let mask = slots.count - 1
            var i = hash & mask
            while slots[i] != 0 {
                let other = SeriesID(truncatingIfNeeded: slots[i])
                if other == id || (slots[i] & 0xFFFF_FFFF_0000_0000 == tag
                                   && keys.withPacked(other, { $0.elementsEqual(packed) })) {
                    slots[i] = tag | UInt64(id)
                    return
                }
                i = (i + 1) & mask
            }
            slots[i] = tag | UInt64(id)
            count += 1
        }
    }

    /// Makes room for `total` ids without growing again.
    mutating func reserveCapacity(_ total: Int, keys: KeyArena) {
        if total * 2 > slots.count { grow(toHold: total, keys: keys) }
    }

    private mutating func grow(toHold total: Int, keys: KeyArena) {
        var capacity = 16
        while total * 2 > capacity { capacity *= 2 }
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for slot in old where slot != 0 {
            // The tag holds only the upper half of the hash: recompute it for the new position.
            let id = SeriesID(truncatingIfNeeded: slot)
            var i = keys.withPacked(id) { KeyArena.hash($0) } & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
