import Glibc

/// Walk-forward anomaly detection over one series.
///
/// Each point is judged only on the points before it, so the results for the past are exactly what a check
/// would have said at the time, and a point is never part of its own baseline. Anomalous points do not train the
/// baseline; a persistent level shift re-baselines after `levelShiftPoints` points; feedback can force points in
/// or out of training.
///
///     let detector = AnomalyDetector(options: try AnomalyOptions.parse("sensitivity=4 direction=down"))
///     let result = detector.detect(times: times, values: values)
///     if result.anomaly.last == true { print(result.reason(at: result.count - 1)) }
public struct AnomalyDetector: Sendable {
    /// The settings.
    public var options: AnomalyOptions

    /// A detector with the given options (default: `method=auto sensitivity=4`).
    public init(options: AnomalyOptions = AnomalyOptions()) {
        self.options = options
    }

    /// A detector with options parsed from text (see `AnomalyOptions.parse`).
    public init(_ optionText: String) throws(AnomalyOptionsError) {
        options = try AnomalyOptions.parse(optionText)
    }

    /// Judges every point of a series, walking forward.
    ///
    /// - Parameters:
    ///   - times: epoch milliseconds, sorted ascending (gaps and irregular steps are fine).
    ///   - values: one value per time; NaN means missing.
    ///   - feedback: optional per-point verdicts (same length), see `Feedback`.
    public func detect(times: [Int64], values: [Double], feedback: [Feedback]? = nil) -> AnomalyResult {
        precondition(times.count == values.count, "times and values must have the same length")
        precondition(feedback == nil || feedback!.count == values.count, "feedback must match values")
        var walker = Walker(times: times, values: values, feedback: feedback, options: options)
        walker.run()
        return walker.result()
    }

    /// Judges only the latest point (the regular check after a scan). Same verdict as the last point of
    /// `detect`, by construction. Returns nil for an empty series.
    public func checkLatest(times: [Int64], values: [Double], feedback: [Feedback]? = nil) -> PointCheck? {
        guard !times.isEmpty else { return nil }
        let r = detect(times: times, values: values, feedback: feedback)
        let i = r.count - 1
        return PointCheck(time: r.times[i], value: r.values[i], expected: r.expected[i], lower: r.lower[i],
                          upper: r.upper[i], score: r.score[i], anomaly: r.anomaly[i], alert: r.alert[i],
                          reasonCode: r.reasons[i], detail: r.details[i], model: r.model(at: i),
                          reason: r.reason(at: i))
    }

    /// Forecasts `horizon` future points after the series, at the series' typical step, with expected ranges.
    /// Holt-Winters ranges widen with the horizon; level and seasonal ranges do not.
    public func forecast(times: [Int64], values: [Double], feedback: [Feedback]? = nil, horizon: Int) -> Forecast {
        precondition(times.count == values.count, "times and values must have the same length")
        var walker = Walker(times: times, values: values, feedback: feedback, options: options)
        walker.run()
        return walker.forecast(horizon: horizon)
    }
}

/// The walk-forward engine.
struct Walker {
    let times: [Int64]
    let values: [Double]
    let feedback: [Feedback]?
    let options: AnomalyOptions
    let maxPoints: Int
    let maxAge: Int64
    /// The options that shape every expected range (and the two-sided tail at the sensitivity, which the stuck rule
    /// uses too).
    let bandRule: BandRule

    /// Indices of points that trained the baseline, and the value each trained with (NaN if it did not):
    /// the raw value, or for a flagged point the edge of its band (censored, so its size never widens anything).
    private var trainedIdx: [Int] = []
    /// No trained value so far was negative (then expected values and the range stay at or above zero).
    private var trainedNonNegative = true
    private var trainValues: [Double]
    private var trainKinds: [EntryKind]
    /// The previous judged point without feedback, if it was outside its band and trained censored.
    private var previousCensored: Int? = nil
    private var segmentStart = 0
    private(set) var step: Int64 = 0
    private var choice: ModelChoice? = nil
    private var level: RobustLevelModel? = nil
    private var seasonal: SeasonalModel? = nil
    private var hw: HoltWintersModel? = nil
    private var nextDecision = 0
    private var stuck = StuckTracker()
    private var shift: LevelShiftTracker
    /// Outcomes of the last judged points without feedback (index, outside the band), for regime changes.
    private var recent = RecentOutcomes(capacity: Walker.regimeWindow)
    private var recentOutside = 0
    /// One-sided CUSUMs of in-band deviations, for the drift watch.
    private var cusumUp = 0.0
    private var cusumDown = 0.0
    /// The local-change view (option `local`), nil when off.
    private var local: LocalChangeTracker?
    /// The slow-change views (options `slow` and `spread`), nil when off.
    private var slowWatch: SlowLevelWatch?
    private var noiseWatch: NoiseLevelWatch?
    private var noisePending = PendingViewFlag()
    private var spreadWatch: SpreadWatch?
    private var spreadPending = PendingViewFlag()
    /// What the likelihood gate sees per point: |deviation|, or the local view's when that is sharper and larger.
    private var surprise: [Double]
    private var allInteger = true
    private var firstTime: Int64? = nil
    private var models: [ModelDescription] = []
    private var currentModel: UInt8 = .max

    private var expected: [Double]
    private var lower: [Double]
    private var upper: [Double]
    private var score: [Double]
    private var deviation: [Double]
    private var anomaly: [Bool]
    private var reasons: [ReasonCode]
    private var details: [Int32]
    private var modelIndex: [UInt8]

    /// A regime change is accepted when `regimeAlerts` of the last `regimeWindow` judged points were outside.
    static let regimeWindow = 50
    static let regimeAlerts = 10
    /// … in at least this many separate events (long runs are level shifts or ramps, not a changed spread).
    static let regimeRuns = 5

    /// Drift watch: CUSUM reference (in robust σ) and alarm threshold (× sensitivity).
    static let driftReference = 0.75
    static let driftThreshold = 3.0

    /// Trained points examined when choosing a model.
    static let decisionLookback = 4096

    init(times: [Int64], values: [Double], feedback: [Feedback]?, options: AnomalyOptions) {
        self.times = times
        self.values = values
        self.feedback = feedback
        self.options = options
        switch options.training {
        case .auto: (maxPoints, maxAge) = (1000, 90 * dayMs)
        case .points(let n): (maxPoints, maxAge) = (Swift.max(3, Swift.min(n, maximumTrainingPoints)), .max)
        case .duration(let d): (maxPoints, maxAge) = (maximumTrainingPoints, Swift.max(d, 1))
        }
        bandRule = BandRule(sensitivity: options.sensitivity, ignoreBelow: options.ignoreBelow,
                            direction: options.direction, tail: normalTwoSidedTail(options.sensitivity))
        shift = LevelShiftTracker(k: options.levelShiftPoints)
        let n = times.count
        expected = Array(repeating: .nan, count: n)
        trainValues = Array(repeating: .nan, count: n)
        trainKinds = Array(repeating: .clean, count: n)
        deviation = Array(repeating: 0, count: n)
        lower = Array(repeating: .nan, count: n)
        upper = Array(repeating: .nan, count: n)
        score = Array(repeating: 0, count: n)
        anomaly = Array(repeating: false, count: n)
        reasons = Array(repeating: .coldStart, count: n)
        details = Array(repeating: 0, count: n)
        modelIndex = Array(repeating: .max, count: n)
        local = options.localBand != nil ? LocalChangeTracker(capacity: maxPoints) : nil
        surprise = options.localBand != nil ? Array(repeating: 0, count: n) : []
        slowWatch = options.slowBand != nil ? SlowLevelWatch() : nil
        noiseWatch = options.noiseBand != nil ? NoiseLevelWatch() : nil
        spreadWatch = options.spreadBand != nil ? SpreadWatch() : nil
    }

    func result() -> AnomalyResult {
        AnomalyResult(times: times, values: values, expected: expected, lower: lower, upper: upper, score: score,
                      deviation: deviation, anomaly: anomaly,
                      alert: alerts(anomaly: anomaly, deviation: deviation, surprise: local != nil ? surprise : nil,
                                    reasons: reasons, details: details, times: times, options: options),
                      reasons: reasons, details: details, modelIndex: modelIndex, models: models)
    }

    // MARK: - The walk

    mutating func run() {
        for i in 0..<times.count { visit(i) }
    }

    private mutating func visit(_ i: Int) {
        let t = times[i]
        let x = values[i]
        let fb = feedback?[i] ?? .none

        if choice == nil {
            let needed = pointsNeeded(before: i)
            if needed.count > 0 {
                reasons[i] = x.isNaN ? .missing : .coldStart
                // Negative: at least that many (``AnomalyResult/reason(at:)``).
                details[i] = Int32(clamping: needed.atLeast ? -needed.count : needed.count)
                if x.isNaN { score[i] = .nan }
                if !x.isNaN {
                    if firstTime == nil { firstTime = t }
                    if fb != .exclude { _ = stuck.observe(x) }
                    if fb == .none || fb == .expected {
                        train(i, x, model: false)
                        if local != nil { local!.observe(value: x, move: local!.previous.map { x - $0 }) }
                        if slowWatch != nil { _ = slowWatch!.observe(x, band: 0, floor: 0, judge: false) }
                        if noiseWatch != nil { _ = noiseWatch!.observe(x, band: 0, judge: false) }
                        if spreadWatch != nil { _ = spreadWatch!.observe(x, band: 0, judge: false) }
                    }
                }
                return
            }
            decide(at: i)
        } else if trainedIdx.count >= nextDecision {
            decide(at: i)
        }
        modelIndex[i] = currentModel

        let pred = predict(at: t)
        var band = bandRule.band(pred, widen: 1, allInteger: allInteger, shape: choice?.shape)
        expected[i] = floorAtZero(pred.expected, &band)
        lower[i] = band.lower
        upper[i] = band.upper

        if x.isNaN {
            reasons[i] = .missing
            score[i] = .nan
            deviation[i] = .nan
            return
        }
        let dev = x - pred.expected
        let outside = x < band.lower || x > band.upper
        var z: Double
        if dev > 0 {
            z = band.halfUp > 0 ? options.sensitivity * dev / band.halfUp : .infinity
        } else if dev < 0 {
            z = band.halfDown > 0 ? options.sensitivity * -dev / band.halfDown : .infinity
        } else {
            z = 0
        }
        if !options.direction.allows(side: dev) { z = 0 }
        score[i] = scoreForDeviation(z)
        deviation[i] = dev >= 0 ? z : -z

        var isStuck = false
        if fb != .exclude {
            let run = stuck.observe(x)
            // A one-sided check hears of a stuck value only on its side of the expected value: `direction=up`
            // ignores a series that dropped to zero and stayed there.
            if options.detectStuck, !outside, options.direction.allows(side: dev), choice?.shape != .constant,
               let p = stuck.runProbability(nonNegative: trainedNonNegative), p < bandRule.tail {
                isStuck = true
                details[i] = Int32(clamping: run)
                score[i] = Swift.max(score[i], 1 - p)
            }
        }
        // The local-change view: the move from the previous value, in robust σ of past moves, on the side where
        // this view is clearly sharper than the baseline (§3.10).
        var isJump = false
        if var lt = local, let ls = options.localBand {
            local = nil  // mutate a unique copy (no copy-on-write of its window)
            surprise[i] = Swift.abs(deviation[i])
            var move: Double? = nil
            if let previous = lt.previous {
                let r = x - previous
                move = r
                if let sp = lt.spread {
                    let s = options.sensitivity
                    // The same small-sample widening as the band's.
                    let inflation = 1 + (ls * ls + 1) / (4 * Swift.max(1, 0.37 * Double(lt.support)))
                    let baseSigma = (r > 0 ? band.halfUp : band.halfDown) / s
                    var sigma = Swift.max((r > 0 ? sp.up : sp.down) * inflation, localScaleFloor * baseSigma)
                    if allInteger { sigma = Swift.max(sigma, 1 / ls) }
                    let zl = sigma > 0 ? Swift.abs(r) / sigma : 0
                    if sigma < localSharperRatio * baseSigma && baseSigma.isFinite && options.direction.allows(side: r) {
                        // The likelihood gate sees the larger surprise, on the baseline's scale.
                        surprise[i] = Swift.max(surprise[i], zl * s / ls)
                        if zl >= ls && !outside && !isStuck && fb != .exclude {
                            isJump = true
                            details[i] = r > 0 ? 1 : -1
                            score[i] = Swift.max(score[i], scoreForDeviation(zl))
                        }
                    }
                    // A large move counts censored at the edge, so an incident never widens the local band.
                    if zl >= ls && sigma > 0 { move = (r > 0 ? 1 : -1) * ls * sigma }
                }
            }
            if fb == .none || fb == .expected { lt.observe(value: x, move: move) }
            local = lt
        }
        var isDrift = false
        if fb == .none && !outside && !isStuck && !isJump && options.detectDrift && choice?.watchDrift == true {
            // CUSUM over in-band deviations (each capped at the sensitivity).
            let s = options.sensitivity
            let h = Walker.driftThreshold * s
            let zc = Swift.min(Swift.max(deviation[i], -s), s)
            cusumUp = Swift.max(0, cusumUp + zc - Walker.driftReference)
            cusumDown = Swift.max(0, cusumDown - zc - Walker.driftReference)
            if cusumUp > h || cusumDown > h {
                isDrift = true
                details[i] = cusumUp > h ? 1 : -1
                score[i] = Swift.max(score[i], scoreForDeviation(s))
                cusumUp = 0
                cusumDown = 0
            }
        }
        // The slow-change views (§3.11): recent statistics against their own history; they flag only points no
        // other rule flags, and change nothing the point trains.
        var slowSide: Int32 = 0, spreadSide: Int32 = 0
        if fb == .none || fb == .expected {
            let free = !outside && !isStuck && !isJump && !isDrift
            if var w = slowWatch, let b = options.slowBand {
                slowWatch = nil
                let baseSigma = (band.halfUp + band.halfDown) / (2 * options.sensitivity)
                let floor = baseSigma.isFinite ? localScaleFloor * baseSigma : 0
                let v = Swift.min(Swift.max(x, band.lower), band.upper)
                let r = w.observe(v, band: b, floor: floor, judge: true)
                let allowed = options.direction.allows(side: Double(r.side))
                // Only where the drift watch does not run (autocorrelated residuals, a trend model): on independent
                // noise the drift watch's CUSUM already judges slow moves of the level.
                let smooth = choice?.watchDrift != true && choice?.shape != .zeroInflated && choice?.shape != .constant
                if r.side != 0 && free && allowed && smooth { slowSide = r.side }
                slowWatch = w
            }
            if var w = noiseWatch, let b = options.noiseBand {
                noiseWatch = nil
                let r = w.observe(x, band: b, judge: true)
                // Rises only; reported as a slow change with detail 2.
                noisePending.note(r.side > 0 ? 2 : 0, at: i)
                let plain = choice?.shape != .zeroInflated && choice?.shape != .constant
                let side = noisePending.take(at: i, free: free && plain && slowSide == 0)
                if side != 0 { slowSide = side }
                noiseWatch = w
            }
            if var w = spreadWatch, let b = options.spreadBand {
                spreadWatch = nil
                let r = w.observe(x, band: b, judge: true)
                spreadPending.note(r.side, at: i)
                spreadSide = spreadPending.take(at: i, free: free && slowSide == 0)
                spreadWatch = w
            }
        }
        if slowSide != 0 || spreadSide != 0 {
            details[i] = slowSide != 0 ? slowSide : spreadSide
            score[i] = Swift.max(score[i], scoreForDeviation(options.sensitivity))
        }
        anomaly[i] = outside || isStuck || isDrift || isJump || slowSide != 0 || spreadSide != 0
        reasons[i] = outside ? (dev > 0 ? .above : .below)
            : (isStuck ? .stuck : (isJump ? .jump : (isDrift ? .drift
                : (slowSide != 0 ? .slowChange : (spreadSide != 0 ? .spreadChange : .normal)))))

        // What the point trains with: its value; for a flagged point only the edge of the band it crossed
        // (censored); nothing for stuck points, exclusions and confirmed anomalies.
        var trainValue: Double? = nil
        switch fb {
        case .expected: trainValue = x
        case .exclude, .anomaly: trainValue = nil
        case .none:
            trainValue = isStuck || isDrift || isJump ? nil : (outside ? Swift.min(Swift.max(x, band.lower), band.upper) : x)
        }

        if fb == .none {
            if let dropped = recent.push(index: i, outside: outside), dropped.outside { recentOutside -= 1 }
            if outside { recentOutside += 1 }
        }
        // An `expected` point outside the band counts toward a level shift as a flagged one does: telling the
        // detector that a new value is normal must never delay re-baselining onto it.
        if (fb == .none || fb == .expected) && outside {
            let sigma = (dev > 0 ? band.halfUp : band.halfDown) / options.sensitivity
            if let run = shift.flagged(index: i, side: dev > 0 ? 1 : -1, deviation: dev, sigma: sigma) {
                if let v = trainValue { trainJudged(i, v, outside: outside, feedback: fb) }
                rebaseline(run: run, prediction: pred)
                reasons[i] = .levelShift
                details[i] = Int32(run.count)
                shift.reset()
                return
            }
            if fb == .none && options.levelShiftPoints > 0 && recentOutside >= Walker.regimeAlerts
                && (alertRuns() >= Walker.regimeRuns) {
                if let v = trainValue { trainJudged(i, v, outside: outside, feedback: fb) }
                details[i] = Int32(recentOutside)
                regimeChange(at: i)
                reasons[i] = .regimeChange
                return
            }
        } else if fb == .none || fb == .expected {
            shift.reset()
        }
        if let v = trainValue { trainJudged(i, v, outside: outside, feedback: fb) }
        else if fb == .none { previousCensored = nil }
        // After a shift that could not tell whether the seasonal pattern scaled with the level, each judged point of
        // the next period may (a shift that began on a Monday shows its weekend only days later).
        if seasonal?.pendingScale != nil, choice?.method == .seasonal, seasonal?.keepsPendingScale(at: times[i]) == true {
            let regime = (segmentStart...i).filter { !trainValues[$0].isNaN && values[$0].isFinite }
            seasonal?.reconsiderScale(times: times, values: values, indices: regime)
        }
    }

    /// Trains a point; a censored one is `isolated`, or part of an `incident` when the previous judged point
    /// was censored too (which is then marked as such).
    private mutating func trainJudged(_ i: Int, _ v: Double, outside: Bool, feedback fb: Feedback) {
        guard outside && fb == .none else {
            if fb == .none { previousCensored = nil }
            train(i, v, model: true)
            return
        }
        var kind = EntryKind.isolated
        if let p = previousCensored {
            kind = .incident
            if trainKinds[p] == .isolated {
                trainKinds[p] = .incident
                demote(at: times[p])
            }
        }
        trainKinds[i] = kind
        previousCensored = i
        train(i, v, model: true)
    }

    private mutating func demote(at t: Int64) {
        switch choice?.method ?? .level {
        case .level, .auto: level?.demote(at: t)
        case .seasonal: seasonal?.demote(at: t)
        case .holtWinters: hw?.demote(at: t)
        }
    }

    /// Records a training point; `model` is false during cold start (no model yet).
    private mutating func train(_ i: Int, _ x: Double, model: Bool) {
        let t = times[i]
        if x < 0 { trainedNonNegative = false }
        trainedIdx.append(i)
        trainValues[i] = x
        if x == values[i] {
            stuck.trained(x)
            if allInteger && !isInteger(x) { allInteger = false }
        }
        guard model, let c = choice else { return }
        let kind = x != values[i] ? trainKinds[i] : EntryKind.clean
        switch c.method {
        case .level, .auto: level?.learn(t, x, kind: kind)
        case .seasonal: seasonal?.learn(t, x, kind: kind)
        case .holtWinters: hw?.learn(t, x, kind: kind)
        }
    }

    private mutating func predict(at t: Int64) -> Prediction {
        switch choice?.method ?? .level {
        case .level, .auto: return level!.prepareAndPredict(at: t)
        case .seasonal: return seasonal!.prepareAndPredict(at: t)
        case .holtWinters: return hw!.prepareAndPredict(at: t)
        }
    }

    /// A series that has never gone below zero (counts, durations) gets no negative expected value or lower bound
    /// (§ Non-negative series): `expected`, floored, with `band`'s lower bound floored in place.
    @inline(__always)
    private func floorAtZero(_ expected: Double, _ band: inout Band) -> Double {
        guard trainedNonNegative else { return expected }
        if band.lower < 0 && band.lower.isFinite { band.lower = 0 }
        return Swift.max(expected, 0)
    }

    /// The expected range: sensitivity × robust σ on each side, widened for small samples and by the rest of
    /// `BandRule.band(_:widen:allInteger:shape:)`.
    func band(_ p: Prediction, widen: Double = 1) -> Band {
        bandRule.band(p, widen: widen, allInteger: allInteger, shape: choice?.shape)
    }

    // MARK: - Cold start and model choice

    /// Points still needed before the first verdict at point i.
    /// `atLeast` when the scan interval is not known yet (before two points) and a season may need more history than
    /// the count says once it is: the reason then says "at least", so the countdown does not seem to go up.
    private mutating func pointsNeeded(before i: Int) -> (count: Int, atLeast: Bool) {
        let have = trainedIdx.count
        if i >= 1 {
            // Typical step from the recent gaps (bounded work while cold).
            step = medianStep(times, in: Swift.max(0, i - 64)..<i)
        }
        let need = minimumHistory(options: options, step: step)
        var missing = Swift.max(0, need.points - have)
        if need.span > 0 {
            let span = firstTime.map { timeGap(times[i - 1], $0) } ?? 0
            if i == 0 || span < need.span {
                let remaining = need.span - (i == 0 ? 0 : span)
                // Before the interval is known, time says nothing of the count (the reason says "at least").
                let byTime = step > 0 ? Int((Double(remaining) / Double(step)).rounded(.up)) : 0
                missing = Swift.max(missing, byTime)
            }
        }
        return (missing, step <= 0 && mayNeedSeasonHistory(options))
    }

    /// How many periods the seasonal profile remembers: 8 by default, else what the training window spans.
    private func profileCycles(_ spec: SeasonSpec) -> Int {
        switch options.training {
        case .auto: return 8
        case .duration(let d): return Int(Swift.min(52, Swift.max(2, d / spec.period)))
        case .points(let n):
            let span = Double(n) * Double(Swift.max(step, 1))
            return Int(Swift.min(52, Swift.max(2, span / Double(spec.period))))
        }
    }

    private func profileCapacity(_ spec: SeasonSpec) -> Int {
        let perBucket = Swift.max(1, Int((Double(spec.period) / Double(spec.buckets) / Double(Swift.max(step, 1)))
            .rounded()))
        return profileCycles(spec) * perBucket
    }

    private mutating func decide(at i: Int) {
        step = medianStep(times, in: Swift.max(0, i - Walker.decisionLookback)..<i)
        let look = Array(trainedIdx.suffix(Walker.decisionLookback))
        let capacity = { (spec: SeasonSpec) in self.profileCapacity(spec) }
        let new = chooseModel(times: times, values: values, idx: look, step: step, options: options,
                              profileCapacity: capacity)
        if let old = choice, old.sameStructure(as: new) {
            if !new.watchDrift { cusumUp = 0; cusumDown = 0 }
            if new.method == .holtWinters {
                hw?.alpha = new.alpha
                hw?.beta = new.beta
            }
            choice = new
        } else {
            // A different model re-learns from the raw history: points the old model flagged (and trained
            // censored) may be normal for the new one; the build censors what the new model finds extreme.
            for j in look where trainValues[j] != values[j] { trainValues[j] = values[j] }
            build(new, at: i, lookback: look)
            choice = new
            let d = new.description
            if let k = models.firstIndex(of: d) { currentModel = UInt8(k) }
            else if models.count < 255 { models.append(d); currentModel = UInt8(models.count - 1) }
        }
        let have = trainedIdx.count
        nextDecision = Swift.max(have + 16, 2 * have)
    }

    /// The trained points of the current regime inside the training window at point i.
    private func regime(at i: Int) -> [Int] {
        let now = times[i]
        var out: [Int] = []
        var k = trainedIdx.count - 1
        while k >= 0 && out.count < maxPoints {
            let j = trainedIdx[k]
            if j < segmentStart { break }
            if timeGap(now, times[j]) > maxAge && out.count >= minimumLevelPoints { break }
            out.append(j)
            k -= 1
        }
        return out.reversed()
    }

    private mutating func build(_ c: ModelChoice, at i: Int, lookback: [Int]) {
        cusumUp = 0
        cusumDown = 0
        let carried: Prediction? = choice != nil ? predict(at: times[i]) : nil
        let reg = regime(at: i)
        level = nil
        seasonal = nil
        hw = nil
        func seasonalProfile(_ spec: SeasonSpec) -> (SeasonalProfile, [(t: Int64, d: Double)]) {
            let prof = SeasonalProfile(spec: spec, capacity: profileCapacity(spec))
            let horizon = timeShift(times[i], by: -Int64(profileCycles(spec)) * spec.period)
            let recent = lookback.filter { times[$0] >= horizon && trainValues[$0] == values[$0] }
            return (prof, detrendByCycle(times: times, values: trainValues, idx: recent, spec: spec, ramps: c.rampLevels))
        }
        switch c.method {
        case .level, .auto:
            var m = RobustLevelModel(maxPoints: maxPoints, maxAge: maxAge)
            for j in reg { m.learn(times[j], trainValues[j], kind: trainValues[j] != values[j] ? trainKinds[j] : .clean) }
            m.censor(sensitivity: options.sensitivity)
            if m.count < minimumLevelPoints, let carried { m.prior = (carried.spread, carried.support) }
            level = m
        case .seasonal:
            let spec = c.season!
            let (prof, detrended) = seasonalProfile(spec)
            var m = SeasonalModel(profile: prof, maxPoints: maxPoints, maxAge: maxAge)
            m.load(times: times, values: trainValues, regime: reg, detrended: detrended,
                   sensitivity: options.sensitivity)
            if reg.count < minimumLevelPoints, let carried { m.prior = (carried.spread, carried.support) }
            seasonal = m
        case .holtWinters:
            var prof: SeasonalProfile? = nil
            if let spec = c.season {
                var (p, detrended) = seasonalProfile(spec)
                p.load(detrended)
                p.center()
                prof = p
            }
            var m = HoltWintersModel(alpha: c.alpha, beta: c.beta, step: step, profile: prof,
                                     maxPoints: maxPoints, maxAge: maxAge)
            for j in lookback {
                m.learn(times[j], trainValues[j], kind: trainValues[j] != values[j] ? trainKinds[j] : .clean,
                        recordResidual: j >= segmentStart)
            }
            m.censorResiduals(sensitivity: options.sensitivity)
            if reg.count < 2 * minimumLevelPoints {
                // Few one-step residuals yet (none at all on a first build from ten points, where a band of
                // nothing flagged nearly every point): the spread carried from the previous model, or on a first
                // build the robust level's spread of the same points, until the residuals are enough.
                if let carried {
                    m.prior = (carried.spread, carried.support)
                } else {
                    var lm = RobustLevelModel(maxPoints: maxPoints, maxAge: maxAge)
                    for j in reg where trainValues[j] == values[j] { lm.learn(times[j], trainValues[j]) }
                    if lm.count >= minimumLevelPoints { let p = lm.predict(); m.prior = (p.spread, p.support) }
                }
            }
            hw = m
        }
    }

    /// Whether the recent outside points move away steadily (a ramp such as growing staleness or a drift):
    /// the median |deviation| of the later half of them exceeds the earlier half's by more than a quarter.
    private func recentDeviationsTrend() -> Bool {
        var devs: [Double] = []
        for r in recent.inOrder where r.outside {
            let j = r.index
            let x = values[j]
            let d = x > expected[j] ? (x - expected[j]) : (expected[j] - x)
            devs.append(d)
        }
        guard devs.count >= 4 else { return false }
        let half = devs.count / 2
        let early = median(Array(devs[0..<half]))
        let late = median(Array(devs[(devs.count - half)...]))
        return late > 1.25 * early
    }

    /// Separate alert events (runs of consecutive outside points) among the recent outcomes.
    private func alertRuns() -> Int {
        var runs = 0
        var previous = false
        for r in recent.inOrder {
            if r.outside && !previous { runs += 1 }
            previous = r.outside
        }
        return runs
    }

    /// Accepts a changed regime after frequent alerts: the recent flagged points train with their real values
    /// (no longer censored) and the model is rebuilt, so the band takes in the new spread or pattern.
    private mutating func regimeChange(at i: Int) {
        for r in recent.inOrder where r.outside && !trainValues[r.index].isNaN { trainValues[r.index] = values[r.index] }
        recent.removeAll()
        recentOutside = 0
        shift.reset()
        if let c = choice { build(c, at: i, lookback: Array(trainedIdx.suffix(Walker.decisionLookback))) }
    }

    /// Accepts a persistent level shift: the run's points become the start of a new regime.
    private mutating func rebaseline(run: [Int], prediction: Prediction) {
        cusumUp = 0
        cusumDown = 0
        // The run's points trained censored; from now on they count with their real values.
        segmentStart = run[0]
        for j in run {
            trainValues[j] = values[j]
            if allInteger && !isInteger(values[j]) { allInteger = false }
        }
        switch choice?.method ?? .level {
        case .level, .auto: level?.rebaseline(times: times, values: values, indices: run, spread: prediction)
        case .seasonal: seasonal?.rebaseline(times: times, values: values, indices: run, spread: prediction)
        case .holtWinters: hw?.rebaseline(times: times, values: values, indices: run, spread: prediction)
        }
    }

    // MARK: - Forecast

    mutating func forecast(horizon: Int) -> Forecast {
        let n = times.count
        guard horizon > 0, n > 0 else {
            return Forecast(times: [], expected: [], lower: [], upper: [], model: nil, needed: 0)
        }
        if choice == nil {
            let needed = pointsNeeded(before: n)
            if needed.count > 0 {
                return Forecast(times: [], expected: [], lower: [], upper: [], model: nil, needed: needed.count)
            }
            decide(at: n - 1)
        }
        let st = Swift.max(step, medianStep(times, in: Swift.max(0, n - 4096)..<n), 1)
        var f = Forecast(times: [], expected: [], lower: [], upper: [], model: choice?.description, needed: 0)
        let last = times[n - 1]
        for h in 1...horizon {
            // The forecast ends with the range of times (the last is one millisecond before Int64.max).
            let (offset, overflow) = Int64(h).multipliedReportingOverflow(by: st)
            let t = overflow ? Int64.max : timeShift(last, by: offset)
            if t == .max { break }
            let p = predict(at: t)
            var widen = 1.0
            if choice?.method == .holtWinters, let a = hw?.alpha { widen = (1 + a * a * Double(h - 1)).squareRoot() }
            var b = band(p, widen: widen)
            // A series never negative is forecast as such, as its verdicts are.
            let e = floorAtZero(p.expected, &b)
            f.times.append(t)
            f.expected.append(e)
            f.lower.append(b.lower)
            f.upper.append(b.upper)
        }
        return f
    }
}

/// A fixed-size ring of the latest judged points' outcomes.
struct RecentOutcomes {
    private var items: [(index: Int, outside: Bool)] = []
    private var start = 0
    let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Appends an outcome; returns the one that fell out, if the ring was full.
    mutating func push(index: Int, outside: Bool) -> (index: Int, outside: Bool)? {
        if items.count < capacity {
            items.append((index, outside))
            return nil
        }
        let old = items[start]
        items[start] = (index, outside)
        start = (start + 1) % capacity
        return old
    }

    mutating func removeAll() {
        items.removeAll(keepingCapacity: true)
        start = 0
    }

    /// Outcomes oldest first.
    var inOrder: [(index: Int, outside: Bool)] { Array(items[start...] + items[..<start]) }
}

/// An expected range around a prediction, with its two half-widths.
struct Band {
    var lower: Double
    var upper: Double
    var halfUp: Double
    var halfDown: Double
}

/// The options that decide how wide an expected range is, apart from the model's own spread. A small value the
/// walk keeps next to its state, so computing a band copies four words, not the walker (over 1.6 kB) or the options.
struct BandRule {
    let sensitivity: Double
    let ignoreBelow: Double
    let direction: AnomalyDirection
    /// Two-sided tail probability at the sensitivity (the Poisson range of low-volume counts is taken at it).
    let tail: Double

    /// The expected range: sensitivity × robust σ on each side, widened for small samples (t-style, see below)
    /// and for the uncertainty of the expected value (a seasonal effect resting on m cycles: √(1 + 1.57/m)),
    /// for integer counts (at least ±1, and for means up to 100 at least the Poisson range at the same tail
    /// probability), for zero-inflated counts (covering every value seen twice in the window), and by
    /// `ignoreBelow`; one side is dropped for a one-directional check.
    func band(_ p: Prediction, widen: Double, allInteger: Bool, shape: SeriesShape?) -> Band {
        let s = sensitivity
        // Small-sample widening: a Student-t style correction of the band's quantile, 1 + (s² + 1) / (4ν),
        // with ν ≈ 0.37·n effective degrees of freedom for a quantile-based scale from n points.
        let dof = Swift.max(1, 0.37 * Double(Swift.max(p.support, 1)))
        let inflation = (1 + (s * s + 1) / (4 * dof)) * widen * p.widen
        var up = s * p.spread.up * inflation
        var down = s * p.spread.down * inflation
        let e = p.expected
        let eps = 1e-9 * Swift.abs(e)
        up = Swift.max(up, eps)
        down = Swift.max(down, eps)
        if allInteger && shape != .constant {
            up = Swift.max(up, 1)
            down = Swift.max(down, 1)
        }
        if shape == .zeroInflated, let env = p.envelope {
            up = Swift.max(up, env.high - e)
            down = Swift.max(down, e - env.low)
        }
        if allInteger && shape != .constant, let mean = p.mean, mean >= 0, mean <= 100 {
            // Low-volume counts are at least Poisson-noisy.
            let range = poissonRange(lambda: mean, tail: tail / 2)
            up = Swift.max(up, range.high - e)
            down = Swift.max(down, e - range.low)
        }
        if ignoreBelow > 0 {
            let floor = ignoreBelow / 100 * Swift.abs(e)
            up = Swift.max(up, floor)
            down = Swift.max(down, floor)
        }
        var b = Band(lower: e - down, upper: e + up, halfUp: up, halfDown: down)
        if direction == .up { b.lower = -.infinity }
        if direction == .down { b.upper = .infinity }
        return b
    }
}
