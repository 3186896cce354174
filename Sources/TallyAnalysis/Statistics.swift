import Glibc

// Small numeric building blocks shared by the detectors: a sorted sliding window (rolling median and
// quantiles in O(log w) + one memmove), robust one-sided scales, the normal tail and a few batch helpers.

/// A multiset of doubles kept sorted, for rolling medians and quantiles.
///
/// Insert and remove are a search plus one `memmove` (O(w) bytes, but a very fast O(w)), and every order
/// statistic is O(1) afterwards. The walk never inserts NaN itself, but a residual of non-finite values can be
/// one; such a window is no longer totally ordered, and from then on searches with the textbook binary search's
/// probes, so it finds the same places it always did.
struct SortedWindow {
    private(set) var sorted: [Double] = []
    /// A NaN was inserted (it is never removed): the order is then not a total one, and the searches take the
    /// plain binary search's probes, so they find what they always found.
    private var hasNaN = false

    init() {}

    init(_ values: some Sequence<Double>) {
        sorted = values.sorted()
        hasNaN = sorted.contains { $0.isNaN }
    }

    var count: Int { sorted.count }
    var isEmpty: Bool { sorted.isEmpty }

    /// First index whose element is >= x.
    func lowerBound(_ x: Double) -> Int {
        sorted.withUnsafeBufferPointer { p in
            hasNaN ? SortedWindow.plainSearch(p) { $0 < x } : SortedWindow.partitionPoint(p) { $0 < x }
        }
    }

    /// First index whose element is > x.
    func upperBound(_ x: Double) -> Int {
        sorted.withUnsafeBufferPointer { p in
            hasNaN ? SortedWindow.plainSearch(p) { $0 <= x } : SortedWindow.partitionPoint(p) { $0 <= x }
        }
    }

    /// Windows up to this size are searched by counting (see `partitionPoint`).
    static let countingLimit = 128

    /// The first index whose element fails `before`, which holds for a prefix of the elements: `<` and `<=`
    /// against a window without NaN, where every correct search finds the same index. Without data-dependent
    /// jumps, so a random value costs no mispredicted branches: up to `countingLimit` elements, the count of
    /// elements that pass (a vectorised pass over a few cache lines); beyond, a binary search that picks each
    /// half by a conditional move. Its halvings are written out rather than looped (LLVM turns conditional moves
    /// that carry a loop's state back into jumps); 16 of them cover 65,536 elements, a loop takes any beyond.
    @inline(__always)
    private static func partitionPoint(_ p: UnsafeBufferPointer<Double>, _ before: (Double) -> Bool) -> Int {
        var n = p.count
        guard n > 0, let base = p.baseAddress else { return 0 }
        if n <= SortedWindow.countingLimit {
            var c = 0
            for k in 0..<n where before(base[k]) { c &+= 1 }
            return c
        }
        var lo = 0
        @inline(__always) func halve() {
            let half = n &>> 1
            lo = before(base[lo &+ half]) ? lo &+ half : lo
            n &-= half
        }
        while n > 65_536 { halve() }
        if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }
        if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }
        if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }
        if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }; if n > 1 { halve() }
        return before(base[lo]) ? lo &+ 1 : lo
    }

    /// The textbook binary search (the probes the window always made).
    @inline(__always)
    private static func plainSearch(_ p: UnsafeBufferPointer<Double>, _ before: (Double) -> Bool) -> Int {
        var lo = 0, hi = p.count
        while lo < hi {
            let mid = (lo &+ hi) &>> 1
            if before(p[mid]) { lo = mid &+ 1 } else { hi = mid }
        }
        return lo
    }

    /// Inserts after any equal elements: an append, then one `memmove` of the tail (`Array.insert(_:at:)` goes
    /// through the generic `replaceSubrange`).
    mutating func insert(_ x: Double) {
        let i = upperBound(x)
        if x.isNaN { hasNaN = true }
        sorted.append(x)
        sorted.withUnsafeMutableBufferPointer { p in
            let n = p.count - 1
            guard i < n, let base = p.baseAddress else { return }
            (base + i + 1).update(from: base + i, count: n - i)
            base[i] = x
        }
    }

    /// Removes one element equal to `x` (the first, in sorted order); returns false if there was none.
    @discardableResult
    mutating func remove(_ x: Double) -> Bool {
        let i = lowerBound(x)
        guard i < sorted.count, sorted[i] == x else { return false }
        sorted.withUnsafeMutableBufferPointer { p in
            guard let base = p.baseAddress else { return }
            (base + i).update(from: base + i + 1, count: p.count - i - 1)
        }
        sorted.removeLast()
        return true
    }

    mutating func removeAll() {
        sorted.removeAll(keepingCapacity: true)
        hasNaN = false
    }

    @inline(__always)
    var median: Double {
        let n = sorted.count
        if n == 0 { return .nan }
        return n & 1 == 1 ? sorted[n >> 1] : 0.5 * (sorted[(n >> 1) - 1] + sorted[n >> 1])
    }

    /// Linear-interpolated quantile, p in [0, 1].
    func quantile(_ p: Double) -> Double {
        sortedQuantile(sorted, p)
    }

    var minimum: Double { sorted.first ?? .nan }
    var maximum: Double { sorted.last ?? .nan }
}

/// The last `capacity` values in arrival order (a ring) and sorted: adding a value past the capacity drops the
/// oldest. For running medians and quantiles of a recent history.
struct RecentValues {
    let capacity: Int
    private var ring: [Double] = []
    private var next = 0
    /// The same values, sorted.
    private(set) var window = SortedWindow()

    init(capacity: Int) { self.capacity = capacity }

    var count: Int { ring.count }

    mutating func append(_ x: Double) {
        if ring.count < capacity {
            ring.append(x)
        } else {
            _ = window.remove(ring[next])
            ring[next] = x
            next = (next + 1) % capacity
        }
        window.insert(x)
    }

    /// The `k`-th newest value (0: the newest); `k < count`.
    func newest(_ k: Int) -> Double {
        let last = ring.count < capacity ? ring.count - 1 : (next - 1 + capacity) % capacity
        return ring[(last - k + ring.count) % ring.count]
    }
}

/// Linear-interpolated quantile of an already sorted buffer (type 7, as R and NumPy default).
@inline(__always)
func sortedQuantile(_ s: [Double], _ p: Double) -> Double {
    let n = s.count
    if n == 0 { return .nan }
    if n == 1 { return s[0] }
    let h = Double(n - 1) * p
    let lo = Int(h)
    if lo >= n - 1 { return s[n - 1] }
    let frac = h - Double(lo)
    return s[lo] + (s[lo + 1] - s[lo]) * frac
}

/// A two-sided robust scale: how far typical values reach above and below a centre, in standard-deviation units.
struct Spread: Equatable {
    var up: Double
    var down: Double
    static let zero = Spread(up: 0, down: 0)
}

/// Upper-tail probabilities and matching standard normal quantiles of the "quantile ladder" used for scales.
/// Each rung is used only once the window holds at least `3 / p` points, so a single past outlier never sets it.
private let ladder: [(p: Double, z: Double)] = [
    (0.25, 0.6744897501960817),
    (0.10, 1.2815515655446004),
    (0.05, 1.6448536269514722),
    (0.02, 2.0537489106318225),
    (0.01, 2.3263478740408408),
    (0.005, 2.5758293035489004),
    (0.003, 2.7477813854449926),
]

/// Robust one-sided scales of a sorted sample around `center`.
///
/// For each rung p of the ladder {25%, 10%, 5%, 2%, 1%, 0.5%, 0.3%} with enough points (n·p ≥ 3, so a single
/// past outlier never sets a rung), the distance from the centre to the (1−p) quantile divided by the normal z of
/// p estimates σ; the largest estimate wins. On Gaussian data every rung estimates σ (the 25% rung is the
/// one-sided MAD), while skewed, heavy-tailed or zero-inflated data get a scale that matches their observed
/// tails, so a count that is 0 on most scans and 1–2 on a few does not alert on every 1.
///
/// `tails`, when given, is a second sample (the window including censored values) used for the tail rungs
/// (2% and beyond) only, and a tail estimate may not exceed `tailCap` times the bulk estimate.
func ladderSpread(sorted s: [Double], center: Double, tails: [Double]? = nil, tailCap: Double = 3) -> Spread {
    let n = s.count
    if n == 0 { return .zero }
    var up = 0.0, down = 0.0
    for k in 0..<3 {
        let rung = ladder[k]
        if k > 0 && Double(n) * rung.p < 3 { break }
        up = Swift.max(up, (sortedQuantile(s, 1 - rung.p) - center) / rung.z)
        down = Swift.max(down, (center - sortedQuantile(s, rung.p)) / rung.z)
    }
    let t = tails ?? s
    let bulkUp = up, bulkDown = down
    var tailUp = 0.0, tailDown = 0.0
    for k in 3..<ladder.count {
        let rung = ladder[k]
        if Double(t.count) * rung.p < 3 { break }
        tailUp = Swift.max(tailUp, (sortedQuantile(t, 1 - rung.p) - center) / rung.z)
        tailDown = Swift.max(tailDown, (center - sortedQuantile(t, rung.p)) / rung.z)
    }
    if tails != nil {
        tailUp = Swift.min(tailUp, tailCap * bulkUp)
        tailDown = Swift.min(tailDown, tailCap * bulkDown)
    }
    return Spread(up: Swift.max(up, tailUp), down: Swift.max(down, tailDown))
}

/// Standard normal two-sided tail probability P(|Z| >= z).
@inline(__always)
func normalTwoSidedTail(_ z: Double) -> Double {
    erfc(Swift.abs(z) / 1.4142135623730951)
}

/// Score in [0, 1]: one minus the two-sided tail probability of a deviation of `z` standard deviations.
@inline(__always)
func scoreForDeviation(_ z: Double) -> Double {
    erf(Swift.abs(z) / 1.4142135623730951)
}

/// Median of an unsorted sample (copies, then selects in O(n)). Pass finite values.
func median(_ values: [Double]) -> Double {
    if values.isEmpty { return .nan }
    var v = values
    return medianInPlace(&v)
}

/// Median of a sample that may be reordered in place: quickselect, O(n) on average.
func medianInPlace(_ v: inout [Double]) -> Double {
    let n = v.count
    if n == 0 { return .nan }
    if n <= 16 {
        // Insertion sort is fastest for the small rings of the seasonal profile.
        return v.withUnsafeMutableBufferPointer { p in
            insertionSort(p.baseAddress!, count: n)
            return n & 1 == 1 ? p[n >> 1] : 0.5 * (p[(n >> 1) - 1] + p[n >> 1])
        }
    }
    let hi = select(&v, n >> 1)
    if n & 1 == 1 { return hi }
    // The lower middle is the largest element left of the upper middle.
    var lo = v[0]
    for k in 1..<(n >> 1) where v[k] > lo { lo = v[k] }
    return 0.5 * (lo + hi)
}

/// Sorts `count` doubles in place by insertion (stable; fastest for the few values of a profile bucket).
@inline(__always)
func insertionSort(_ p: UnsafeMutablePointer<Double>, count n: Int) {
    guard n > 1 else { return }
    for i in 1..<n {
        let x = p[i]
        var j = i - 1
        while j >= 0 && p[j] > x { p[j + 1] = p[j]; j -= 1 }
        p[j + 1] = x
    }
}

/// Puts the k-th smallest element at index k (smaller ones before it) and returns it. Hoare-style quickselect
/// with a median-of-three pivot.
func select(_ v: inout [Double], _ k: Int) -> Double {
    var lo = 0, hi = v.count - 1
    while hi > lo {
        let mid = (lo + hi) >> 1
        if v[mid] < v[lo] { v.swapAt(mid, lo) }
        if v[hi] < v[lo] { v.swapAt(hi, lo) }
        if v[hi] < v[mid] { v.swapAt(hi, mid) }
        let pivot = v[mid]
        var i = lo, j = hi
        while i <= j {
            while v[i] < pivot { i += 1 }
            while v[j] > pivot { j -= 1 }
            if i <= j { v.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return v[k] }
    }
    return v[k]
}

/// `a − b` for times, stopping at the ends of `Int64`: times may span the whole range (years −292 million to
/// +292 million), so a gap between two of them may not fit.
@inline(__always)
func timeGap(_ a: Int64, _ b: Int64) -> Int64 {
    let (d, overflow) = a.subtractingReportingOverflow(b)
    return overflow ? (b < 0 ? .max : .min) : d
}

/// `t + d` for a time and a duration, stopping at the ends of `Int64`.
@inline(__always)
func timeShift(_ t: Int64, by d: Int64) -> Int64 {
    let (r, overflow) = t.addingReportingOverflow(d)
    return overflow ? (d > 0 ? .max : .min) : r
}

/// Median of strictly positive gaps between consecutive times, or 0 if there is none.
func medianStep(_ times: [Int64], in range: Range<Int>) -> Int64 {
    var gaps: [Double] = []
    gaps.reserveCapacity(Swift.max(0, range.count - 1))
    var i = range.lowerBound + 1
    while i < range.upperBound {
        let g = timeGap(times[i], times[i - 1])
        if g > 0 { gaps.append(Double(g)) }
        i += 1
    }
    if gaps.isEmpty { return 0 }
    let m = median(gaps).rounded()
    return m < 0x1p63 ? Int64(m) : .max   // Int64.max as a Double rounds up to 2⁶³
}

@inline(__always)
func isInteger(_ x: Double) -> Bool {
    x == x.rounded() && Swift.abs(x) < 9.0e15
}

/// How a value entered a training window.
enum EntryKind: UInt8 {
    /// A normal training value.
    case clean
    /// A flagged value clipped to the edge of its band (censored), on its own: it counts for the location and
    /// the scale, so scattered large deviations make the band match a heavy tail.
    case isolated
    /// A censored value that is part of a run of consecutive flags (an incident): it counts for the location
    /// only, so an incident never widens the band.
    case incident
}

/// A training window: the most recent values (by time and count) kept in arrival order, to know what to forget,
/// and sorted, for order statistics (see `EntryKind` for how censored values count).
struct TimedWindow {
    private(set) var sorted = SortedWindow()
    /// The values that count for the scale, kept only while the window holds incident values (otherwise
    /// equal to `sorted`).
    private var scale = SortedWindow()
    private var incidents = 0
    private var censored = 0
    private var fifoT: [Int64] = []
    private var fifoV: [Double] = []
    private var fifoK: [EntryKind] = []
    private var head = 0
    private var cleanSum = 0.0
    let maxPoints: Int
    let maxAge: Int64
    /// Never forget by age below this many points (a long gap must not empty the baseline).
    let keepAtLeast: Int
    /// Whether the scale set is tracked (needed only when `spread` is used).
    let tracksScale: Bool

    init(maxPoints: Int, maxAge: Int64, keepAtLeast: Int, tracksScale: Bool = true) {
        self.maxPoints = Swift.max(1, maxPoints)
        self.maxAge = maxAge
        self.keepAtLeast = keepAtLeast
        self.tracksScale = tracksScale
    }

    var count: Int { fifoT.count - head }
    @inline(__always)
    var median: Double { sorted.median }
    /// Mean of the uncensored values.
    var cleanMean: Double {
        let n = count - censored
        return n > 0 ? cleanSum / Double(n) : .nan
    }

    mutating func add(_ t: Int64, _ x: Double, kind: EntryKind = .clean) {
        fifoT.append(t)
        fifoV.append(x)
        fifoK.append(kind)
        switch kind {
        case .clean: cleanSum += x
        case .isolated: censored += 1
        case .incident:
            censored += 1
            if tracksScale && incidents == 0 { scale = sorted }
            incidents += 1
        }
        sorted.insert(x)
        if tracksScale && incidents > 0 && kind != .incident { scale.insert(x) }
        if count > maxPoints { popOldest() }
    }

    /// Marks the isolated censored value at time `t` (one of the newest) as part of an incident.
    mutating func demote(at t: Int64) {
        var k = fifoT.count - 1
        while k >= head && fifoT[k] > t { k -= 1 }
        guard k >= head, fifoT[k] == t, fifoK[k] == .isolated else { return }
        fifoK[k] = .incident
        if tracksScale {
            if incidents == 0 { scale = sorted }
            scale.remove(fifoV[k])
        }
        incidents += 1
    }

    /// Forgets values older than `maxAge` before time `now`.
    mutating func evict(now: Int64) {
        while count > keepAtLeast, timeGap(now, fifoT[head]) > maxAge { popOldest() }
    }

    mutating func clear() {
        sorted.removeAll()
        scale.removeAll()
        incidents = 0
        censored = 0
        cleanSum = 0
        fifoT.removeAll(keepingCapacity: true)
        fifoV.removeAll(keepingCapacity: true)
        fifoK.removeAll(keepingCapacity: true)
        head = 0
    }

    private mutating func popOldest() {
        let x = fifoV[head]
        sorted.remove(x)
        switch fifoK[head] {
        case .clean:
            cleanSum -= x
            if tracksScale && incidents > 0 { scale.remove(x) }
        case .isolated:
            censored -= 1
            if tracksScale && incidents > 0 { scale.remove(x) }
        case .incident:
            censored -= 1
            incidents -= 1
            if incidents == 0 { scale.removeAll() }
        }
        head += 1
        if head >= 256 && head * 2 >= fifoT.count {
            fifoT.removeFirst(head)
            fifoV.removeFirst(head)
            fifoK.removeFirst(head)
            head = 0
        }
    }

    /// Robust one-sided scales (see `ladderSpread`) of the values that count for the scale, around their median.
    func spread() -> Spread {
        let s = tracksScale && incidents > 0 ? scale : sorted
        if s.count < minimumLevelPoints && incidents > 0 { return ladderSpread(sorted: sorted.sorted, center: sorted.median) }
        return ladderSpread(sorted: s.sorted, center: s.median)
    }

    /// Clips every value to [lower, upper] (censoring outliers loaded from history as isolated values).
    mutating func clip(lower: Double, upper: Double) {
        var changed = false
        for k in head..<fifoV.count where fifoV[k] < lower || fifoV[k] > upper {
            fifoV[k] = Swift.min(Swift.max(fifoV[k], lower), upper)
            if fifoK[k] == .clean { fifoK[k] = .isolated }
            changed = true
        }
        guard changed else { return }
        sorted = SortedWindow(fifoV[head...])
        censored = 0
        incidents = 0
        cleanSum = 0
        var kept: [Double] = []
        for k in head..<fifoV.count {
            switch fifoK[k] {
            case .clean: cleanSum += fifoV[k]; kept.append(fifoV[k])
            case .isolated: censored += 1; kept.append(fifoV[k])
            case .incident: censored += 1; incidents += 1
            }
        }
        scale = tracksScale && incidents > 0 ? SortedWindow(kept) : SortedWindow()
    }

    /// Censors values loaded from history: clips them to the band the window itself implies
    /// (centre ± sensitivity × ladder spread), so old incidents do not widen a freshly built baseline.
    mutating func censor(sensitivity: Double) {
        guard count >= minimumLevelPoints else { return }
        let m = median
        let sp = spread()
        clip(lower: m - sensitivity * sp.down, upper: m + sensitivity * sp.up)
    }
}

/// The central Poisson range for mean `lambda`: the smallest `high` with P(X > high) < `tail` and the largest
/// `low` with P(X < low) < `tail`. Used as the noise floor of low-volume counts.
func poissonRange(lambda: Double, tail: Double) -> (low: Double, high: Double) {
    guard lambda > 0, lambda.isFinite, lambda <= 1000 else { return (0, 0) }
    var p = exp(-lambda)
    var cdf = p
    var k = 0
    var low = 0.0
    while cdf < tail && k < 5000 {
        k += 1
        p *= lambda / Double(k)
        cdf += p
    }
    low = Double(k)
    while 1 - cdf >= tail && k < 5000 {
        k += 1
        p *= lambda / Double(k)
        cdf += p
    }
    return (low, Double(k))
}
