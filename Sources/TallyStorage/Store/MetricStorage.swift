/// The narrow, batch-level storage interface that the query, analysis and server layers use: columns of many
/// points per call, so crossing it costs nothing per point.
///
/// ``Store`` (the embedded store) is its first implementation. A deployment that outgrows one machine can
/// implement it on PostgreSQL (Citus to scale out) holding the same blocks and catalog rows.
public protocol MetricStorage: Sendable {
    /// The series a selector chooses, ordered by metric, then labels.
    func series(matching selector: SeriesSelector) -> [SeriesInfo]
    /// The series with this key, if there is one.
    func series(key: SeriesKey) -> SeriesInfo?
    /// The points of a series in a half-open range, sorted by time, one per time (the latest write wins).
    func read(_ id: SeriesID, in range: TimeRange) throws(StoreError) -> PointColumns
    /// The newest point of each series.
    func latest(_ ids: [SeriesID]) -> [LatestPoint?]
    /// The stored blocks of a series in a range, with their statistics, and whether they alone hold its points
    /// (none and false when the head holds points in the range). An implementation without block statistics
    /// returns `([], false)`: aggregations then read the points through ``read(_:in:)``.
    func blocks(of id: SeriesID, in range: TimeRange) throws(StoreError) -> (blocks: [BlockHandle], exclusive: Bool)
    /// Writes a batch durably.
    func write(_ batch: WriteBatch) throws(StoreError) -> WriteReceipt
}

extension Store: MetricStorage {}
