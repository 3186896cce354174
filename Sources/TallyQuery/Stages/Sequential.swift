import TallyStorage
import TallyEncoding
/// `diff` and `rolling N AGG`: point-by-point stages within one series.
enum SequentialStages {
    /// Successive differences: each non-null value minus the last non-null value before it.
    ///
    /// The first non-null point has nothing before it and is dropped; a null point stays null.
    static func diff(_ s: ResultSeries) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        var previous: Double?
        for i in 0..<s.count {
            guard let v = s.value(at: i) else {
                out.append(s.times[i], nil, reason: s.reason(at: i) ?? "the value is null")
                continue
            }
            if let p = previous { out.append(s.times[i], v - p) }
            previous = v
        }
        return out.build()
    }

    /// The aggregate of each trailing window of `n` points (the point itself and the `n - 1` before it).
    ///
    /// Windows count points, null or not; the aggregate skips nulls. The first `n - 1` points, whose window
    /// is not full yet, are null with a reason, so the output keeps every timestamp.
    ///
    /// - Complexity: O(count), or O(count log count) for percentiles, whatever `n` is (`RollingWindow`).
    static func rolling(_ s: ResultSeries, window n: Int, aggregate: Aggregate) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        let results = RollingWindow.aggregates(s.values, window: n, aggregate)
        for i in 0..<s.count {
            if i + 1 < n {
                out.append(s.times[i], nil, reason: "rolling window not full yet (\(i + 1) of \(n) points)")
            } else if let v = results[i] {
                out.append(s.times[i], v)
            } else {
                out.append(s.times[i], nil, reason: "all values in the window are null")
            }
        }
        return out.build()
    }
}
