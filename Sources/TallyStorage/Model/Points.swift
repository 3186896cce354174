import TallyEncoding

/// Identifies a series inside one store. Assigned by the store, never reused.
public typealias SeriesID = UInt32

/// A log sequence number: every write batch gets the next one, and the later one wins.
public typealias LSN = UInt64

/// A half-open time range in epoch milliseconds: `lowerBound <= t < upperBound`.
public struct TimeRange: Hashable, Sendable {
    public var lowerBound: Int64
    public var upperBound: Int64

    public init(from lowerBound: Int64 = .min, to upperBound: Int64 = .max) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// Every representable time.
    public static let all = TimeRange()

    /// The one millisecond at `t` (empty at `Int64.max`, the end of every range, where no point can be).
    public static func millisecond(at t: Int64) -> TimeRange {
        TimeRange(from: t, to: t == .max ? .max : t + 1)
    }

    @inlinable public func contains(_ t: Int64) -> Bool { t >= lowerBound && t < upperBound }

    /// True when `[minTime, maxTime]` (both inclusive) meets this range.
    @inlinable public func overlaps(minTime: Int64, maxTime: Int64) -> Bool {
        maxTime >= lowerBound && minTime < upperBound
    }
}

/// The points of one series as columns: row `i` of each array is point `i`.
///
/// A null value is ``NullValue/value`` (a NaN with a payload of its own; an ordinary NaN is a value).
/// `outcomes` is empty for measurement series and has one code per point for check series.
public struct PointColumns: Sendable, Equatable {
    public var times: [Int64]
    public var values: [Double]
    public var outcomes: [UInt8]
    public var lsns: [LSN]

    public init(times: [Int64] = [], values: [Double] = [], outcomes: [UInt8] = [], lsns: [LSN] = []) {
        self.times = times
        self.values = values
        self.outcomes = outcomes
        self.lsns = lsns
    }

    public var count: Int { times.count }
    public var isEmpty: Bool { times.isEmpty }

    /// Point `i`'s value, nil for a null (``optionalValue(_:)`` of `values[i]`).
    @inlinable
    public func value(at i: Int) -> Double? { optionalValue(values[i]) }

    /// Point `i`'s outcome: nil for a point of a measurement series (whose `outcomes` is empty).
    @inlinable
    public func outcome(at i: Int) -> Outcome? { outcomes.isEmpty ? nil : Outcome(rawValue: outcomes[i]) }

    public mutating func reserveCapacity(_ n: Int, outcomes withOutcomes: Bool) {
        times.reserveCapacity(n)
        values.reserveCapacity(n)
        lsns.reserveCapacity(n)
        if withOutcomes { outcomes.reserveCapacity(n) }
    }

    /// Bit-exact equality (so -0.0 differs from 0.0 and NaN equals the same NaN).
    public static func == (a: PointColumns, b: PointColumns) -> Bool {
        a.times == b.times && a.outcomes == b.outcomes && a.lsns == b.lsns
            && a.values.count == b.values.count
            && zip(a.values, b.values).allSatisfy { $0.bitPattern == $1.bitPattern }
    }
}

/// Converts an optional value to the column representation: `nil` becomes the null marker and any NaN the
/// canonical NaN, so a NaN given by a user can never be mistaken for a null.
@inlinable
public func columnValue(_ value: Double?) -> Double {
    guard let value else { return NullValue.value }
    return value.isNaN ? Double.nan : value
}

/// The value of a column cell, `nil` for the null marker.
@inlinable
public func optionalValue(_ cell: Double) -> Double? {
    NullValue.isNull(cell) ? nil : cell
}

/// The null marker of value columns (see ``columnValue(_:)``).
public typealias NullValue = TallyEncoding.NullValue
