/// What a baseline model says about the next point before seeing it.
struct Prediction {
    /// Expected value.
    var expected: Double
    /// Robust standard deviations above and below the expected value.
    var spread: Spread
    /// How many points the spread rests on (for the small-sample widening of the band).
    var support: Int
    /// Extra widening for the uncertainty of the expected value itself (1 = none), e.g. a seasonal effect that
    /// rests on a few past cycles.
    var widen: Double = 1
    /// Second-smallest and second-largest training value (level model only): for zero-inflated counts the band
    /// always covers values that already occurred at least twice.
    var envelope: (low: Double, high: Double)? = nil
    /// Mean of the training values (level model only), for the Poisson floor of low-volume counts.
    var mean: Double? = nil
}

/// Minimum trained points before the level and Holt-Winters models judge anything.
let minimumLevelPoints = 10

/// Robust level: the expected value is the median of the training window and the band comes from the window's
/// own quantiles (the one-sided quantile ladder, see `ladderSpread`). Past anomalies never enter the window, and
/// even unflagged outliers move a median and an inner quantile very little.
///
/// Cost per point: one sorted insert and at most one sorted removal (binary search + memmove), O(1) quantiles.
struct RobustLevelModel {
    private(set) var window: TimedWindow
    /// Spread carried over a re-baselining until the new regime has `minimumLevelPoints` points.
    var prior: (spread: Spread, support: Int)?

    init(maxPoints: Int, maxAge: Int64) {
        window = TimedWindow(maxPoints: maxPoints, maxAge: maxAge, keepAtLeast: minimumLevelPoints)
    }

    var count: Int { window.count }

    /// Learns a trained point (see `EntryKind` for censored ones).
    mutating func learn(_ t: Int64, _ x: Double, kind: EntryKind = .clean) {
        window.add(t, x, kind: kind)
        if prior != nil && window.count >= minimumLevelPoints { prior = nil }
    }

    mutating func prepare(now: Int64) { window.evict(now: now) }

    /// `prepare(now:)`, then the prediction at t: one in-place access for the walk (reading a model stored in
    /// the walker through a non-mutating call copies the model and retains its arrays first).
    mutating func prepareAndPredict(at t: Int64) -> Prediction {
        prepare(now: t)
        return predict()
    }

    /// Marks the censored point at time t as part of an incident.
    mutating func demote(at t: Int64) { window.demote(at: t) }

    /// Censors values loaded from history.
    mutating func censor(sensitivity: Double) { window.censor(sensitivity: sensitivity) }

    /// Points still needed before the model can judge (0 when ready).
    var needed: Int {
        if prior != nil { return window.count > 0 ? 0 : 1 }
        return Swift.max(0, minimumLevelPoints - window.count)
    }

    // Inlined, so `prepareAndPredict(at:)` reads the model in place instead of copying it for the call.
    @inline(__always)
    func predict() -> Prediction {
        let m = window.median
        if let prior, window.count < minimumLevelPoints {
            return Prediction(expected: m, spread: prior.spread, support: prior.support)
        }
        let s = window.sorted.sorted
        let envelope = s.count >= 3 ? (s[1], s[s.count - 2]) : nil
        return Prediction(expected: m, spread: window.spread(), support: window.count, envelope: envelope,
                          mean: window.cleanMean)
    }

    /// Restarts the window from the points of a persistent level shift, keeping the old spread until the new
    /// regime has enough points of its own.
    mutating func rebaseline(times: [Int64], values: [Double], indices: some Sequence<Int>, spread: Prediction) {
        window.clear()
        for j in indices { window.add(times[j], values[j]) }
        prior = window.count < minimumLevelPoints ? (spread.spread, spread.support) : nil
    }
}
