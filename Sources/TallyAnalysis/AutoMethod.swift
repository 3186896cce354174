/// What the detector decided to use for a series at a checkpoint.
struct ModelChoice: Equatable {
    var method: AnomalyMethod
    var season: SeasonSpec?
    var shape: SeriesShape
    var alpha = 0.3
    var beta = 0.0
    /// The residuals look independent (lag-1 autocorrelation below 0.3), so a CUSUM drift watch is meaningful.
    var watchDrift = false

    var description: ModelDescription {
        ModelDescription(method: method, seasonPeriod: season?.period, seasonBuckets: season?.buckets ?? 0,
                         shape: shape)
    }

    /// Same model structure (a change of α/β alone does not need a rebuild).
    func sameStructure(as other: ModelChoice) -> Bool {
        method == other.method && season == other.season && shape == other.shape
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
///    (with the season if any);
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
    /// from the buckets and detrended values that detecting the season already computed, if it did.
    func seasonalEffects(_ spec: SeasonSpec) -> [Double] {
        let fit = seasonFit?.spec == spec ? seasonFit : nil
        let buckets = fit?.buckets ?? idx.map { spec.bucket(times[$0]) }
        let detrended = fit?.detrended ?? detrendByCycle(times: times, values: values, idx: idx, spec: spec).map(\.d)
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
            && lagOneAutocorrelation(deseasonalized(season.map(seasonalEffects))) < driftAutocorrelationGate
        return c
    case .holtWinters:
        let effects = season.map(seasonalEffects)
        let fit = fitHolt(HoltReplay(times: times, values: values, idx: idx, step: step, effects: effects))
        return ModelChoice(method: .holtWinters, season: season, shape: shape, alpha: fit.alpha, beta: fit.beta)
    case .auto:
        if zeroInflated { return ModelChoice(method: .level, season: nil, shape: shape) }
        let effects = season.map(seasonalEffects)
        let adjusted = deseasonalized(effects)
        var base = ModelChoice(method: season == nil ? .level : .seasonal, season: season, shape: shape)
        base.watchDrift = lagOneAutocorrelation(adjusted) < driftAutocorrelationGate
        guard isTrending(adjusted) else { return base }
        let m = median(adjusted)
        var errLevel = 0.0
        for a in adjusted { errLevel += Swift.abs(a - m) }
        errLevel /= Double(adjusted.count)
        let fit = fitHolt(HoltReplay(times: times, values: values, idx: idx, step: step, effects: effects))
        guard fit.error < trendErrorRatio * errLevel else { return base }
        return ModelChoice(method: .holtWinters, season: season, shape: shape, alpha: fit.alpha, beta: fit.beta)
    }
}

/// History needed before the first verdict: a point count and a time span.
///
/// * level, holt_winters: 10 points;
/// * seasonal (or holt_winters with a fixed season): two full periods, and 10 points;
/// * auto: enough to see the season it may need: two days of points for scans up to every 3 hours, two weeks
///   for scans every 3 hours to 1.5 days (e.g. 14 daily scans), else 10 points.
func minimumHistory(options: AnomalyOptions, step: Int64) -> (points: Int, span: Int64) {
    var span: Int64 = 0
    switch options.season {
    case .period(let p) where options.method != .level:
        span = p <= maxSeasonPeriod ? 2 * p : 0   // a longer period is no season (see `chooseModel`)
    case .none:
        span = 0
    default:
        if options.method == .auto || options.method == .seasonal {
            if step > 0 && step <= 3 * hourMs { span = 2 * dayMs }
            else if step > 0 && step <= 36 * hourMs { span = 2 * weekMs }
        }
    }
    // n points cover (n − 1) steps.
    if span > 0 { span -= Swift.max(step, 0) }
    return (minimumLevelPoints, span)
}
