/// Series ids by key, for the index: an open-addressing hash table of ids, whose keys are the records' own — a
/// dictionary from key to id would hold a second copy of every key. Each slot keeps the id with the upper half
/// of its key's hash, so a probe compares keys only when the hashes agree. At most half the slots are used.
///
/// Only inserts: series are never removed from the index. Id 0 (never a series) marks an empty slot.
struct KeyTable: Sendable {
    /// `hash's upper 32 bits << 32 | id`; 0 when empty.
    private var slots: [UInt64] = []
    private(set) var count = 0

    @inline(__always) private static func tag(_ hash: Int) -> UInt64 { (UInt64(UInt(bitPattern: hash)) >> 32) << 32 }

    /// The id of the record whose key is `key`.
    func find(_ key: SeriesKey, in records: [SeriesRecord?]) -> SeriesID? {
        guard !slots.isEmpty else { return nil }
        let hash = key.hashValue
        let tag = KeyTable.tag(hash)
        let mask = slots.count - 1
        var i = hash & mask
        return records.withUnsafeBufferPointer { records in
            while true {
                let slot = slots[i]
                if slot == 0 { return nil }
                let id = SeriesID(truncatingIfNeeded: slot)
                // Compared in place: no copy of the record (and no reference counting of its strings).
                if slot & 0xFFFF_FFFF_0000_0000 == tag && records[Int(id)]?.key == key { return id }
                i = (i + 1) & mask
            }
        }
    }

    /// Adds `id`, whose record (with its key) is already in `records`. An id already there under the same key
    /// is replaced (the later definition wins, as in a dictionary).
    mutating func insert(_ id: SeriesID, in records: [SeriesRecord?]) {
        if (count + 1) * 2 > slots.count { grow(toHold: count + 1, records: records) }
        let key = records[Int(id)]!.key
        let hash = key.hashValue
        let tag = KeyTable.tag(hash)
        let mask = slots.count - 1
        var i = hash & mask
        while slots[i] != 0 {
            let other = SeriesID(truncatingIfNeeded: slots[i])
            if other == id || (slots[i] & 0xFFFF_FFFF_0000_0000 == tag && records[Int(other)]?.key == key) {
                slots[i] = tag | UInt64(id)
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = tag | UInt64(id)
        count += 1
    }

    /// Makes room for `total` ids without growing again.
    mutating func reserveCapacity(_ total: Int, records: [SeriesRecord?]) {
        if total * 2 > slots.count { grow(toHold: total, records: records) }
    }

    private mutating func grow(toHold total: Int, records: [SeriesRecord?]) {
        var capacity = 16
        while total * 2 > capacity { capacity *= 2 }
        let old = slots
        slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        for slot in old where slot != 0 {
            // The tag holds only the upper half of the hash: recompute it for the new position.
            let id = SeriesID(truncatingIfNeeded: slot)
            let hash = records[Int(id)]!.key.hashValue
            var i = hash & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }
    }
}
