import Glibc
import Testing
@testable import TallyAnalysis

@Suite struct StatisticsTests {
    @Test func sortedWindowMatchesBruteForce() {
        var rng = SplitMix64(seed: 91)
        var w = SortedWindow()
        var plain: [Double] = []
        for step in 0..<2_000 {
            let x = (rng.nextUnit() * 50).rounded()
            w.insert(x)
            plain.append(x)
            if step % 3 == 2 {
                let victim = plain.remove(at: Int(rng.nextUnit() * Double(plain.count)))
                let removed = w.remove(victim)
                #expect(removed)
            }
            let sorted = plain.sorted()
            #expect(w.sorted == sorted)
            #expect(w.median == median(plain))
        }
        let removedMissing = w.remove(1_000)
        #expect(!removedMissing)
    }

    @Test func quickselectMedianMatchesSorting() {
        var rng = SplitMix64(seed: 92)
        for n in 1..<200 {
            var v = (0..<n).map { _ in (rng.nextUnit() * 20).rounded() }
            let s = v.sorted()
            let expected = n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            #expect(medianInPlace(&v) == expected)
        }
    }

    @Test func ladderSpreadEstimatesSigma() {
        var rng = SplitMix64(seed: 93)
        let sample = (0..<5_000).map { _ in 10 + 2 * rng.nextGaussian() }.sorted()
        let sp = ladderSpread(sorted: sample, center: 10)
        #expect(abs(sp.up - 2) < 0.25 && abs(sp.down - 2) < 0.25)
        // Skewed data gets a wider upper side.
        let skewed = (0..<5_000).map { _ in exp(rng.nextGaussian()) }.sorted()
        let sk = ladderSpread(sorted: skewed, center: sortedQuantile(skewed, 0.5))
        #expect(sk.up > 2 * sk.down)
    }

    @Test func poissonRangeCoversLowCounts() {
        let r = poissonRange(lambda: 0.2, tail: 0.00135 / 2)
        #expect(r.low == 0 && r.high == 3)
        let big = poissonRange(lambda: 100, tail: 0.00135 / 2)
        #expect(big.low > 60 && big.low < 75 && big.high > 128 && big.high < 140)
    }

    @Test func seededGeneratorsAreReproducible() {
        var a = SplitMix64(seed: 7), b = SplitMix64(seed: 7), c = SplitMix64(seed: 8)
        let xs = (0..<5).map { _ in a.next() }
        let ys = (0..<5).map { _ in b.next() }
        let zs = (0..<5).map { _ in c.next() }
        #expect(xs == ys)
        #expect(xs != zs)
        var u = SplitMix64(seed: 9)
        let units = (0..<1000).map { _ in u.nextUnit() }
        #expect(units.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    @Test func seasonDetectionFindsWeeklyAndIgnoresNoise() {
        var rng = SplitMix64(seed: 94)
        let day: Int64 = 86_400_000
        let times = (0..<70).map { Int64($0) * day }
        let idx = Array(0..<70)
        let weekly = times.indices.map { i in (i % 7 == 3 ? 50.0 : 100.0) + rng.nextGaussian() }
        #expect(detectSeason(times: times, values: weekly, idx: idx, step: day)?.spec.period == 7 * day)
        let noise = times.indices.map { _ in 100 + rng.nextGaussian() }
        #expect(detectSeason(times: times, values: noise, idx: idx, step: day) == nil)
    }
}
