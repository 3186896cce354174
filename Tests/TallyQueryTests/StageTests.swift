import TallyStorage
import TallyEncoding
import Testing
import Glibc
@testable import TallyQuery

@Suite struct SequentialStageTests {
    func one(_ query: String, _ values: [Double]) throws -> ResultSeries {
        let src = FakeDataSource()
        src.add("m", times: values.indices.map { utc(2024, 5, 1) + Int64($0) * HOUR }, values: values)
        return try run(query, src).series[0]
    }

    @Test func diff() throws {
        let s = try one("m | diff", [1, 4, 9, 16])
        #expect(s.optionalValues == [3, 5, 7])
        #expect(s.times == [1, 2, 3].map { utc(2024, 5, 1) + Int64($0) * HOUR })
    }

    @Test func diffAcrossNulls() throws {
        let s = try one("m | diff", [NULL, 1, NULL, 4])
        #expect(s.optionalValues == [nil, nil, 3])
        #expect(s.times == [0, 2, 3].map { utc(2024, 5, 1) + Int64($0) * HOUR })
        #expect(s.reason(at: 1) == "the value is null")
        #expect(try one("m | diff", [7]).count == 0)
    }

    @Test func rolling() throws {
        let s = try one("m | rolling 3 sum", [1, 2, 3, 4, NULL, 6])
        #expect(s.optionalValues == [nil, nil, 6, 9, 7, 10])
        #expect(s.reason(at: 0) == "rolling window not full yet (1 of 3 points)")
        #expect(s.times.count == 6)
        let m = try one("m | rolling 2 max", [5, 1, 3])
        #expect(m.optionalValues == [nil, 5, 3])
        let allNull = try one("m | rolling 2 avg", [1, NULL, NULL])
        #expect(allNull.optionalValues == [nil, 1, nil])
        #expect(allNull.reason(at: 2) == "all values in the window are null")
    }

    @Test func rollingRunningTotalsMatchTheDirectAggregate() throws {
        // Integer-valued data with nulls: running sums are exact, so compare with sums computed here directly.
        var values: [Double] = []
        var seed: UInt64 = 42
        for _ in 0..<500 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            values.append(seed >> 60 == 0 ? NULL : Double(seed >> 40 % 1000))
        }
        for window in [1, 3, 7, 50] {
            for name in ["sum", "avg", "count"] {
                let s = try one("m | rolling \(window) \(name)", values)
                for i in (window - 1)..<values.count {
                    let w = values[(i + 1 - window)...i].filter { !isNullBits($0) }
                    let direct: Double? = name == "count" ? Double(w.count)
                        : w.isEmpty ? nil : name == "sum" ? w.reduce(0, +) : w.reduce(0, +) / Double(w.count)
                    #expect(s.value(at: i) == direct, "\(name) \(window) at \(i)")
                }
            }
        }
    }

    @Test func last() throws {
        let src = FakeDataSource()
        src.add("m", times: [1, 2, 3, 4, 5], values: [10, 20, 30, 40, 50])
        let s = try run("m | since 1970-01-01T00:00:00.002Z | last 2", src).series[0]
        #expect(s.values == [40, 50])
        #expect(src.lastReads.map(\.count) == [2])
        #expect(src.lastReads[0].from == 2)
        let later = try run("m | diff | last 2", src).series[0]
        #expect(later.values == [10, 10] && later.times == [4, 5])
    }
}

@Suite struct SeriesStageTests {
    func checks() -> FakeDataSource {
        let src = FakeDataSource()
        let t = [utc(2024, 5, 1, 6), utc(2024, 5, 2, 6), utc(2024, 5, 3, 6)]
        src.add("check", ["check": "a", "dataset": "orders"], kind: .check, times: t, values: [1, 2, 3], outcomes: [1, 3, 3])
        src.add("check", ["check": "b", "dataset": "orders"], kind: .check, times: t, values: [4, NULL, 6], outcomes: [1, 4, 2])
        src.add("check", ["check": "c", "dataset": "users"], kind: .check, times: Array(t[1...]), values: [7, 8], outcomes: [3, 5])
        return src
    }

    @Test func seriesAreSortedByMetricThenLabels() throws {
        let src = FakeDataSource()
        src.add("b", ["x": "1"], times: [1], values: [1])
        src.add("a", ["x": "2"], times: [1], values: [1])
        src.add("a", ["x": "1", "y": "0"], times: [1], values: [1])
        src.add("a", ["x": "1"], times: [1], values: [1])
        let r = try run("{x=~\".*\"}", src)
        #expect(r.series.map(\.metric) == ["a", "a", "a", "b"])
        #expect(r.series.map { $0.labels.description } == ["{x=\"1\"}", "{x=\"1\", y=\"0\"}", "{x=\"2\"}", "{x=\"1\"}"])
    }

    @Test func noMatchIsNotAnError() throws {
        #expect(try run("nothing | bucket 1d avg | change", FakeDataSource()).series.isEmpty)
    }

    @Test func latestKeepsANullValue() throws {
        let r = try run("check | latest", checks())
        #expect(r.series.map { $0.labels["check"] } == ["a", "b", "c"])
        #expect(r.series.map(\.times) == [[utc(2024, 5, 3, 6)], [utc(2024, 5, 3, 6)], [utc(2024, 5, 3, 6)]])
        let src = checks()
        let b = try run("check{check=\"b\"} | until 2024-05-03 | latest", src).series[0]
        #expect(b.count == 1 && b.isNull(at: 0))
        #expect(b.outcomes == [4])
        #expect(src.lastReads.map(\.count) == [1])
        // After another stage, latest works on the points it is given.
        let late = try run("check{check=\"b\"} | where value is null | latest", src).series[0]
        #expect(late.times == [utc(2024, 5, 2, 6)])
    }

    @Test func whereValue() throws {
        let r = try run("check | where value >= 3", checks())
        #expect(r.series.map { $0.labels["check"] } == ["a", "b", "c"])
        #expect(r.series.map(\.values) == [[3], [4, 6], [7, 8]])
        #expect(r.series[1].outcomes == [1, 2])   // columns stay aligned
        let none = try run("check | where value > 100", checks())
        #expect(none.series.isEmpty)
        let ne = try run("check{check=\"b\"} | where value != 4", checks())
        #expect(ne.series[0].values == [6])      // null is neither equal nor unequal
        let lt = try run("check | where value < 2", checks())
        #expect(lt.series.map(\.values) == [[1]])
        let eq = try run("check | where value = 7", checks())
        #expect(eq.series.map(\.values) == [[7]])
        let le = try run("check | where value <= 1", checks())
        #expect(le.series.map(\.values) == [[1]])
        let gt = try run("check | where value > -1e9 | where value is not null", checks())
        #expect(gt.pointCount == 7)
    }

    @Test func whereOutcome() throws {
        let fails = try run("check | where outcome = \"fail\"", checks())
        #expect(fails.series.map { $0.labels["check"] } == ["a", "c"])
        #expect(fails.series.map(\.times) == [[utc(2024, 5, 2, 6), utc(2024, 5, 3, 6)], [utc(2024, 5, 2, 6)]])
        let notPass = try run("check | where outcome != pass", checks())
        #expect(notPass.pointCount == 6)
        let measurement = FakeDataSource()
        measurement.add("m", times: [1], values: [1])
        #expect(try run("m | where outcome = fail", measurement).series.isEmpty)
    }

    @Test func outcomesPerScan() throws {
        let r = try run("check | outcomes", checks())
        #expect(r.series.map(\.metric) == ["outcomes", "outcomes", "outcomes", "outcomes", "outcomes"])
        #expect(r.series.map { $0.labels["outcome"]! } == ["error", "fail", "not_evaluated", "pass", "warn"])
        let t = [utc(2024, 5, 1, 6), utc(2024, 5, 2, 6), utc(2024, 5, 3, 6)]
        func counts(_ name: String) -> [Double] { r.series.first { $0.labels["outcome"] == name }!.values }
        #expect(r.series.allSatisfy { $0.times == t })
        #expect(counts("pass") == [2, 0, 0])
        #expect(counts("fail") == [0, 2, 1])
        #expect(counts("error") == [0, 1, 0])
        #expect(counts("warn") == [0, 0, 1])
        #expect(counts("not_evaluated") == [0, 0, 1])
        // Every scan's counts add up to the checks in it.
        #expect((0..<3).map { i in r.series.reduce(0) { $0 + $1.values[i] } } == [2, 3, 3])
    }

    @Test func outcomesByLabelAndAfterwards() throws {
        let r = try run("check | outcomes by (dataset) | where value > 0", checks())
        let orders = r.series.filter { $0.labels["dataset"] == "orders" }
        #expect(orders.map { $0.labels["outcome"]! } == ["error", "fail", "pass", "warn"])
        #expect(r.series.filter { $0.labels["dataset"] == "users" }.map { $0.labels["outcome"]! } == ["fail", "not_evaluated"])
        // Failed checks per day.
        let perDay = try run("check | outcomes | bucket 1d sum | where value > 0", checks())
        #expect(perDay.series.first { $0.labels["outcome"] == "fail" }?.values == [2, 1])
    }

    @Test func aggBy() throws {
        let src = FakeDataSource()
        src.add("rows", ["dataset": "a", "env": "prod"], times: [1, 2, 3], values: [1, 2, 3])
        src.add("rows", ["dataset": "a", "env": "dev"], times: [2, 3], values: [10, NULL])
        src.add("rows", ["dataset": "b", "env": "prod"], times: [1, 3], values: [100, 300])
        let all = try run("rows | agg sum", src)
        #expect(all.series.count == 1)
        #expect(all.series[0].metric == "rows" && all.series[0].labels.isEmpty)
        #expect(all.series[0].times == [1, 2, 3])
        #expect(all.series[0].values == [101, 12, 303])
        let byDataset = try run("rows | agg max by (dataset)", src)
        #expect(byDataset.series.map { $0.labels.description } == ["{dataset=\"a\"}", "{dataset=\"b\"}"])
        #expect(byDataset.series[0].values == [1, 10, 3])
        #expect(byDataset.series[1].values == [100, 300])
        let count = try run("rows | agg count by env", src)
        #expect(count.series.map { $0.labels["env"]! } == ["dev", "prod"])
        #expect(count.series[0].values == [1, 0])   // the null does not count
        #expect(count.series[1].values == [2, 1, 2])
        // Different metrics in one group are named after the aggregate.
        src.add("other", ["dataset": "a"], times: [1], values: [5])
        let mixed = try run("{dataset=\"a\"} | agg sum by (dataset)", src)
        #expect(mixed.series[0].metric == "sum")
        #expect(mixed.series[0].values == [6, 12, 3])
        // `by (__name__)` groups by metric, as in PromQL, also beside labels.
        let perMetric = try run("{dataset=\"a\"} | agg sum by (__name__)", src)
        #expect(perMetric.series.map(\.metric) == ["other", "rows"] && perMetric.series.allSatisfy { $0.labels.isEmpty })
        #expect(perMetric.series[0].values == [5] && perMetric.series[1].values == [1, 12, 3])
        let perMetricAndDataset = try run("{__name__=~\"rows|other\"} | agg sum by (__name__, dataset)", src)
        #expect(perMetricAndDataset.series.map { "\($0.metric)\($0.labels.description)" }
                == ["other{dataset=\"a\"}", "rows{dataset=\"a\"}", "rows{dataset=\"b\"}"])
    }

    @Test func topAndBottom() throws {
        let src = FakeDataSource()
        src.add("m", ["s": "a"], times: [1, 2], values: [1, 9])
        src.add("m", ["s": "b"], times: [1, 2], values: [5, 6])
        src.add("m", ["s": "c"], times: [1, 2], values: [7, NULL])
        src.add("m", ["s": "d"], times: [1], values: [NULL])
        let top = try run("m | top 2 by max", src)
        #expect(top.series.map { $0.labels["s"]! } == ["a", "c"])
        let bottomAvg = try run("m | bottom 2 by avg", src)
        #expect(bottomAvg.series.map { $0.labels["s"]! } == ["a", "b"])   // avg 5 and 5.5
        let all = try run("m | top 10 by sum", src)
        #expect(all.series.map { $0.labels["s"]! } == ["b", "a", "c", "d"])   // d has no value: last
        let tie = try run("m | top 2 by first", src)
        #expect(tie.series.map { $0.labels["s"]! } == ["c", "b"])   // first values 1, 5, 7, none
        let ties = try run("m | bottom 3 by count", src)
        #expect(ties.series.map { $0.labels["s"]! } == ["d", "c", "a"])   // counts 2, 2, 1, 0: ties keep series order
        let bottomAll = try run("m | bottom 10 by min", src)
        #expect(bottomAll.series.map { $0.labels["s"]! } == ["a", "b", "c", "d"])
    }

    @Test func downsampleKeepsExtremesAndEnds() throws {
        let src = FakeDataSource()
        var values = (0..<1000).map { 10 + sin(Double($0) / 50) }
        values[137] = 500       // a spike
        values[701] = -300      // a dip
        src.add("m", times: (0..<1000).map { Int64($0) * 60_000 }, values: values)
        let s = try run("m | downsample 50", src).series[0]
        #expect(s.count == 50)
        #expect(s.times.first == 0 && s.times.last == 999 * 60_000)
        #expect(s.values.contains(500) && s.values.contains(-300))
        #expect(zip(s.times, s.times.dropFirst()).allSatisfy { $0 < $1 })
        // Every kept point is an original point.
        #expect(s.times.allSatisfy { values[Int($0 / 60_000)] == s.values[s.times.firstIndex(of: $0)!] })
    }

    @Test func downsampleSmallSeriesAndNulls() throws {
        let src = FakeDataSource()
        src.add("m", times: [1, 2, 3], values: [1, NULL, 3])
        #expect(try run("m | downsample 3", src).series[0].count == 3)
        let two = try run("m | downsample 2", src).series[0]
        #expect(two.values == [1, 3])
        let d = FakeDataSource()
        d.add("m", times: (0..<10).map(Int64.init), values: [1, NULL, 2, 3, NULL, 4, 5, 6, 7, 8])
        let s = try run("m | downsample 5", d).series[0]
        #expect(s.count == 5 && !(0..<5).contains { s.isNull(at: $0) })
        #expect(s.times.first == 0 && s.times.last == 9)
    }

    @Test func laterRangeStagesFilter() throws {
        let src = FakeDataSource()
        src.add("m", times: (0..<10).map { utc(2024, 5, 1) + Int64($0) * DAY }, values: (0..<10).map(Double.init))
        let s = try run("m | diff | since 2024-05-08 | until 2024-05-10", src, now: utc(2024, 6, 1)).series[0]
        #expect(s.times == [utc(2024, 5, 8), utc(2024, 5, 9)])
        let b = try run("m | diff | between now-25d and now-23d", src, now: utc(2024, 6, 1)).series[0]
        #expect(b.times == [utc(2024, 5, 7), utc(2024, 5, 8)])
        // Pushed down: the reads carry the range.
        _ = try run("m | since 7d | until now-1d | diff", src, now: utc(2024, 5, 10))
        #expect(src.reads.last!.from == utc(2024, 5, 3) && src.reads.last!.to == utc(2024, 5, 9))
    }
}
