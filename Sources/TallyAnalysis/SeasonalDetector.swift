/// Seasonal baseline: expected = robust level (median of deseasonalised values in the training window)
/// + the seasonal effect of the point's phase bucket (median of that bucket's recent detrended values)
/// + the median one-step residual. The band comes from the quantile ladder of past one-step residuals.
///
/// Buckets are phases of real time (hour-of-day, day-of-week, hour-of-week), so irregular scan times and missing
/// scans keep their phase. Minimum history: two full periods (e.g. 14 daily scans for a weekly pattern).
struct SeasonalModel {
    private(set) var level: TimedWindow
    private(set) var residuals: TimedWindow
    private(set) var profile: SeasonalProfile
    var prior: (spread: Spread, support: Int)?
    /// Noise proportional to the seasonal level (weekday/weekend row counts): residuals are kept relative to
    /// the expected value, so quiet weekends get a narrow band and busy weekdays a wide one.
    private(set) var multiplicative = false
    /// After a shift whose points could not tell whether the pattern scaled with the level: the level before it,
    /// and until when later points may still tell (one period after the shift began).
    private(set) var pendingScale: (oldLevel: Double, until: Int64)?

    init(profile: SeasonalProfile, maxPoints: Int, maxAge: Int64) {
        self.profile = profile
        level = TimedWindow(maxPoints: maxPoints, maxAge: maxAge, keepAtLeast: minimumLevelPoints,
                            tracksScale: false)
        residuals = TimedWindow(maxPoints: maxPoints, maxAge: maxAge, keepAtLeast: minimumLevelPoints)
    }

    var spec: SeasonSpec { profile.spec }

    /// Marks the censored point at time t as part of an incident.
    mutating func demote(at t: Int64) { residuals.demote(at: t) }

    mutating func prepare(now: Int64) {
        level.evict(now: now)
        residuals.evict(now: now)
    }

    /// `prepare(now:)`, then the prediction at t: one in-place access for the walk (reading a model stored in
    /// the walker through a non-mutating call copies the model and retains its arrays first).
    mutating func prepareAndPredict(at t: Int64) -> Prediction {
        prepare(now: t)
        return predict(at: t)
    }

    @inline(__always)
    fileprivate func base(_ b: Int) -> Double { level.median + profile.effect(b) }

    /// The residual of x against a base expectation, in the model's units.
    @inline(__always)
    fileprivate func residual(_ x: Double, base: Double) -> Double {
        multiplicative ? (x - base) / Swift.max(base, 1e-300) : x - base
    }

    // Inlined, so `prepareAndPredict(at:)` reads the model in place instead of copying it for the call.
    @inline(__always)
    func predict(at t: Int64) -> Prediction {
        let b = profile.spec.bucket(t)
        let rMed = residuals.count > 0 ? residuals.median : 0
        let bs = base(b)
        let unit = multiplicative ? Swift.max(bs, 0) : 1
        let expected = bs + rMed * unit
        // The effect is a median of m past values: its own variance is about (π/2)·σ²/m.
        let widen = (1 + 1.5708 / Double(Swift.max(profile.count(b), 1))).squareRoot()
        if let prior, residuals.count < minimumLevelPoints {
            return Prediction(expected: expected, spread: prior.spread, support: prior.support, widen: widen)
        }
        let sp = residuals.spread()
        return Prediction(expected: expected, spread: Spread(up: sp.up * unit, down: sp.down * unit),
                          support: residuals.count, widen: widen)
    }

    /// Learns a trained point. A censored point (a flagged value clipped to its band) enters the level and
    /// residual windows, where only its side matters, but not the seasonal profile.
    mutating func learn(_ t: Int64, _ x: Double, kind: EntryKind = .clean) {
        let b = profile.spec.bucket(t)
        let l = level.median
        let s = profile.effect(b)
        residuals.add(t, residual(x, base: l + s), kind: kind)
        if kind == .clean { profile.add(bucket: b, x - l) }
        level.add(t, x - s, kind: kind == .clean ? .clean : .isolated)
        if prior != nil && residuals.count >= minimumLevelPoints { prior = nil }
    }

    /// Loads history: the profile from `detrended` (values minus their cycle's level, in time order), then the
    /// level and in-sample residuals from the points of the current regime (residuals beyond the band they
    /// imply are censored). Picks additive or multiplicative noise from how the residuals scale with the level.
    mutating func load(times: [Int64], values: [Double], regime: [Int], detrended: [(t: Int64, d: Double)],
                       sensitivity: Double) {
        profile.load(detrended)
        profile.center()
        level.clear()
        residuals.clear()
        for j in regime { level.add(times[j], values[j] - profile.effect(profile.spec.bucket(times[j]))) }
        let bases = regime.map { base(profile.spec.bucket(times[$0])) }
        let raw = zip(regime, bases).map { values[$0.0] - $0.1 }
        multiplicative = regime.allSatisfy { values[$0] > 0 } && noiseScalesWithLevel(bases: bases, residuals: raw)
        // In-sample residuals understate the noise: the bucket effects were fitted to these very points.
        let n = Double(regime.count)
        let fitted = Double(profile.spec.buckets + 1)
        let unbias = Swift.min(2, (n / Swift.max(n - fitted, 1)).squareRoot())
        for (k, j) in regime.enumerated() {
            residuals.add(times[j], unbias * residual(values[j], base: bases[k]))
        }
        residuals.censor(sensitivity: sensitivity)
    }

}

extension SeasonalModel {
    /// The smallest change of level, as a factor, after which the profile may be scaled.
    static let rescaleFactor = 1.25
    /// The most points of a new regime for which a pending scale is asked again (a week of hourly scans is 168).
    static let maxReconsideredPoints = 512

    /// What a shift's points say about the seasonal profile.
    enum ScaleEvidence: Equatable {
        /// The points fit the old pattern scaled by this factor clearly better than the pattern moved or no
        /// pattern at all.
        case scale(Double)
        /// Their phases have (nearly) one shape: any fit explains them alike, a later point may tell.
        case undecided
        /// Nothing to change: the pattern moved rather than scaled, the level hardly changed, or the series is not
        /// positive.
        case keep
    }

    /// A table whose rows triple keeps its weekend at 40 % of its weekdays: after a shift by a factor, the
    /// seasonal effects scale with the level, and kept as they were they would flag every weekend of the new level.
    /// The shift's points (`indices`) decide against the level before the shift (`old`): the profile is to be
    /// scaled by the shift's factor when they fit the old pattern scaled clearly better (a total miss under half)
    /// than both the old pattern moved up or down and a flat level (a pattern that vanished is no scaling).
    func scaleEvidence(old: Double, times: [Int64], values: [Double], indices: [Int]) -> ScaleEvidence {
        guard old > 0, old.isFinite, indices.count >= 2 else { return .keep }
        // A pattern whose phases differ by less than the factor, or that dips to nothing, has no shape to scale.
        var lowest = Double.infinity, highest = -Double.infinity
        for b in 0..<profile.spec.buckets where profile.count(b) > 0 {
            lowest = Swift.min(lowest, profile.effect(b))
            highest = Swift.max(highest, profile.effect(b))
        }
        guard old + lowest > 0, (old + highest) >= Self.rescaleFactor * (old + lowest) else { return .keep }
        var scaledLevels: [Double] = [], movedLevels: [Double] = [], shapes: [Double] = [], effects: [Double] = []
        for j in indices {
            let effect = profile.effect(profile.spec.bucket(times[j]))
            let shape = (old + effect) / old     // the point's phase as a share of the level
            guard values[j] > 0, values[j].isFinite, shape > 0, shape.isFinite else { return .keep }
            shapes.append(shape)
            effects.append(effect)
            scaledLevels.append(values[j] / shape)
            movedLevels.append(values[j] - effect)
        }
        let scaled = median(scaledLevels), moved = median(movedLevels)
        let factor = scaled / old
        guard factor.isFinite, factor > 0, Swift.max(factor, 1 / factor) >= Self.rescaleFactor else { return .keep }
        guard let low = shapes.min(), let high = shapes.max(), high >= Self.rescaleFactor * low else { return .undecided }
        let flat = median(indices.map { values[$0] })
        var scaledMiss = 0.0, movedMiss = 0.0, flatMiss = 0.0
        for (k, j) in indices.enumerated() {
            scaledMiss += Swift.abs(values[j] - scaled * shapes[k])
            movedMiss += Swift.abs(values[j] - moved - effects[k])
            flatMiss += Swift.abs(values[j] - flat)
        }
        return scaledMiss < 0.5 * movedMiss && scaledMiss < 0.5 * flatMiss ? .scale(factor) : .keep
    }

    /// Re-levels from `indices` (the points of the new regime): the level and residual windows restart from them.
    private mutating func relevel(times: [Int64], values: [Double], indices: [Int], spread: Prediction?) {
        level.clear()
        for j in indices { level.add(times[j], values[j] - profile.effect(profile.spec.bucket(times[j]))) }
        residuals.clear()
        for j in indices { residuals.add(times[j], residual(values[j], base: base(profile.spec.bucket(times[j])))) }
        if let spread { prior = residuals.count < minimumLevelPoints ? (spread.spread, spread.support) : nil }
    }

    /// Re-levels after a persistent shift (the points of `indices`); the old spread is kept, and so is the
    /// seasonal profile, scaled when the shift was by a factor (``scaleEvidence(old:times:values:indices:)``). When
    /// the shift's points cannot tell, the points of the next period may (``reconsiderScale(times:values:indices:)``).
    mutating func rebaseline(times: [Int64], values: [Double], indices: [Int], spread: Prediction) {
        let old = level.median
        pendingScale = nil
        switch scaleEvidence(old: old, times: times, values: values, indices: indices) {
        case .scale(let factor): profile.scale(by: factor)
        case .undecided: pendingScale = (old, timeShift(times[indices[0]], by: profile.spec.period))
        case .keep: break
        }
        relevel(times: times, values: values, indices: indices, spread: spread)
    }

    /// Whether a pending scale may still be asked about at `t` (within one period of the shift); ends it when not.
    /// The walker asks this before it gathers the regime's points.
    mutating func keepsPendingScale(at t: Int64) -> Bool {
        guard let pending = pendingScale else { return false }
        if t < pending.until { return true }
        pendingScale = nil
        return false
    }

    /// After a shift whose points could not tell whether the pattern scaled: asks again with the regime's points so
    /// far (`indices`, the last one just judged, so no point is part of its own baseline), for one period after the
    /// shift began. Scales the profile and re-levels from those points when they tell.
    mutating func reconsiderScale(times: [Int64], values: [Double], indices: [Int]) {
        guard let pending = pendingScale, let last = indices.last else { return }
        // One period at most, and a bounded number of points (each ask reads them all).
        guard times[last] < pending.until, indices.count <= Self.maxReconsideredPoints else { pendingScale = nil; return }
        switch scaleEvidence(old: pending.oldLevel, times: times, values: values, indices: indices) {
        case .scale(let factor):
            pendingScale = nil
            profile.scale(by: factor)
            relevel(times: times, values: values, indices: indices, spread: nil)
        case .keep: pendingScale = nil
        case .undecided: break
        }
    }
}

/// True when residuals grow with the expected level: the points are split at the geometric middle of the
/// lowest and highest expected level; the noise counts as multiplicative when the high group's level is at least
/// 1.5× the low group's and its residual spread is closer (on a log scale) to growing in proportion than to
/// staying constant.
func noiseScalesWithLevel(bases: [Double], residuals: [Double]) -> Bool {
    guard bases.count >= minimumLevelPoints, let lo = bases.min(), let hi = bases.max(), lo > 0,
          hi >= 1.5 * lo else { return false }
    let mid = (lo * hi).squareRoot()
    var lowB: [Double] = [], highB: [Double] = [], lowR: [Double] = [], highR: [Double] = []
    for (b, r) in zip(bases, residuals) {
        if b <= mid { lowB.append(b); lowR.append(Swift.abs(r)) } else { highB.append(b); highR.append(Swift.abs(r)) }
    }
    guard lowB.count >= 3, highB.count >= 3 else { return false }
    let levelRatio = median(highB) / median(lowB)
    let spreadLow = median(lowR), spreadHigh = median(highR)
    guard levelRatio >= 1.5, spreadLow > 0 else { return spreadLow == 0 && spreadHigh > 0 }
    return spreadHigh / spreadLow >= levelRatio.squareRoot()
}

/// Detrends points for a seasonal profile: each value minus its cycle's level (see `cycleLevels`; with `ramps`,
/// a line through the cycles' levels), so level shifts and trends between cycles drop out.
func detrendByCycle(times: [Int64], values: [Double], idx: [Int], spec: SeasonSpec,
                    ramps: Bool = false) -> [(t: Int64, d: Double)] {
    let levels = cycleLevels(times: times, values: values, idx: idx, period: spec.period, ramps: ramps)
    return idx.enumerated().map { (times[$0.element], values[$0.element] - levels[$0.offset]) }
}
