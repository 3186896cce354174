/// `since`, `until`, `between` and `last N` as point filters.
enum TimeRangeStage {
    /// The first index whose time is `>= t`.
    static func lowerBound(_ times: [Int64], _ t: Int64) -> Int {
        var lo = 0, hi = times.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if times[mid] < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// The points with `from <= time < to`.
    static func range(_ s: ResultSeries, from: Int64, to: Int64) -> ResultSeries {
        guard from < to else { return s.slice(0..<0) }
        let a = lowerBound(s.times, from)
        let b = Swift.max(a, lowerBound(s.times, to))
        return s.slice(a..<b)
    }

    /// The last `n` points.
    static func last(_ s: ResultSeries, _ n: Int) -> ResultSeries {
        s.slice(Swift.max(0, s.count - n)..<s.count)
    }
}
