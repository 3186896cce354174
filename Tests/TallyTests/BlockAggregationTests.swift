import Foundation
import Testing
import Tally
import TallyAnalysis
import TallyTestSupport

@Suite("bucket aggregates answered from block statistics")
struct BlockAggregationTests {
    /// 30,000 points every 10 minutes from 2024-01-01 (blocks of 4,096 points span ~28 days), with nulls.
    func store(_ dir: TemporaryDirectory, withNaN: Bool) throws -> (Store, [Int64], [Double?]) {
        let store = try Store.open(at: dir.path)
        let start = try #require(TimeText.parse("2024-01-01T00:00:00Z"))
        var rng = SplitMix64(seed: 7)
        var times: [Int64] = [], values: [Double?] = []
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "agg"))
        let s = b.addSeries(SeriesKey(metric: "m"))
        for i in 0..<30_000 {
            let t = start + Int64(i) * 600_000
            var v: Double? = Double(Int.random(in: 0..<1000, using: &rng)) / 4
            if i % 97 == 0 { v = nil }
            if withNaN && i == 12_345 { v = .nan }
            times.append(t)
            values.append(v)
            b.append(series: s, time: t, value: v)
        }
        try store.importBulk(b)
        return (store, times, values)
    }

    /// The expected buckets, computed here with plain loops over the points.
    func expected(_ times: [Int64], _ values: [Double?], width: Int64, from: Int64, to: Int64,
                  _ f: ([Double], [Double?]) -> Double?) -> [(Int64, Double?)] {
        var grouped: [Int64: [Double?]] = [:]
        for (t, v) in zip(times, values) where t >= from && t < to {
            grouped[t - ((t % width) + width) % width, default: []].append(v)
        }
        return grouped.keys.sorted().map { key in
            let all = grouped[key]!
            let present = all.compactMap { $0 }
            return (key, f(present, all))
        }
    }

    func close(_ a: Double?, _ b: Double?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case let (x?, y?): return x.isNaN ? y.isNaN : abs(x - y) <= 1e-9 * max(1, abs(y))
        default: return false
        }
    }

    @Test(arguments: ["avg", "sum", "min", "max", "count", "first", "last"])
    func matchesThePointByPointAnswer(aggregate: String) throws {
        let dir = TemporaryDirectory()
        let (store, times, values) = try store(dir, withNaN: false)
        let functions: [String: ([Double], [Double?]) -> Double?] = [
            "avg": { p, _ in p.isEmpty ? nil : p.reduce(0, +) / Double(p.count) },
            "sum": { p, _ in p.isEmpty ? nil : p.reduce(0, +) },
            "min": { p, _ in p.min() }, "max": { p, _ in p.max() }, "count": { p, _ in Double(p.count) },
            "first": { p, _ in p.first }, "last": { p, _ in p.last },
        ]
        let from = times[1000] + 1, to = times[28_000]
        for (width, name) in [(Int64(3_600_000), "1h"), (86_400_000, "1d"), (7 * 86_400_000, "1w")] {
            let query = "m | between \(TimeText.format(from)) and \(TimeText.format(to)) | bucket \(name) \(aggregate)"
            let result = try store.query(query)
            let series = try #require(result.series.first)
            var want = expected(times, values, width: width, from: from, to: to, functions[aggregate]!)
            if name == "1w" {   // weeks start on Monday; 1970-01-01 was a Thursday
                let shift: Int64 = 4 * 86_400_000
                want = expected(times.map { $0 - shift }, values, width: width, from: from - shift, to: to - shift,
                                functions[aggregate]!).map { ($0.0 + shift, $0.1) }
            }
            #expect(series.times == want.map(\.0), "\(query)")
            #expect(zip(series.times.indices, want).allSatisfy { close(series.value(at: $0), $1.1) }, "\(query)")
        }
    }

    /// A bucket that holds only nulls: `count` is 0 and the other aggregates are null with a reason, whether the
    /// bucket comes from block statistics (`bucket` right after the selector) or from the points (after a stage).
    @Test(arguments: ["count", "sum", "avg", "min", "max", "first", "last"])
    func aBucketOfNullsCountsZero(aggregate: String) throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "nulls"))
        let s = b.addSeries(SeriesKey(metric: "m"))
        for i in 0..<48 { b.append(series: s, time: Int64(i) * 3_600_000, value: i < 24 ? Double(i) : nil) }
        try store.importBulk(b)
        for query in ["m | bucket 1d \(aggregate)", "m | last 1000 | bucket 1d \(aggregate)"] {
            let series = try #require(try store.query(query).series.first)
            #expect(series.times == [0, 86_400_000], "\(query)")
            if aggregate == "count" {
                #expect(series.values == [24, 0], "\(query)")
                #expect(series.reason(at: 1) == nil, "\(query)")
            } else {
                #expect(series.value(at: 0) != nil && series.value(at: 1) == nil, "\(query)")
                #expect(series.reason(at: 1) == "all values in the bucket are null", "\(query)")
            }
        }
    }

    @Test func aNaNInABlockGivesNaNForItsBucketOnly() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try store(dir, withNaN: true)
        let result = try store.query("m | bucket 1d avg")
        let series = try #require(result.series.first)
        let nanDay = times[12_345] - times[12_345] % 86_400_000
        for i in series.times.indices {
            #expect((series.value(at: i)?.isNaN ?? false) == (series.times[i] == nanDay))
        }
    }

    @Test func aBlockWhoseSumOverflowedIsDecoded() throws {
        // Every value is finite, but the block's stored sum is +∞: the mean must come from the values.
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        let big = Double.greatestFiniteMagnitude
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "agg"))
        let s = b.addSeries(SeriesKey(metric: "m"))
        for i in 0..<100 { b.append(series: s, time: Int64(i) * 60_000, value: i % 2 == 0 ? big : big / 2) }
        // A block whose sum overflowed before an infinity: its stored sum is NaN, the exact one −∞.
        let n = b.addSeries(SeriesKey(metric: "n"))
        for i in 0..<100 { b.append(series: n, time: Int64(i) * 60_000, value: i == 99 ? -.infinity : big) }
        try store.importBulk(b)
        #expect(try store.query("n | bucket 1d sum").series[0].values == [-.infinity])
        #expect(try store.query("n | bucket 1d avg").series[0].values == [-.infinity])
        var usage = BlockAggregation.Usage()
        let id = try #require(store.series(key: SeriesKey(metric: "m"))?.id)
        let day = try #require(Bucketing(width: QueryDuration(milliseconds: 86_400_000)))
        let answer = try #require(try BlockAggregation.aggregate(store, id, from: 0, to: 86_400_000, bucketing: day,
                                                                 aggregate: .avg, usage: &usage))
        #expect(answer.values == [big * 0.75])
        #expect(usage.blocksDecoded == 1 && usage.blocksFromStatistics == 0)
        #expect(try store.query("m | bucket 1d avg").series[0].values == [big * 0.75])
        #expect(try store.query("m | bucket 1d sum").series[0].values == [.infinity])
    }

    @Test func lastNReadsOnlyTheTailAndMatchesAFullRead() throws {
        let dir = TemporaryDirectory()
        let (store, times, values) = try store(dir, withNaN: false)
        for n in [1, 3, 4096, 5000, 29_999, 40_000] {
            let series = try #require(try store.query("m | last \(n)").series.first)
            let k = min(n, times.count)
            #expect(series.times == Array(times.suffix(k)))
            #expect(zip(series.times.indices, values.suffix(k)).allSatisfy { series.value(at: $0) == $1 })
        }
        // With a point in the head the blocks are not the whole story: the answer must include it.
        try store.write({ () -> WriteBatch in
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "late"))
            b.append(series: b.addSeries(SeriesKey(metric: "m")), time: times.last! + 1, value: -7)
            return b
        }())
        let series = try #require(try store.query("m | last 2").series.first)
        #expect(series.times == [times.last!, times.last! + 1])
        #expect(series.value(at: 1) == -7)
    }
}

@Suite("block statistics usage")
struct BlockAggregationUsageTests {
    @Test func weeklyBucketsDecodeOnlyTheBlocksThatStraddleAWeekEdge() throws {
        let dir = TemporaryDirectory()
        let store = try Store.open(at: dir.path)
        // 200,000 points every 10 s from a Monday: blocks of 4,096 points span ~11.4 hours.
        let start = try #require(TimeText.parse("2024-01-01T00:00:00Z"))
        var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "weeks"))
        let s = b.addSeries(SeriesKey(metric: "w"))
        var rng = SplitMix64(seed: 11)
        var times: [Int64] = [], values: [Double] = []
        for i in 0..<200_000 {
            times.append(start + Int64(i) * 10_000)
            values.append(Double(Int.random(in: 0..<10_000, using: &rng)))
        }
        b.append(series: s, times: times[...], columnValues: values[...])
        try store.importBulk(b)
        let id = try #require(store.series(key: SeriesKey(metric: "w"))?.id)
        let week = try #require(Bucketing(width: QueryDuration(milliseconds: 7 * 86_400_000)))
        var usage = BlockAggregation.Usage()
        let result = try #require(try BlockAggregation.aggregate(store, id, from: .min, to: .max, bucketing: week,
                                                                 aggregate: .avg, usage: &usage))
        // The blocks a week edge cuts through, counted from the points themselves.
        let blocks = stride(from: 0, to: times.count, by: 4096).map { ($0, min($0 + 4096, times.count) - 1) }
        let straddling = blocks.filter { week.start(of: times[$0.0]) != week.start(of: times[$0.1]) }.count
        #expect(usage.blocksDecoded == straddling)
        #expect(usage.blocksFromStatistics == blocks.count - straddling)
        #expect(straddling > 0 && usage.blocksFromStatistics > 10 * straddling)
        // And the answer is the point-by-point one.
        var sums: [Int64: (Double, Int)] = [:]
        for (t, v) in zip(times, values) { sums[week.start(of: t), default: (0, 0)].0 += v; sums[week.start(of: t)]!.1 += 1 }
        #expect(result.times == sums.keys.sorted())
        for (i, t) in result.times.enumerated() {
            let (sum, count) = sums[t]!
            #expect(abs(result.values[i] - sum / Double(count)) <= 1e-9 * abs(sum / Double(count)))
        }
    }
}
