import TallyQuery
import TallyStorage

/// Which point of a series a verdict is about (`tally feedback --at`, `"at"` of `POST /api/v1/feedback`).
public enum FeedbackTarget: Sendable, Equatable {
    /// The series' latest point.
    case latest
    /// The point at this time, or else the nearest one within half the series' typical scan interval.
    case time(Int64)

    /// `latest` (any case), or a time as ``parseInstant(_:now:)`` reads it.
    public init(parsing text: String, now: Int64) throws(QueryError) {
        self = text.lowercased() == "latest" ? .latest : .time(try parseInstant(text, now: now))
    }
}

extension Store {
    /// The point of a series that a verdict is about: for `.latest` the series' latest point; for `.time(t)` the
    /// point at `t`, or else the nearest one within half the series' typical scan interval (at most 12 hours), so
    /// that a day (`2024-05-03`) finds that day's daily scan. Nil when there is no such point.
    public func feedbackPoint(of info: SeriesInfo, at target: FeedbackTarget) throws(StoreError) -> (time: Int64, value: Double?)? {
        guard case .time(let t) = target else {
            guard let latest = latest([info.id])[0] else { return nil }
            return (latest.time, optionalValue(latest.value))
        }
        let hour: Int64 = 3_600_000, day = 24 * hour, week = 7 * day
        // Stopping at the ends of time: a wrapped bound made a reversed range (no point found at the earliest
        // time, a trap near the latest).
        let around = try read(info.id, in: TimeRange(from: timeShift(t, back: week), to: timeShift(t, by: week)))
        guard !around.times.isEmpty else { return nil }
        var best = 0
        for i in around.times.indices where abs(around.times[i] - t) < abs(around.times[best] - t) { best = i }
        let distance = abs(around.times[best] - t)
        if distance > 0 {
            var gaps = zip(around.times.dropFirst(), around.times).map { $0 - $1 }.sorted()
            if gaps.isEmpty { gaps = [day] }
            let tolerance = min(12 * hour, gaps[gaps.count / 2] / 2)
            if distance > tolerance { return nil }
        }
        return (around.times[best], optionalValue(around.values[best]))
    }
}
