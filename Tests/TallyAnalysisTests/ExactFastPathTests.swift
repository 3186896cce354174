import Glibc
import Testing
@testable import TallyAnalysis

/// The walk's faster building blocks against the plain computations they replaced, bit for bit: the detector's
/// results must not change by a single bit when only its speed does.
@Suite struct ExactFastPathTests {
    // MARK: - SortedWindow

    /// The textbook binary search the window used before.
    private func plainSearch(_ s: [Double], _ before: (Double) -> Bool) -> Int {
        var lo = 0, hi = s.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if before(s[mid]) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Values with many ties, both zeros, and (if asked) infinities.
    private func awkwardValue(_ rng: inout SplitMix64, infinities: Bool = true) -> Double {
        let pool: [Double] = infinities ? [0, -0.0, 1, -1, 2.5, 1e-300, -.infinity, .infinity, 3, 3, 7]
                                        : [0, -0.0, 0, -0.0, 1, -1, 2.5, 1e-300, 3, 3, 7]
        return rng.nextUnit() < 0.5 ? pool[Int(rng.nextUnit() * Double(pool.count))]
                                    : (rng.nextGaussian() * 4).rounded() / 2
    }

    @Test func sortedWindowKeepsThePlainOrderBitForBit() {
        var rng = SplitMix64(seed: 311)
        // Sizes on both sides of the counting limit and of a few binary-search depths.
        for target in [5, 60, SortedWindow.countingLimit, SortedWindow.countingLimit + 1, 300, 1_100] {
            var w = SortedWindow()
            var plain: [Double] = []
            var fifo: [Double] = []
            for _ in 0..<(3 * target) {
                let x = awkwardValue(&rng)
                #expect(w.upperBound(x) == plainSearch(plain) { $0 <= x })
                #expect(w.lowerBound(x) == plainSearch(plain) { $0 < x })
                w.insert(x)
                plain.insert(x, at: plainSearch(plain) { $0 <= x })
                fifo.append(x)
                if fifo.count > target {
                    let old = fifo.removeFirst()
                    let i = plainSearch(plain) { $0 < old }
                    if i < plain.count && plain[i] == old { plain.remove(at: i) }
                    let removed = w.remove(old)
                    #expect(removed)
                }
                #expect(w.sorted.map(\.bitPattern) == plain.map(\.bitPattern))
            }
        }
    }

    @Test func sortedWindowWithANaNSearchesAsBefore() {
        var rng = SplitMix64(seed: 312)
        var w = SortedWindow()
        var plain: [Double] = []
        for k in 0..<400 {
            let x = k == 50 ? Double.nan : awkwardValue(&rng)
            w.insert(x)
            plain.insert(x, at: plainSearch(plain) { $0 <= x })
            if k % 3 == 0 {
                let y = awkwardValue(&rng)
                let i = plainSearch(plain) { $0 < y }
                let found = i < plain.count && plain[i] == y
                if found { plain.remove(at: i) }
                let removed = w.remove(y)
                #expect(removed == found)
            }
            #expect(w.sorted.map(\.bitPattern) == plain.map(\.bitPattern))
        }
    }

    // MARK: - SeasonalProfile

    /// The profile as computed before it kept its buckets sorted: each effect the median of its ring, sorted
    /// afresh in slot order.
    private struct ReferenceProfile {
        let capacity: Int
        var slots: [[Double]]
        var counts: [Int]
        var starts: [Int]
        var effects: [Double]

        init(buckets: Int, capacity: Int) {
            self.capacity = capacity
            slots = Array(repeating: Array(repeating: 0, count: capacity), count: buckets)
            counts = Array(repeating: 0, count: buckets)
            starts = Array(repeating: 0, count: buckets)
            effects = Array(repeating: 0, count: buckets)
        }

        mutating func push(_ b: Int, _ d: Double) {
            if counts[b] < capacity {
                slots[b][(starts[b] + counts[b]) % capacity] = d
                counts[b] += 1
            } else {
                slots[b][starts[b]] = d
                starts[b] = (starts[b] + 1) % capacity
            }
        }

        mutating func recompute(_ b: Int) {
            var ring = Array(slots[b][0..<counts[b]])
            effects[b] = ring.isEmpty ? 0 : medianInPlace(&ring)
        }

        mutating func center() {
            var sum = 0.0, n = 0
            for b in effects.indices where counts[b] > 0 { sum += effects[b]; n += 1 }
            guard n > 0 else { return }
            let m = sum / Double(n)
            for b in effects.indices where counts[b] > 0 {
                effects[b] -= m
                for k in 0..<counts[b] { slots[b][k] -= m }
            }
        }
    }

    @Test func seasonalProfileEffectsAreTheRingMediansBitForBit() {
        var rng = SplitMix64(seed: 313)
        let spec = SeasonSpec(period: weekMs, step: dayMs)
        // 8: the default memory (insertion sort); 20: the quickselect path of longer training windows.
        for (capacity, infinities) in [(1, false), (2, false), (8, false), (20, false), (8, true)] {
            var profile = SeasonalProfile(spec: spec, capacity: capacity)
            var reference = ReferenceProfile(buckets: spec.buckets, capacity: capacity)
            // Loaded history, centred, then point by point.
            let history = (0..<(3 * capacity * spec.buckets)).map { _ in
                (bucket: Int(rng.nextUnit() * Double(spec.buckets)), value: awkwardValue(&rng, infinities: infinities))
            }
            profile.load(buckets: history.map(\.bucket), detrended: history.map(\.value))
            for (b, d) in history { reference.push(b, d) }
            for b in 0..<spec.buckets where reference.counts[b] > 0 { reference.recompute(b) }
            #expect(profile.effects.map(\.bitPattern) == reference.effects.map(\.bitPattern))
            profile.center()
            reference.center()
            #expect(profile.effects.map(\.bitPattern) == reference.effects.map(\.bitPattern))
            for _ in 0..<2_000 {
                let b = Int(rng.nextUnit() * Double(spec.buckets))
                let d = awkwardValue(&rng, infinities: infinities)
                profile.add(bucket: b, d)
                reference.push(b, d)
                reference.recompute(b)
                #expect(profile.effect(b).bitPattern == reference.effects[b].bitPattern)
            }
        }
    }

    /// `chooseModel` builds the chosen season's profile from the buckets and detrended values that measuring its
    /// strength computed: they must be the ones a profile built from scratch uses (`spec.bucket`, `detrendByCycle`),
    /// for a daily, an hour-of-week and a weekly season, with gaps and a thinned set of trained points.
    @Test func seasonFitHoldsWhatAProfileIsBuiltFrom() throws {
        var maker = SeriesMaker(seed: 315)
        for (step, period, count) in [(SeriesMaker.hour, dayMs, 24 * 20), (SeriesMaker.hour, weekMs, 24 * 30),
                                      (SeriesMaker.day, weekMs, 120)] {
            var times: [Int64] = []
            var t = SeriesMaker.start
            for _ in 0..<count {
                t += maker.unit() < 0.05 ? 2 * step : step
                times.append(t)
            }
            let values = times.map { maker.noisy(1_000 + 300 * sin(Double($0 % period) / Double(period) * 6.28), relative: 0.05) + Double($0 - SeriesMaker.start) / 1e7 }
            let spec = SeasonSpec(period: period, step: period == weekMs && step == SeriesMaker.hour ? SeriesMaker.hour : step)
            for idx in [Array(times.indices), times.indices.filter { $0 % 3 != 1 }] {
                let fit = try #require(seasonalFit(times: times, values: values, idx: idx, spec: spec, step: step))
                #expect(fit.spec == spec)
                #expect(fit.buckets == idx.map { spec.bucket(times[$0]) })
                let reference = detrendByCycle(times: times, values: values, idx: idx, spec: spec)
                #expect(fit.detrended.map(\.bitPattern) == reference.map(\.d.bitPattern))
            }
        }
    }

    // MARK: - Holt's one-step error

    /// The one-step error as computed before the replay: one pass per (α, β) pair.
    private func referenceOneStepError(times: [Int64], values: [Double], idx: [Int], step: Int64,
                                       effect: (Int64) -> Double, alpha: Double, beta: Double) -> Double {
        guard idx.count > minimumLevelPoints + 2 else { return .infinity }
        let st = Double(Swift.max(1, step))
        var level = 0.0, trend = 0.0, lastT: Int64 = 0, absError = 0.0
        var total = 0.0, n = 0
        for (k, j) in idx.enumerated() {
            let t = times[j], x = values[j]
            let s = effect(t)
            if k == 0 { level = x - s; lastT = t; continue }
            let h = Swift.max(1, Double(t - lastT) / st)
            let lf = level + trend * HoltWintersModel.dampedSum(h)
            let raw = x - lf - s
            if k >= minimumLevelPoints { total += Swift.abs(raw); n += 1 }
            var e = raw
            if k >= 5 {
                let limit = 4 * 1.2533 * absError
                if limit > 0 { e = Swift.min(Swift.max(e, -limit), limit) }
            }
            absError = k < 5 ? (absError * Double(k - 1) + Swift.abs(raw)) / Double(k)
                             : 0.9 * absError + 0.1 * Swift.abs(e)
            level = lf + alpha * e
            trend = HoltWintersModel.damping(h) * trend + beta * e / h
            lastT = t
        }
        return n > 0 ? total / Double(n) : .infinity
    }

    @Test func holtReplayMatchesOnePassPerPairBitForBit() {
        var maker = SeriesMaker(seed: 314)
        let n = 300
        // Daily scans with gaps (h > 1 on some steps) and a growing, weekly-patterned value.
        var times: [Int64] = []
        var t = SeriesMaker.start
        for _ in 0..<n {
            t += maker.unit() < 0.1 ? 3 * SeriesMaker.day : SeriesMaker.day
            times.append(t)
        }
        let values = times.indices.map { i in
            maker.noisy((i % 7 >= 5 ? 4_000 : 10_000) + 50 * Double(i), relative: 0.05).rounded()
        }
        let spec = SeasonSpec(period: weekMs, step: dayMs)
        let weekly: (Int64) -> Double = { [-300, 100, 200, 50, 0, -2_000, -2_100][spec.bucket($0)] }
        let cases = [(Array(0..<n), false), (Array(0..<n), true), (Array(stride(from: 0, to: n, by: 2)), true),
                     (Array(0..<12), false), (Array(0..<13), true)]
        for (idx, withSeason) in cases {
            let effect: (Int64) -> Double = withSeason ? weekly : { _ in 0 }
            let replay = HoltReplay(times: times, values: values, idx: idx, step: SeriesMaker.day,
                                    effects: withSeason ? idx.map { weekly(times[$0]) } : nil)
            var pairs: [(alpha: Double, beta: Double)] = []
            for a in holtAlphas { for r in holtBetaRatios { pairs.append((a, r * a)) } }
            let errors = replay.errors(pairs)
            for (k, p) in pairs.enumerated() {
                let expected = referenceOneStepError(times: times, values: values, idx: idx, step: SeriesMaker.day,
                                                     effect: effect, alpha: p.alpha, beta: p.beta)
                #expect(errors[k].bitPattern == expected.bitPattern)
            }
        }
    }
}
