// Saturating arithmetic on times (epoch milliseconds) and durations (milliseconds), for every module above
// storage. Times may be anywhere in `Int64` (years −292 million to +292 million), so a time moved by a duration,
// or the gap between two times, may not fit: it stops at `Int64.min` or `Int64.max` instead of trapping.
// (TallyAnalysis depends on nothing and keeps its own `timeShift` and `timeGap`.)

/// `t + d` for a time and a duration, stopping at the ends of `Int64`.
@inlinable
public func timeShift(_ t: Int64, by d: Int64) -> Int64 {
    let (sum, overflow) = t.addingReportingOverflow(d)
    return overflow ? (d > 0 ? .max : .min) : sum
}

/// `t - d` for a time and a duration, stopping at the ends of `Int64` (`d` may be `Int64.min`, which has no
/// negation to shift `by`).
@inlinable
public func timeShift(_ t: Int64, back d: Int64) -> Int64 { timeGap(t, d) }

/// `a - b` for two times, stopping at the ends of `Int64`: the gap between the first and the last time is no
/// `Int64`.
@inlinable
public func timeGap(_ a: Int64, _ b: Int64) -> Int64 {
    let (difference, overflow) = a.subtractingReportingOverflow(b)
    return overflow ? (b > 0 ? .min : .max) : difference
}
