import Testing
import TallyQuery
@testable import TallyCharts

@Suite struct ShapingTests {
    /// 100,000 points of a gentle wave with noise, one spike and one drop.
    func longSeries(spikeAt: Int = 31_337, dropAt: Int = 77_001) -> (times: [Int64], values: [Double?]) {
        var rng = SeededRandom(seed: 7)
        let times = (0..<100_000).map { utc(2020, 1, 1) + Int64($0) * 5 * MINUTE }
        var values: [Double?] = (0..<100_000).map { i in
            1_000 + 50 * Double((i / 500) % 7) + Double(rng.next() % 20)
        }
        values[spikeAt] = 9_000
        values[dropAt] = -4_000
        return (times, values)
    }

    @Test func lttbKeepsASingleSpikeAndASingleDrop() {
        let (times, values) = longSeries()
        let kept = Shaping.lineIndices(times: times, values: values, maxPoints: 500)
        #expect(kept.count <= 500)
        #expect(kept.count >= 490)
        #expect(kept.contains(31_337), "the spike was dropped")
        #expect(kept.contains(77_001), "the drop was dropped")
        #expect(kept.first == 0 && kept.last == 99_999)
        #expect(kept == kept.sorted() && Set(kept).count == kept.count)
        // Without the extremes, a plain every-200th pick would miss them: the test is not vacuous.
        #expect(!stride(from: 0, to: 100_000, by: 200).contains(31_337))
    }

    @Test func theMinimumAndMaximumOfEveryRunAreKept() {
        // Noise, where the extremes are not spikes that stand out from their neighbours.
        for seed in 1...20 {
            var rng = SeededRandom(seed: UInt64(seed))
            var values: [Double?] = (0..<10_000).map { _ in Double(rng.next() % 10_000) / 7 }
            values[5_000] = nil   // two runs
            let times = (0..<10_000).map { Int64($0) * MINUTE }
            let kept = Shaping.lineIndices(times: times, values: values, maxPoints: 100)
            #expect(kept.count <= 100)
            for run in [0..<5_000, 5_001..<10_000] {
                let all = run.map { values[$0]! }
                let drawn = kept.filter { run.contains($0) }.map { values[$0]! }
                #expect(drawn.max() == all.max() && drawn.min() == all.min(), "seed \(seed)")
            }
        }
    }

    @Test(arguments: [4, 7, 50, 333, 1_000])
    func neverMorePointsThanPixels(pixels: Int) {
        var rng = SeededRandom(seed: UInt64(pixels))
        let n = 20_000
        let times = (0..<n).map { Int64($0) * MINUTE }
        // Nulls scattered in runs, so that gaps compete with points for the budget.
        let values: [Double?] = (0..<n).map { i in rng.next() % 97 == 0 || (i / 100) % 13 == 0 ? nil : Double(rng.next() % 1000) }
        let pinned = (0..<n).map { $0 % 1_001 == 0 }
        let kept = Shaping.lineIndices(times: times, values: values, pinned: pinned, maxPoints: pixels)
        #expect(kept.count <= pixels)
        #expect(kept == kept.sorted())
        // Every gap marker kept is a missing value between two drawn points (a pinned missing value, a check scan
        // that errored, is kept to be marked wherever it lies, and is skipped here).
        let lines = kept.filter { values[$0] != nil || !pinned[$0] }
        for (k, i) in lines.enumerated() where values[i] == nil {
            #expect(k > 0 && k < lines.count - 1 && values[lines[k - 1]] != nil && values[lines[k + 1]] != nil)
        }
        let pinnedMissing = (0..<n).filter { pinned[$0] && values[$0] == nil }
        if pixels >= 1_000 { #expect(!pinnedMissing.isEmpty && pinnedMissing.allSatisfy(kept.contains)) }
    }

    @Test func nullsBreakTheLineAndSurviveShaping() {
        var values: [Double?] = (0..<10_000).map { Double($0 % 100) }
        for i in 4_000..<4_300 { values[i] = nil }
        let times = (0..<10_000).map { Int64($0) * HOUR }
        let kept = Shaping.lineIndices(times: times, values: values, maxPoints: 300)
        #expect(kept.count <= 300)
        let markers = kept.filter { values[$0] == nil }
        #expect(markers == [4_000])
        // The drawn points on either side of the gap are the run's ends.
        let k = kept.firstIndex(of: 4_000)!
        #expect(kept[k - 1] == 3_999 && kept[k + 1] == 4_300)
    }

    @Test func shortSeriesAreKeptWhole() {
        let values: [Double?] = [1, nil, nil, 3, 4, nil, 6]
        let kept = Shaping.lineIndices(times: (0..<7).map { Int64($0) }, values: values, maxPoints: 100)
        // One marker per gap; leading and trailing nulls would be dropped.
        #expect(kept == [0, 1, 3, 4, 5, 6])
        let edges = Shaping.lineIndices(times: (0..<5).map { Int64($0) }, values: [nil, 2, 3, nil, nil], maxPoints: 100)
        #expect(edges == [1, 2])
    }

    @Test func narrowestGapsCloseWhenThereAreTooMany() {
        // 1,000 single missing points every 10 points, and one wide gap.
        var values: [Double?] = (0..<10_000).map { Double($0 % 37) }
        for i in stride(from: 5, to: 10_000, by: 10) { values[i] = nil }
        var times = (0..<10_000).map { Int64($0) * MINUTE }
        for i in 6_000..<10_000 { times[i] += 30 * DAY }   // the wide gap between 5999 (missing at 5995) and 6000
        values[5_999] = nil
        let kept = Shaping.lineIndices(times: times, values: values, maxPoints: 200)
        #expect(kept.count <= 200)
        let markers = kept.filter { values[$0] == nil }
        #expect(markers.contains(5_999), "the widest gap must stay open")
        #expect(markers.count < 1_000)
    }

    @Test func anomaliesArePinned() {
        let n = 50_000
        let times = (0..<n).map { Int64($0) * MINUTE }
        // Anomalies that are not extremes, which LTTB alone would likely drop.
        let values: [Double?] = (0..<n).map { Double(($0 * 7919) % 1_000) }
        let pinned = (0..<n).map { [1_234, 25_000, 49_001].contains($0) }
        let kept = Shaping.lineIndices(times: times, values: values, pinned: pinned, maxPoints: 120)
        #expect(kept.count <= 120)
        #expect([1_234, 25_000, 49_001].allSatisfy(kept.contains))
    }

    @Test func barsAreSummedPerUTCIntervalWhenThereAreMoreThanPixels() throws {
        // A year of hourly scans with jitter, on 300 pixels.
        let starts = (0..<8_760).map { utc(2024, 1, 1) + Int64($0) * HOUR + Int64(($0 * 7_919) % 240) * 1_000 }
        let rows = starts.indices.map { i in [Double(i % 3), 1, Double(i % 2)] }
        let interval = try #require(Shaping.barInterval(starts: starts, pixels: 300))
        #expect(interval == .milliseconds(2 * DAY))   // 1 day would give 366 bars
        let shaped = Shaping.bars(starts: starts, rows: rows, interval: interval)
        #expect(shaped.count <= 300)
        #expect(shaped.reduce(0) { $0 + $1.count } == 8_760)
        for j in 0..<3 {
            #expect(shaped.reduce(0) { $0 + $1.values[j] } == rows.reduce(0) { $0 + $1[j] })
        }
        #expect(shaped.allSatisfy { interval.floor($0.start) == $0.start && $0.end > $0.start })
        #expect(zip(shaped, shaped.dropFirst()).allSatisfy { $0.end <= $1.start })
    }

    @Test func fewBarsKeepOneBarPerScan() {
        let starts = (0..<10).map { utc(2024, 1, 1, 6) + Int64($0) * DAY }
        #expect(Shaping.barInterval(starts: starts, pixels: 100) == nil)
        let bars = Shaping.bars(starts: starts, rows: starts.map { _ in [1] }, interval: nil)
        #expect(bars.count == 10 && bars.allSatisfy { $0.count == 1 && $0.end - $0.start == DAY })
        // Scans in clusters (two datasets two hours apart each day) keep a bar each, of even width...
        let clustered = starts.flatMap { [$0, $0 + 2 * HOUR] }
        #expect(Shaping.barInterval(starts: clustered, pixels: 1_000) == nil)
        let even = Shaping.bars(starts: clustered, rows: clustered.map { _ in [1] }, interval: nil)
        #expect(even.count == 20 && even.allSatisfy { $0.end - $0.start == 2 * HOUR })
        // ...unless they are closer than a pixel: then they are summed.
        let summed = Shaping.barInterval(starts: clustered, pixels: 50)
        #expect(summed != nil)
        #expect(Shaping.bars(starts: clustered, rows: clustered.map { _ in [1] }, interval: summed).count <= 50)
    }

}

/// A small deterministic generator (SplitMix64).
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
