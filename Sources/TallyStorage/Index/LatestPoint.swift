/// The newest point of a series (by time; at equal times, the later write).
public struct LatestPoint: Sendable, Equatable {
    // Declared widest first, so the struct (and an optional of it) packs into 32 bytes: one per series in memory.
    public var time: Int64
    /// The stored value: possibly the null marker (an errored scan is news too); ``optionalValue`` gives nil for it.
    public var value: Double
    public var lsn: LSN
    /// The stored outcome code (``Outcome/noneCode`` for a measurement); ``checkOutcome`` gives it typed.
    public var outcome: UInt8

    public init(time: Int64, value: Double, outcome: UInt8, lsn: LSN) {
        self.time = time
        self.value = value
        self.outcome = outcome
        self.lsn = lsn
    }

    /// The value, nil for a null.
    public var optionalValue: Double? { TallyStorage.optionalValue(value) }

    /// The outcome of a check series' point; nil for a measurement.
    public var checkOutcome: Outcome? { Outcome(rawValue: outcome) }

    /// The last point of a stored block, as its statistics give it.
    init(_ block: BlockMeta) {
        self.init(time: block.maxTime, value: block.lastRawValue, outcome: block.lastOutcome, lsn: block.lastLSN)
    }

    /// True when `other` should replace this point as the latest.
    @inlinable
    public func isSuperseded(by other: LatestPoint) -> Bool {
        other.time > time || (other.time == time && other.lsn >= lsn)
    }

    public static func == (a: LatestPoint, b: LatestPoint) -> Bool {
        a.time == b.time && a.value.bitPattern == b.value.bitPattern && a.outcome == b.outcome && a.lsn == b.lsn
    }
}

extension Optional where Wrapped == LatestPoint {
    /// Keeps `candidate` when there is no point yet or it supersedes the one kept (``LatestPoint/isSuperseded(by:)``).
    @inlinable
    public mutating func keepLatest(_ candidate: LatestPoint) {
        if self.map({ $0.isSuperseded(by: candidate) }) ?? true { self = candidate }
    }
}
