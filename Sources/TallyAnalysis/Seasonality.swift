/// Milliseconds in an hour, a day and a week.
let hourMs: Int64 = 3_600_000
let dayMs: Int64 = 86_400_000
let weekMs: Int64 = 7 * 86_400_000

/// A seasonal period split into phase buckets. Phases come from the real timestamps (UTC, epoch-aligned),
/// so missing scans and irregular scan times never shift the pattern.
struct SeasonSpec: Hashable, Sendable {
    let period: Int64
    let buckets: Int

    /// The bucket layout for a period given the series' typical step: one bucket per step, at most 288
    /// (5-minute buckets over a day), with the bucket width a whole number of steps.
    init(period: Int64, step: Int64) {
        self.period = period
        let perPeriod = step > 0 ? Double(period) / Double(step) : 168
        var b = Swift.max(2, Int(perPeriod.rounded()))
        if b > 288 {
            let stepsPerBucket = (Double(b) / 288).rounded(.up)
            b = Swift.max(2, Int((perPeriod / stepsPerBucket).rounded()))
        }
        buckets = b
    }

    @inline(__always)
    func bucket(_ t: Int64) -> Int {
        var phase = t % period
        if phase < 0 { phase += period }
        let b = Int(Double(phase) * Double(buckets) / Double(period))
        return b < buckets ? b : buckets - 1
    }

    /// A short human name: "daily", "weekly", "hour-of-week", or "every 6h".
    var name: String {
        if period == dayMs { return "daily" }
        if period == weekMs { return buckets >= 48 ? "daily and weekly" : "weekly" }
        return "every " + formatDuration(period)
    }
}

/// Per-bucket robust seasonal effects: each bucket keeps its last few detrended values (FIFO) and uses their
/// median as the effect, so one past incident moves an effect only if it fills half a bucket's memory.
///
/// Each bucket's values are also kept sorted, updated by one removal and one insertion per value (a few moves in
/// a bucket of 8), so the effect is read off the middle instead of sorting the bucket after every value.
struct SeasonalProfile {
    let spec: SeasonSpec
    let capacity: Int
    /// Ring buffers, flat: bucket b owns slots [b·capacity, (b+1)·capacity).
    private var slots: [Double]
    /// The same values sorted, flat: bucket b's are [b·capacity, b·capacity + counts[b]).
    private var ordered: [Double]
    /// A NaN was added (it has no place in a sorted order), or a shift was not finite: `ordered` is no longer
    /// kept, and every effect is sorted afresh from the ring, as before.
    private var unordered = false
    private var counts: [Int]
    private var starts: [Int]
    private(set) var effects: [Double]
    private var scratch: [Double]

    init(spec: SeasonSpec, capacity: Int) {
        self.spec = spec
        self.capacity = Swift.max(1, capacity)
        slots = Array(repeating: 0, count: spec.buckets * self.capacity)
        ordered = Array(repeating: 0, count: spec.buckets * self.capacity)
        counts = Array(repeating: 0, count: spec.buckets)
        starts = Array(repeating: 0, count: spec.buckets)
        effects = Array(repeating: 0, count: spec.buckets)
        scratch = Array(repeating: 0, count: self.capacity)
    }

    @inline(__always)
    func effect(_ b: Int) -> Double { effects[b] }

    @inline(__always)
    func count(_ b: Int) -> Int { counts[b] }

    /// Adds d to bucket b's ring, and to its sorted values unless `sorting` is false (then `sortOrdered(_:)`
    /// must run before the bucket's next `recompute(_:)`).
    @inline(__always)
    private mutating func push(_ b: Int, _ d: Double, sorting: Bool = true) {
        let base = b * capacity
        let n = counts[b]
        if d.isNaN { unordered = true }
        if n < capacity {
            slots[base + (starts[b] + n) % capacity] = d
            counts[b] = n + 1
            if sorting && !unordered { placeOrdered(base: base, count: n + 1, hole: n, d) }
        } else {
            let old = slots[base + starts[b]]
            slots[base + starts[b]] = d
            starts[b] = (starts[b] + 1) % capacity
            guard sorting && !unordered else { return }
            // The slot of a value equal to the one that left (the same value, up to the sign of a zero).
            var r = 0
            while r < n && ordered[base + r] != old { r += 1 }
            if r == n { unordered = true; return }
            placeOrdered(base: base, count: n, hole: r, d)
        }
    }

    /// Puts d into bucket `base`'s sorted values (`count` of them, including d) whose slot `hole` is free: moves
    /// the hole to d's place in the order.
    @inline(__always)
    private mutating func placeOrdered(base: Int, count n: Int, hole: Int, _ d: Double) {
        ordered.withUnsafeMutableBufferPointer { all in
            let p = all.baseAddress! + base
            var k = hole
            while k + 1 < n && p[k + 1] < d { p[k] = p[k + 1]; k += 1 }
            while k > 0 && p[k - 1] > d { p[k] = p[k - 1]; k -= 1 }
            p[k] = d
        }
    }

    /// Sorts bucket b's values afresh from its ring.
    private mutating func sortOrdered(_ b: Int) {
        guard !unordered else { return }
        let base = b * capacity
        let n = counts[b]
        for k in 0..<n { ordered[base + k] = slots[base + k] }
        ordered.withUnsafeMutableBufferPointer { insertionSort($0.baseAddress! + base, count: n) }
    }

    private mutating func recompute(_ b: Int) {
        let n = counts[b]
        guard n > 0 else { effects[b] = 0; return }
        let base = b * capacity
        if !unordered {
            // The middle order statistics. A nonzero one has a single bit pattern, whatever the order of equal
            // values; a zero may be +0 or −0 depending on that order, so zeros take the way below, as before.
            let lo = ordered[base + (n - 1) >> 1], hi = ordered[base + n >> 1]
            if lo != 0 && hi != 0 {
                effects[b] = n & 1 == 1 ? hi : 0.5 * (lo + hi)
                return
            }
        }
        if n > 16 {
            scratch.removeAll(keepingCapacity: true)
            for k in 0..<n { scratch.append(slots[base + k]) }
            effects[b] = medianInPlace(&scratch)
            return
        }
        // Small rings: insertion sort in a stack buffer.
        effects[b] = slots.withUnsafeBufferPointer { src in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: n) { p in
                for k in 0..<n { p[k] = src[base + k] }
                insertionSort(p.baseAddress!, count: n)
                return n & 1 == 1 ? p[n >> 1] : 0.5 * (p[(n >> 1) - 1] + p[n >> 1])
            }
        }
    }

    mutating func add(bucket b: Int, _ d: Double) {
        push(b, d)
        recompute(b)
    }

    /// Loads many detrended values at once (time order), computing each bucket's median once at the end.
    mutating func load(_ items: [(t: Int64, d: Double)]) {
        load(buckets: items.map { spec.bucket($0.t) }, detrended: items.map(\.d))
    }

    /// `load(_:)` with each value's bucket given.
    mutating func load(buckets: [Int], detrended: [Double]) {
        var touched = Array(repeating: false, count: spec.buckets)
        for (b, d) in zip(buckets, detrended) {
            push(b, d, sorting: false)
            touched[b] = true
        }
        for b in 0..<spec.buckets where touched[b] {
            sortOrdered(b)
            recompute(b)
        }
    }

    /// Multiplies every effect by `factor` (> 0, finite): the pattern of a level that changed by that factor.
    mutating func scale(by factor: Double) {
        precondition(factor > 0 && factor.isFinite, "SeasonalProfile.scale: the factor must be positive and finite")
        for b in 0..<spec.buckets where counts[b] > 0 {
            effects[b] *= factor
            // A positive factor keeps the sorted copy sorted.
            for k in 0..<counts[b] {
                slots[b * capacity + k] *= factor
                ordered[b * capacity + k] *= factor
            }
        }
    }

    /// Shifts every effect so their mean is zero (the level absorbs the offset).
    mutating func center() {
        var sum = 0.0, n = 0
        for b in 0..<spec.buckets where counts[b] > 0 { sum += effects[b]; n += 1 }
        guard n > 0 else { return }
        let m = sum / Double(n)
        if !m.isFinite { unordered = true }
        for b in 0..<spec.buckets where counts[b] > 0 {
            effects[b] -= m
            // The same shift keeps the sorted copy sorted and equal to the ring.
            for k in 0..<counts[b] {
                slots[b * capacity + k] -= m
                ordered[b * capacity + k] -= m
            }
        }
    }
}

/// A candidate season measured over trained points (see `seasonalFit`).
struct SeasonalFit {
    /// The season measured.
    var spec: SeasonSpec
    /// Seasonal strength: about 0 for noise, near 1 for a clean pattern.
    var strength: Double
    /// The bucket of each point.
    var buckets: [Int]
    /// Each point minus its cycle's level (see `cycleLevels`), what a profile of these points is built from.
    var detrended: [Double]
}

/// Seasonal strength of a candidate layout over the points `idx` — one minus the share of (cycle-detrended)
/// absolute deviation that the bucket effects leave unexplained, corrected for what bucket medians explain in
/// pure noise with this many points per bucket — with the buckets and detrended values computed on the way (the
/// profile of the season chosen is built from them, see `chooseModel`). Nil when fewer than two full periods or
/// too few points per bucket are available. `cycle` (the season's period unless given) is the period whose medians
/// are taken away first: a longer one measures the profile on the footing of a longer season's (see
/// `detectSeason`); with `ramps`, a line through those medians (`cycleLevels`) is taken away instead.
func seasonalFit(times: [Int64], values: [Double], idx: [Int], spec: SeasonSpec, step: Int64,
                 cycle: Int64? = nil, ramps: Bool = false) -> SeasonalFit? {
    let cycle = Swift.max(cycle ?? spec.period, spec.period)
    guard idx.count >= 2 * spec.buckets, let first = idx.first, let last = idx.last,
          timeGap(times[last], times[first]) >= timeShift(timeShift(2 * cycle, by: -step), by: -(step / 2)) else { return nil }
    // Per-cycle medians remove slow level changes (trend, shifts) without touching the within-cycle pattern.
    let levels = cycleLevels(times: times, values: values, idx: idx, period: cycle, ramps: ramps)
    // Group the detrended values by bucket with a counting sort (one flat buffer, no per-bucket arrays).
    let nb = spec.buckets
    var bucketOf = Array(repeating: 0, count: idx.count)
    var sizes = Array(repeating: 0, count: nb + 1)
    for (k, i) in idx.enumerated() {
        let b = spec.bucket(times[i])
        bucketOf[k] = b
        sizes[b + 1] += 1
    }
    for b in 0..<nb { sizes[b + 1] += sizes[b] }
    var fill = sizes
    var grouped = Array(repeating: 0.0, count: idx.count)
    var detrended = Array(repeating: 0.0, count: idx.count)
    for (k, i) in idx.enumerated() {
        let d = values[i] - levels[k]
        detrended[k] = d
        grouped[fill[bucketOf[k]]] = d
        fill[bucketOf[k]] += 1
    }
    var populated = 0
    var effect = Array(repeating: 0.0, count: nb)
    var buffer: [Double] = []
    for b in 0..<nb where sizes[b + 1] - sizes[b] >= 2 {
        populated += 1
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: grouped[sizes[b]..<sizes[b + 1]])
        effect[b] = medianInPlace(&buffer)
    }
    guard populated * 5 >= spec.buckets * 4, detrended.count >= 2 * spec.buckets else { return nil }
    var total = 0.0, rest = 0.0
    for k in 0..<detrended.count {
        total += Swift.abs(detrended[k])
        rest += Swift.abs(detrended[k] - effect[bucketOf[k]])
    }
    guard total > 0 else { return nil }
    let raw = 1 - rest / total
    let perBucketCount = Double(detrended.count) / Double(spec.buckets)
    let chance = 1 - (Swift.max(perBucketCount - 1, 0) / perBucketCount).squareRoot()
    return SeasonalFit(spec: spec, strength: (raw - chance) / (1 - chance), buckets: bucketOf, detrended: detrended)
}

/// The level of each point's cycle: cycles are consecutive periods starting at the first point; a cycle with at
/// least 3/4 of the points of the fullest cycle uses its own median, an incomplete one (usually the last) borrows
/// the median of the nearest complete cycle, so a partial cycle never biases the pattern.
///
/// With `ramps`, the level is a line through the medians of the complete cycles, each placed at its cycle's
/// middle, extended at both ends by the nearest segment for at most one period (see `rampLevel`). Steps drop level shifts between
/// cycles out of the pattern; ramps drop a steady trend out of it, which steps leave inside every cycle.
func cycleLevels(times: [Int64], values: [Double], idx: [Int], period: Int64, ramps: Bool = false) -> [Double] {
    guard let first = idx.first else { return [] }
    let t0 = times[first]
    // idx is in time order, so each cycle is a contiguous run of idx. Only cycles with points are listed, each
    // with its number (cycles since the first point's), so a long gap costs nothing.
    var bounds: [Int] = []
    var numbers: [Int64] = []
    for (k, i) in idx.enumerated() {
        let c = timeGap(times[i], t0) / period
        if numbers.last != c {
            bounds.append(k)
            numbers.append(c)
        }
    }
    bounds.append(idx.count)
    let cycles = numbers.count
    var fullest = 0
    for c in 0..<cycles { fullest = Swift.max(fullest, bounds[c + 1] - bounds[c]) }
    var level = Array(repeating: Double.nan, count: cycles)
    var buffer: [Double] = []
    buffer.reserveCapacity(fullest)
    for c in 0..<cycles {
        let n = bounds[c + 1] - bounds[c]
        guard n * 4 >= fullest * 3 && n >= 2 else { continue }
        buffer.removeAll(keepingCapacity: true)
        for k in bounds[c]..<bounds[c + 1] { buffer.append(values[idx[k]]) }
        level[c] = medianInPlace(&buffer)
    }
    if level.allSatisfy({ $0.isNaN }) {
        let m = median(idx.map { values[$0] })
        return Array(repeating: m, count: idx.count)
    }
    // Borrow from the nearest complete cycle, counted in cycles; on a tie the earlier one.
    var previous = Array(repeating: -1, count: cycles)
    var last = -1
    for c in 0..<cycles {
        previous[c] = last
        if !level[c].isNaN { last = c }
    }
    var filled = level
    var next = -1
    for c in stride(from: cycles - 1, through: 0, by: -1) {
        if filled[c].isNaN {
            let p = previous[c]
            if p >= 0 && (next < 0 || numbers[c] - numbers[p] <= numbers[next] - numbers[c]) { filled[c] = level[p] }
            else { filled[c] = level[next] }
        } else {
            next = c
        }
    }
    var out = Array(repeating: 0.0, count: idx.count)
    if ramps {
        var anchors: [(t: Double, level: Double)] = []
        for c in 0..<cycles where !level[c].isNaN {
            anchors.append((Double(t0) + (Double(numbers[c]) + 0.5) * Double(period), level[c]))
        }
        if anchors.count >= 2 {
            // Extended at most one period beyond the outer anchors, so a point after a long gap gets a level near
            // the data rather than one carried along the slope for the whole gap.
            let earliest = anchors[0].t - Double(period), latest = anchors[anchors.count - 1].t + Double(period)
            for (k, i) in idx.enumerated() {
                out[k] = rampLevel(at: Swift.min(Swift.max(Double(times[i]), earliest), latest), anchors: anchors)
            }
            return out
        }
    }
    for c in 0..<cycles {
        for k in bounds[c]..<bounds[c + 1] { out[k] = filled[c] }
    }
    return out
}

/// The level at time `t` on the line through `anchors` (time order, at least two): interpolated between the
/// anchors around `t`, extended by the first or last segment before the first anchor or after the last.
func rampLevel(at t: Double, anchors: [(t: Double, level: Double)]) -> Double {
    var hi = 1
    while hi < anchors.count - 1 && anchors[hi].t < t { hi += 1 }
    let a = anchors[hi - 1], b = anchors[hi]
    return a.level + (b.level - a.level) * (t - a.t) / (b.t - a.t)
}

/// True when the points `idx` lie on one straight line in time, to rounding (the least-squares line leaves no
/// residual larger than 1e-9 of the largest value).
func liesOnALine(times: [Int64], values: [Double], idx: [Int]) -> Bool {
    guard idx.count >= 3, let first = idx.first else { return false }
    let t0 = Double(times[first]), n = Double(idx.count)
    var st = 0.0, sv = 0.0, stt = 0.0, stv = 0.0, scale = 0.0
    for i in idx {
        let t = Double(times[i]) - t0, v = values[i]
        st += t; sv += v; stt += t * t; stv += t * v
        scale = Swift.max(scale, Swift.abs(v))
    }
    let denominator = n * stt - st * st
    guard denominator > 0, scale.isFinite else { return false }
    let slope = (n * stv - st * sv) / denominator
    let intercept = (sv - slope * st) / n
    let tolerance = 1e-9 * Swift.max(scale, 1)
    return idx.allSatisfy { Swift.abs(values[$0] - (intercept + slope * (Double(times[$0]) - t0))) <= tolerance }
}

/// Scans at most this far apart (at least four per hour) are also tested for an hourly cycle.
let hourlySeasonMaxStep: Int64 = 15 * 60_000

/// Seasonal strength needed before a season is used automatically.
let seasonalStrengthThreshold = 0.3

/// Picks the season for `season: auto` from the trained points `idx`, given the typical step.
/// Candidates: daily for steps up to 3 hours; hourly for steps up to 15 minutes, chosen over daily when clearly
/// stronger; weekly (day-of-week) for steps from 3 hours to 1.5 days;
/// hour-of-week ("daily and weekly") for steps up to 1 hour once two weeks exist, chosen over daily when clearly
/// stronger on one footing: both measured on values less a line through their weeks' medians (measured on values
/// less their own day's median, the daily profile looks as strong as one that also knows the weekend, though its
/// model cannot follow a weekend's change of level; the line keeps a steady trend, the same in every week, from
/// passing for a weekly shape). Returns the chosen season's measurements (see `seasonalFit`).
func detectSeason(times: [Int64], values: [Double], idx: [Int], step: Int64) -> SeasonalFit? {
    // Points on one straight line (a table that grows by exactly as much every scan) have no season: taking each
    // cycle's median away leaves the same ramp in every cycle, which would pass for a pattern.
    guard step > 0, !liesOnALine(times: times, values: values, idx: idx) else { return nil }
    func fit(_ spec: SeasonSpec) -> SeasonalFit? {
        seasonalFit(times: times, values: values, idx: idx, spec: spec, step: step)
    }
    if step <= 3 * hourMs {
        var best = fit(SeasonSpec(period: dayMs, step: step)).flatMap { $0.strength >= seasonalStrengthThreshold ? $0 : nil }
        // A later candidate wins only when clearly stronger than the one before it.
        func bar() -> Double { Swift.max(seasonalStrengthThreshold, best.map { $0.strength + 0.1 } ?? 0) }
        if step <= hourlySeasonMaxStep {
            // An hourly cycle in minute-level telemetry (a batch job at the same minute of every hour). Each hour
            // is detrended by its own median, so this measures the within-hour pattern only.
            if let hourly = fit(SeasonSpec(period: hourMs, step: step)), hourly.strength >= bar() { best = hourly }
        }
        if step <= hourMs, let weekly = fit(SeasonSpec(period: weekMs, step: hourMs)) {
            // The daily profile's rival strength on the weekly footing: a weekday/weekend level change that each
            // day's median hides from it is what it leaves unexplained in the model.
            if let daily = best, daily.spec.period == dayMs {
                func onWeeks(_ spec: SeasonSpec) -> Double? {
                    seasonalFit(times: times, values: values, idx: idx, spec: spec, step: step, cycle: weekMs, ramps: true)?.strength
                }
                if weekly.strength >= seasonalStrengthThreshold, let dailyOnWeeks = onWeeks(daily.spec),
                   let weeklyOnWeeks = onWeeks(weekly.spec), weeklyOnWeeks >= dailyOnWeeks + 0.1 {
                    best = weekly
                }
            } else if weekly.strength >= bar() {
                best = weekly
            }
        }
        return best
    }
    if step <= 36 * hourMs, let weekly = fit(SeasonSpec(period: weekMs, step: step)),
       weekly.strength >= seasonalStrengthThreshold {
        return weekly
    }
    return nil
}
