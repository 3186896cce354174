import Glibc

/// Trend-aware exponential smoothing (Holt's linear method with a damped trend, plus the robust seasonal profile
/// when a season is in use: Holt-Winters style, additive).
///
/// State update for a point x at time t, h = elapsed time in typical steps (so gaps extrapolate the trend):
///
///     levelForecast = ℓ + b·(φ + φ² + … + φʰ)
///     e  = clip(x − levelForecast − S[bucket])        (clipped at 4 running robust σ: outliers cannot drag it)
///     ℓ ← levelForecast + α·e
///     b ← φʰ·b + β·e / h
///
/// α and β are chosen from a small grid by one-step mean absolute error over the recent history whenever the
/// detector re-examines the series. The band comes from the quantile ladder of past one-step residuals.
/// Minimum history: 10 points (plus two periods when seasonal).
struct HoltWintersModel {
    var alpha: Double
    var beta: Double
    static let phi = 0.98
    private(set) var level = 0.0
    private(set) var trend = 0.0
    private(set) var lastT: Int64 = 0
    private(set) var learned = 0
    private var absError = 0.0
    let step: Double
    private(set) var profile: SeasonalProfile?
    private(set) var residuals: TimedWindow
    var prior: (spread: Spread, support: Int)?

    init(alpha: Double, beta: Double, step: Int64, profile: SeasonalProfile?, maxPoints: Int, maxAge: Int64) {
        self.alpha = alpha
        self.beta = beta
        self.step = Double(Swift.max(1, step))
        self.profile = profile
        residuals = TimedWindow(maxPoints: maxPoints, maxAge: maxAge, keepAtLeast: minimumLevelPoints)
    }

    var needed: Int { prior != nil ? 0 : Swift.max(0, minimumLevelPoints - learned) }

    mutating func prepare(now: Int64) { residuals.evict(now: now) }

    /// `prepare(now:)`, then the prediction at t: one in-place access for the walk (reading a model stored in
    /// the walker through a non-mutating call copies the model and retains its arrays first).
    mutating func prepareAndPredict(at t: Int64) -> Prediction {
        prepare(now: t)
        return predict(at: t)
    }

    /// Marks the censored point at time t as part of an incident.
    mutating func demote(at t: Int64) { residuals.demote(at: t) }

    /// Censors the residuals collected while replaying history.
    mutating func censorResiduals(sensitivity: Double) { residuals.censor(sensitivity: sensitivity) }

    @inline(__always)
    static func dampedSum(_ h: Double) -> Double {
        // φ + φ² + … + φ^h, continuous in h (one step, the common case, without pow).
        if h == 1 { return phi }
        return phi * (1 - pow(phi, h)) / (1 - phi)
    }

    @inline(__always)
    static func damping(_ h: Double) -> Double { h == 1 ? phi : pow(phi, h) }

    @inline(__always)
    func levelForecast(at t: Int64) -> Double {
        let h = Swift.max(1, Double(timeGap(t, lastT)) / step)
        return level + trend * HoltWintersModel.dampedSum(h)
    }

    // Inlined, so `prepareAndPredict(at:)` reads the model in place instead of copying it for the call.
    @inline(__always)
    func predict(at t: Int64) -> Prediction {
        let s = profile.map { $0.effect($0.spec.bucket(t)) } ?? 0
        let rMed = residuals.count > 0 ? residuals.median : 0
        let expected = levelForecast(at: t) + s + rMed
        if let prior, residuals.count < minimumLevelPoints {
            return Prediction(expected: expected, spread: prior.spread, support: prior.support)
        }
        return Prediction(expected: expected, spread: residuals.spread(), support: residuals.count)
    }

    /// Learns one trained point; `recordResidual` is false while replaying history from an older regime.
    /// A censored point (a flagged value clipped to its band, see `EntryKind`) only adds its residual: it never
    /// moves the state.
    mutating func learn(_ t: Int64, _ x: Double, kind: EntryKind = .clean, recordResidual: Bool = true) {
        let b = profile.map { $0.spec.bucket(t) } ?? 0
        let s = profile?.effect(b) ?? 0
        if kind != .clean {
            if recordResidual && learned >= minimumLevelPoints {
                residuals.add(t, x - levelForecast(at: t) - s, kind: kind)
            }
            return
        }
        if learned == 0 {
            level = x - s
            trend = 0
            lastT = t
            learned = 1
            return
        }
        let h = Swift.max(1, Double(timeGap(t, lastT)) / step)
        let lf = level + trend * HoltWintersModel.dampedSum(h)
        let raw = x - lf - s
        if recordResidual && learned >= minimumLevelPoints { residuals.add(t, raw) }
        var e = raw
        if learned >= 5 {
            let limit = 4 * 1.2533 * absError
            if limit > 0 { e = Swift.min(Swift.max(e, -limit), limit) }
        }
        absError = learned < 5 ? (absError * Double(learned - 1) + Swift.abs(raw)) / Double(learned)
                               : 0.9 * absError + 0.1 * Swift.abs(e)
        level = lf + alpha * e
        trend = HoltWintersModel.damping(h) * trend + beta * e / h
        profile?.add(bucket: b, s + e)
        lastT = t
        learned += 1
        if prior != nil && residuals.count >= minimumLevelPoints { prior = nil }
    }

    /// Re-levels after a persistent shift: level = median of the deseasonalised shift points, trend reset.
    mutating func rebaseline(times: [Int64], values: [Double], indices: [Int], spread: Prediction) {
        var d: [Double] = []
        for j in indices { d.append(values[j] - (profile.map { $0.effect($0.spec.bucket(times[j])) } ?? 0)) }
        level = median(d)
        trend = 0
        if let last = indices.last { lastT = times[last] }
        residuals.clear()
        prior = (spread.spread, spread.support)
    }
}

/// Holt's method replayed over trained points to score (α, β) pairs: the inputs of each step — the value, its
/// seasonal effect, the elapsed steps h since the previous point and the damping terms of h — computed once for
/// all the pairs that `fitHolt` tries.
struct HoltReplay {
    private var x: [Double] = []
    private var s: [Double] = []
    private var h: [Double] = []
    private var sum: [Double] = []
    private var damp: [Double] = []

    /// - Parameters:
    ///   - idx: the trained points, in time order.
    ///   - effects: the seasonal effect of each point of `idx`, or nil without a season.
    init(times: [Int64], values: [Double], idx: [Int], step: Int64, effects: [Double]?) {
        let st = Double(Swift.max(1, step))
        x.reserveCapacity(idx.count)
        s.reserveCapacity(idx.count)
        h.reserveCapacity(idx.count)
        sum.reserveCapacity(idx.count)
        damp.reserveCapacity(idx.count)
        var lastT: Int64 = 0
        for (k, j) in idx.enumerated() {
            let t = times[j]
            let hk = k == 0 ? 1 : Swift.max(1, Double(timeGap(t, lastT)) / st)
            x.append(values[j])
            s.append(effects?[k] ?? 0)
            h.append(hk)
            sum.append(HoltWintersModel.dampedSum(hk))
            damp.append(HoltWintersModel.damping(hk))
            lastT = t
        }
    }

    /// One-step mean absolute errors of Holt's method with fixed (α, β) pairs (after a 10-point burn-in), with
    /// the same clipping as the live model; infinity with too few points. The pairs are replayed side by side
    /// in one pass: each one's recurrence waits on its own previous step, so the processor overlaps them.
    func errors(_ pairs: [(alpha: Double, beta: Double)]) -> [Double] {
        let count = x.count
        guard count > minimumLevelPoints + 2 else { return pairs.map { _ in .infinity } }
        var lanes = pairs.map { HoltLane(alpha: $0.alpha, beta: $0.beta, level: x[0] - s[0]) }
        lanes.withUnsafeMutableBufferPointer { lane in
            for k in 1..<count {
                let xk = x[k], sk = s[k], hk = h[k], sumk = sum[k], dampk = damp[k]
                for l in 0..<lane.count { lane[l].step(k, x: xk, s: sk, h: hk, sum: sumk, damp: dampk) }
            }
        }
        let n = count - minimumLevelPoints
        return lanes.map { $0.total / Double(n) }
    }
}

/// One (α, β) pair's state in `HoltReplay.errors`.
private struct HoltLane {
    let alpha: Double
    let beta: Double
    var level: Double
    var trend = 0.0
    var absError = 0.0
    /// Sum of |one-step error| after the burn-in.
    var total = 0.0

    init(alpha: Double, beta: Double, level: Double) {
        self.alpha = alpha
        self.beta = beta
        self.level = level
    }

    /// Step k ≥ 1 (the live model's update, see `HoltWintersModel.learn`).
    @inline(__always)
    mutating func step(_ k: Int, x: Double, s: Double, h: Double, sum: Double, damp: Double) {
        let lf = level + trend * sum
        let raw = x - lf - s
        if k >= minimumLevelPoints { total += Swift.abs(raw) }
        var e = raw
        if k >= 5 {
            let limit = 4 * 1.2533 * absError
            if limit > 0 { e = Swift.min(Swift.max(e, -limit), limit) }
        }
        absError = k < 5 ? (absError * Double(k - 1) + Swift.abs(raw)) / Double(k) : 0.9 * absError + 0.1 * Swift.abs(e)
        level = lf + alpha * e
        // x / 1 is x exactly: one step, the common case, skips the division's latency.
        trend = damp * trend + (h == 1 ? beta * e : beta * e / h)
    }
}

/// The smoothing levels α tried when fitting, and the trend gains tried (as multiples of α).
let holtAlphas = [0.05, 0.1, 0.2, 0.3]
let holtBetaRatios = [0.0, 0.02, 0.1]

/// Picks α and β by one-step error in two stages (α with a small trend gain, then the trend gain at that α);
/// returns the best pair and its error.
func fitHolt(_ replay: HoltReplay) -> (alpha: Double, beta: Double, error: Double) {
    var best = (alpha: 0.3, beta: 0.0, error: Double.infinity)
    let first = replay.errors(holtAlphas.map { ($0, holtBetaRatios[1] * $0) })
    for (k, a) in holtAlphas.enumerated() where first[k] < best.error {
        best = (a, holtBetaRatios[1] * a, first[k])
    }
    let ratios = holtBetaRatios.filter { $0 != holtBetaRatios[1] }
    let alpha = best.alpha
    let second = replay.errors(ratios.map { (alpha, $0 * alpha) })
    for (k, ratio) in ratios.enumerated() where second[k] < best.error {
        best = (alpha, ratio * alpha, second[k])
    }
    return best
}
