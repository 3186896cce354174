/// What the detector decided to use for a series at a checkpoint.
struct ModelChoice: Equatable {
    var method: AnomalyMethod
    var season: SeasonSpec?
    var shape: SeriesShape
    var alpha = 0.3
    var beta = 0.0
    /// The residuals look independent (lag-1 autocorrelation below 0.3), so a CUSUM drift watch is meaningful.
    var watchDrift = false
    /// The seasonal profile is built from values detrended by a line through the cycles' levels, not by steps
    /// (see `cycleLevels`): chosen for a trend that only shows once the profile stops absorbing it.
    var rampLevels = false

    var description: ModelDescription {
        ModelDescription(method: method, seasonPeriod: season?.period, seasonBuckets: season?.buckets ?? 0,
                         shape: shape)
    }

    /// Same model structure (a change of α/β alone does not need a rebuild).
    func sameStructure(as other: ModelChoice) -> Bool {
        method == other.method && season == other.season && shape == other.shape && rampLevels == other.rampLevels
    }
}

/// The drift watch runs only when the residuals' lag-1 autocorrelation is below this.
let driftAutocorrelationGate = 0.3

/// Lag-1 autocorrelation of a sample (Pearson, around its mean).
func lagOneAutocorrelation(_ v: [Double]) -> Double {
    guard v.count >= 3 else { return 1 }
    let mean = v.reduce(0, +) / Double(v.count)
    var sxx = 0.0, sxy = 0.0
    for k in v.indices {
        let c = v[k] - mean
        sxx += c * c
        if k > 0 { sxy += c * (v[k - 1] - mean) }
    }
    return sxx > 0 ? sxy / sxx : 1
}

/// True when the (deseasonalised) history trends: the medians of its six consecutive sixths move in one
/// direction step after step, and the total move exceeds 3 robust standard deviations of the spread within the
/// sixths. A wandering level (a random walk, a CPU gauge) rarely moves monotonically over six blocks; a growing
/// table does.
func isTrending(_ v: [Double]) -> Bool {
    let n = v.count
    guard n >= 12 else { return false }   // two points a block: 14 daily scans (the cold start) can show a trend
    var medians: [Double] = []
    var block: [Double] = []
    block.reserveCapacity(n / 6 + 1)
    for k in 0..<6 {
        block.removeAll(keepingCapacity: true)
        block.append(contentsOf: v[(k * n / 6)..<((k + 1) * n / 6)])
        medians.append(medianInPlace(&block))
    }
    var up = true, down = true
    for k in 1..<6 {
        if medians[k] <= medians[k - 1] { up = false }
        if medians[k] >= medians[k - 1] { down = false }
    }
    guard up || down else { return false }
    var spread: [Double] = []
    spread.reserveCapacity(n)
    for k in 0..<6 {
        for x in v[(k * n / 6)..<((k + 1) * n / 6)] { spread.append(Swift.abs(x - medians[k])) }
    }
    let sigma = 1.4826 * medianInPlace(&spread)
    return Swift.abs(medians[5] - medians[0]) > 3 * sigma
}
/// True when the medians of `v` (one value per point of `idx`, in time order) over each cycle of `period` that
/// holds at least two points rise from every such cycle to the next, or fall from every one to the next; false
/// with fewer than two such cycles.
func cycleMediansMoveOneWay(_ v: [Double], times: [Int64], idx: [Int], period: Int64) -> Bool {
    guard let first = idx.first, period > 0 else { return false }
    let t0 = times[first]
    var previous: Double? = nil
    var direction = 0
    var cycles = 0
    var buffer: [Double] = []
    var start = 0
    while start < idx.count {
        let cycle = timeGap(times[idx[start]], t0) / period
        var end = start + 1
        while end < idx.count && timeGap(times[idx[end]], t0) / period == cycle { end += 1 }
        if end - start >= 2 {
            buffer.removeAll(keepingCapacity: true)
            buffer.append(contentsOf: v[start..<end])
            let m = medianInPlace(&buffer)
            if let p = previous {
                let d = m > p ? 1 : (m < p ? -1 : 0)
                if d == 0 || (direction != 0 && d != direction) { return false }
                direction = d
            }
            previous = m
            cycles += 1
        }
        start = end
    }
    return cycles >= 2
}

/// The sum of absolute second differences of consecutive values: zero on a straight line, about 3.4σ a point on
/// noise of standard deviation σ, and a pair of jumps at each step of a staircase.
func roughness(_ v: [Double]) -> Double {
    guard v.count >= 3 else { return 0 }
    var sum = 0.0
    for k in 1..<(v.count - 1) { sum += Swift.abs(v[k + 1] - 2 * v[k] + v[k - 1]) }
    return sum
}

/// `auto` picks Holt-Winters when its one-step error is below this share of the level model's error.
let trendErrorRatio = 0.8

/// Chooses the model for `options` from the trained points `idx` (time order).
///
/// `method=auto` rules, in order:
/// 1. constant training data → level (any change alerts);
/// 2. at least half zeros (e.g. a missing-value count) → level, whose quantile-ladder band follows the rare
///    non-zero values instead of alerting on each;
/// 3. a season is detected (see `detectSeason(times:values:idx:step:)`) → the seasonal profile is used;
/// 4. the history trends (see `isTrending`: six consecutive blocks whose medians move one way, by more than
///    3 robust σ in total) and Holt-Winters' one-step error is below 80% of the level model's → holt_winters
///    (with the season if any). With a season, a history that does not trend when each cycle is detrended by
///    its median is tried again detrended by a line through the cycles' medians (a steady trend leaves its ramp
///    inside every cycle, where the profile takes it for pattern and the deseasonalised values climb in
///    steps), and holt_winters is chosen by the same two rules with that profile;
/// 5. otherwise level (or seasonal with a season).
/// Integer-only data is marked as counts (band at least ±1).
func chooseModel(times: [Int64], values: [Double], idx: [Int], step: Int64, options: AnomalyOptions,
                 profileCapacity: (SeasonSpec) -> Int) -> ModelChoice {
    var lo = Double.infinity, hi = -Double.infinity, zeros = 0, allInteger = true
    for j in idx {
        let x = values[j]
        lo = Swift.min(lo, x)
        hi = Swift.max(hi, x)
        if x == 0 { zeros += 1 }
        if allInteger && !isInteger(x) { allInteger = false }
    }
    if idx.isEmpty || hi - lo <= 1e-8 * Swift.max(Swift.abs(hi), Swift.abs(lo)) { return ModelChoice(method: .level, season: nil, shape: .constant) }
    let zeroInflated = zeros * 2 >= idx.count
    let shape: SeriesShape = zeroInflated ? .zeroInflated : (allInteger ? .counts : .regular)

    let span = timeGap(times[idx[idx.count - 1]], times[idx[0]])
    var season: SeasonSpec? = nil
    var seasonFit: SeasonalFit? = nil
    switch options.season {
    case .none: season = nil
    case .auto:
        if !zeroInflated, let found = detectSeason(times: times, values: values, idx: idx, step: step) {
            (season, seasonFit) = (found.spec, found)
        }
    case .period(let p):
        // A period must hold at least two scans to have a pattern (a 1h season on daily scans has none).
        if p <= maxSeasonPeriod, step <= p / 2, span >= 2 * p - Swift.max(step, 1) { season = SeasonSpec(period: p, step: step) }
    }

    /// Each point's seasonal effect under a profile of the points themselves (detrended by cycle, centred),
    /// from the buckets and detrended values that detecting the season already computed, if it did (it
    /// detrends by steps, not `ramps`).
    func seasonalEffects(_ spec: SeasonSpec, ramps: Bool = false) -> [Double] {
        let fit = seasonFit?.spec == spec && !ramps ? seasonFit : nil
        let buckets = fit?.buckets ?? idx.map { spec.bucket(times[$0]) }
        let detrended = fit?.detrended
            ?? detrendByCycle(times: times, values: values, idx: idx, spec: spec, ramps: ramps).map(\.d)
        var prof = SeasonalProfile(spec: spec, capacity: profileCapacity(spec))
        prof.load(buckets: buckets, detrended: detrended)
        prof.center()
        return buckets.map { prof.effect($0) }
    }

    func deseasonalized(_ effects: [Double]?) -> [Double] {
        var adjusted: [Double] = []
        adjusted.reserveCapacity(idx.count)
        for (k, j) in idx.enumerated() { adjusted.append(values[j] - (effects?[k] ?? 0)) }
        return adjusted
    }

    switch options.method {
    case .level:
        var c = ModelChoice(method: .level, season: nil, shape: shape)
        c.watchDrift = !zeroInflated && lagOneAutocorrelation(deseasonalized(nil)) < driftAutocorrelationGate
        return c
    case .seasonal:
        var c = ModelChoice(method: season == nil ? .level : .seasonal, season: season, shape: shape)
        c.watchDrift = !zeroInflated
            && lagOneAutocorrelation(deseasonalized(season.map { seasonalEffects($0) })) < driftAutocorrelationGate
        return c
    case .holtWinters:
        let effects = season.map { seasonalEffects($0) }
        let fit = fitHolt(HoltReplay(times: times, values: values, idx: idx, step: step, effects: effects))
        return ModelChoice(method: .holtWinters, season: season, shape: shape, alpha: fit.alpha, beta: fit.beta)
    case .auto:
        if zeroInflated { return ModelChoice(method: .level, season: nil, shape: shape) }
        let effects = season.map { seasonalEffects($0) }
        let adjusted = deseasonalized(effects)
        var base = ModelChoice(method: season == nil ? .level : .seasonal, season: season, shape: shape)
        base.watchDrift = lagOneAutocorrelation(adjusted) < driftAutocorrelationGate
        /// Holt-Winters when its one-step error is clearly below the median's.
        func trendChoice(effects: [Double]?, adjusted: [Double]) -> ModelChoice? {
            let m = median(adjusted)
            var errLevel = 0.0
            for a in adjusted { errLevel += Swift.abs(a - m) }
            errLevel /= Double(adjusted.count)
            let fit = fitHolt(HoltReplay(times: times, values: values, idx: idx, step: step, effects: effects))
            guard fit.error < trendErrorRatio * errLevel else { return nil }
            return ModelChoice(method: .holtWinters, season: season, shape: shape, alpha: fit.alpha, beta: fit.beta)
        }
        if isTrending(adjusted) { return trendChoice(effects: effects, adjusted: adjusted) ?? base }
        // A steady trend seen through step profiles is a staircase: one level per cycle, rising (or falling) from
        // each cycle to the next. Anything else keeps the step profile without building another.
        guard let spec = season,
              cycleMediansMoveOneWay(adjusted, times: times, idx: idx, period: spec.period) else { return base }
        let rampEffects = seasonalEffects(spec, ramps: true)
        let rampAdjusted = deseasonalized(rampEffects)
        // The ramps must also leave a clearly smoother path than the steps' staircase: on noisy data both paths
        // are as rough as the noise, and the step profile stays.
        guard isTrending(rampAdjusted), roughness(rampAdjusted) < 0.5 * roughness(adjusted),
              var trend = trendChoice(effects: rampEffects, adjusted: rampAdjusted) else { return base }
        trend.rampLevels = true
        return trend
    }
}

/// Whether the options may need a season's span of history once the scan interval is known (a fixed season, or a
/// method that looks for one): before it is, the cold-start count is a lower bound.
func mayNeedSeasonHistory(_ options: AnomalyOptions) -> Bool {
    seasonHistorySpan(options, step: nil) > 0
}

/// The span of history the season options need before the first verdict, at scans `step` apart: two periods of a
/// fixed season (none for a period too long to be a season, see `chooseModel`); for a method that looks for a
/// season, two days for scans up to every 3 hours, two weeks for scans every 3 hours to 1.5 days, else none.
/// `step` nil (not known yet): the most any step may need.
private func seasonHistorySpan(_ options: AnomalyOptions, step: Int64?) -> Int64 {
    switch options.season {
    case .period(let p) where options.method != .level:
        return p <= maxSeasonPeriod ? 2 * p : 0
    case .none:
        return 0
    default:
        guard options.method == .auto || options.method == .seasonal else { return 0 }
        guard let step else { return 2 * weekMs }
        if step > 0 && step <= 3 * hourMs { return 2 * dayMs }
        if step > 0 && step <= 36 * hourMs { return 2 * weekMs }
        return 0
    }
}

/// History needed before the first verdict: a point count and a time span.
///
/// * level, holt_winters: 10 points;
/// * seasonal (or holt_winters with a fixed season): two full periods, and 10 points;
/// * auto: enough to see the season it may need: two days of points for scans up to every 3 hours, two weeks
///   for scans every 3 hours to 1.5 days (e.g. 14 daily scans), else 10 points.
func minimumHistory(options: AnomalyOptions, step: Int64) -> (points: Int, span: Int64) {
    var span = seasonHistorySpan(options, step: step)
    // n points cover (n − 1) steps.
    if span > 0 { span -= Swift.max(step, 0) }
    return (minimumLevelPoints, span)
}
