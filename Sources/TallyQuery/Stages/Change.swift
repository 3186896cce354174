import TallyStorage

/// `change …`: one point per series, the latest value against a baseline from the points before it.
enum ChangeStageEvaluator {
    /// How many non-null points before the latest the baseline needs (`nil`: a calendar day instead).
    static func pointsNeeded(_ baseline: ChangeStage.Baseline) -> Int? {
        switch baseline {
        case .previous: return 1
        case .average(let n), .minimum(let n), .maximum(let n): return n
        case .sameDayLastWeek: return nil
        }
    }

    /// The change of one series, as a series of one point at the latest point's time (or at `now` when the
    /// series has no points). Never fails: when the change cannot be computed, the value is null with a reason.
    static func evaluate(_ s: ResultSeries, _ spec: ChangeStage, now: Int64) -> ResultSeries {
        var out = SeriesBuilder(like: s)
        let (value, reason) = compute(s, spec)
        out.append(s.times.last ?? now, value, reason: reason)
        return out.build()
    }

    private static func compute(_ s: ResultSeries, _ spec: ChangeStage) -> (Double?, String?) {
        guard let latestIndex = s.times.indices.last else { return (nil, "no data points") }
        guard let latest = s.value(at: latestIndex) else { return (nil, "the latest value is null") }

        let baseline: Double
        switch spec.baseline {
        case .previous:
            guard let i = (0..<latestIndex).last(where: { !s.isNull(at: $0) }) else {
                return (nil, latestIndex == 0 ? "only one data point, nothing earlier to compare with"
                                              : "no earlier non-null value to compare with")
            }
            baseline = s.values[i]
        case .average(let n), .minimum(let n), .maximum(let n):
            var window: [Double] = []
            window.reserveCapacity(Swift.min(n, latestIndex))   // `change avg last 1000000000` has few points
            var i = latestIndex - 1
            while i >= 0, window.count < n {
                if !s.isNull(at: i) { window.append(s.values[i]) }
                i -= 1
            }
            guard window.count == n else {
                return (nil, "needs \(n) earlier non-null value\(n == 1 ? "" : "s"), found \(window.count)")
            }
            let aggregate: Aggregate
            switch spec.baseline {
            case .average: aggregate = .avg
            case .minimum: aggregate = .min
            default: aggregate = .max
            }
            baseline = aggregate.apply(window)!
        case .sameDayLastWeek:
            let day = CivilTime.day(-7, from: s.times[latestIndex])
            let a = TimeRangeStage.lowerBound(s.times, day.from)
            let b = TimeRangeStage.lowerBound(s.times, day.to)
            guard let i = (a..<b).last(where: { !s.isNull(at: $0) }) else {
                return (nil, "no non-null value on \(day.date), the same UTC day last week")
            }
            baseline = s.values[i]
        }

        guard spec.percent else { return (latest - baseline, nil) }
        if baseline == 0 {
            return latest == 0 ? (0, nil) : (nil, "the baseline is 0, so a percent change is undefined")
        }
        return ((latest - baseline) / baseline * 100, nil)
    }
}
