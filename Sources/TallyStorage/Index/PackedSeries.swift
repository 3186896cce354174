/// Series as the catalog loads them for an open: ascending ids, each record without its key, and the keys packed
/// into one ``KeyArena`` (numbered straight from the catalog's rows, with no ``SeriesKey`` made per series).
struct PackedSeries: Sendable {
    var ids: [SeriesID] = []
    /// Parallel to `ids`.
    var records: [StoredRecord] = []
    var keys = KeyArena()

    var count: Int { ids.count }

    mutating func reserveCapacity(_ count: Int) {
        ids.reserveCapacity(count)
        records.reserveCapacity(count)
        keys.reserveCapacity(count)
    }

    /// The series as records, keys unpacked.
    func unpacked() -> [SeriesRecord] {
        zip(ids, records).map { id, stored in
            SeriesRecord(id: id, key: keys.key(id), kind: stored.kind, attributes: stored.attributes,
                         createdLSN: stored.createdLSN)
        }
    }
}
