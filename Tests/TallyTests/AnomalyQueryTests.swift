import Foundation
import Testing
import Tally
import TallyAnalysis
import TallyTestSupport

/// The `anomalies`, `forecast` and `where anomaly` stages through `store.query`, on generated data with known
/// incidents.
@Suite("anomaly stages through store.query")
struct AnomalyQueryTests {
    typealias D = AnomalyTestData

    /// 200 daily row counts around 10,000 (2% noise) with a drop to zero on day 180.
    static func dropSeries() -> ([Int64], [Double?]) {
        var noise = D.Noise(seed: 7)
        var values: [Double?] = (0..<200).map { _ in noise.count(10_000, relative: 0.02) }
        values[180] = 0
        return (D.daily(200), values)
    }

    /// 200 daily row counts: 10,000 on weekdays, 5,500 on weekends (2% noise); a weekday dip to 5,500 on day 190.
    static func weeklySeries() -> ([Int64], [Double?]) {
        var noise = D.Noise(seed: 11)
        var values: [Double?] = (0..<200).map { i in noise.count(D.isWeekend(i) ? 5_500 : 10_000, relative: 0.02) }
        #expect(!D.isWeekend(190))
        values[190] = 5_500
        return (D.daily(200), values)
    }

    static func point(_ s: ResultSeries, at t: Int64) throws -> Int {
        try #require(s.times.firstIndex(of: t), "no point at \(D.text(t))")
    }

    @Test func aDropToZeroIsFlaggedWithTheRangeAroundTheNormalLevel() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times.last! + D.day
        let result = try store.query(#"row_count{dataset="orders"} | since \#(D.text(times[170])) | anomalies"#, now: now)
        let s = try #require(result.series.first)
        #expect(s.count == 30)
        let i = try Self.point(s, at: times[180])
        let anomaly = try #require(s.anomaly), expected = try #require(s.expected)
        let lower = try #require(s.lower), upper = try #require(s.upper)
        #expect(anomaly[i])
        #expect(abs(expected[i] - 10_000) < 300, "expected \(expected[i])")
        #expect(lower[i] > 9_000 && lower[i] < 10_000, "lower \(lower[i])")
        #expect(upper[i] > 10_000 && upper[i] < 11_000, "upper \(upper[i])")
        #expect(s.reason(at: i)?.hasPrefix("0 is below the expected range") == true, "\(s.reason(at: i) ?? "")")
        // Only the drop: the points around it (and the recovery the day after) are normal.
        #expect(anomaly.indices.filter { anomaly[$0] } == [i])
        // Every displayed point was judged with history (none is in cold start).
        #expect((0..<s.count).allSatisfy { s.reason(at: $0)?.hasPrefix("needs") == false })
        // Output columns.
        let json = result.json()
        #expect(json.contains(#""value":0.0,"reason":"0 is below the expected range"#))
        #expect(json.contains(#""anomaly":true"#))
        let header = result.csv().split(separator: "\n").first.map(String.init)
        #expect(header == "metric,dataset,time,value,reason,expected,lower,upper,score,anomaly,alert")
    }

    /// `__name__` in a selector is the metric name: several metrics in one query, through the stages.
    @Test func nameMatchersSelectMetrics() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        let store = try D.store(dir, [(D.key("orders"), times, values), (D.key("orders", metric: "missing_count"), times, values),
                                      (D.key("orders", metric: "freshness"), times, values)])
        let now = times.last! + D.day
        let both = try store.query(#"{__name__=~"row_count|missing_count", dataset="orders"} | latest"#, now: now)
        #expect(both.series.map(\.metric).sorted() == ["missing_count", "row_count"])
        let notRows = try store.query(#"{__name__!="row_count"} | latest"#, now: now)
        #expect(notRows.series.map(\.metric).sorted() == ["freshness", "missing_count"])
    }

    /// Point counts in stage options may carry their `p`, as the docs and `backtest --options` write them; a
    /// stage that takes a plain count refuses `5p` with a message that names it.
    @Test func pointCountOptionsTakeTheirSuffix() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times.last! + D.day
        let plain = try store.query(#"row_count | anomalies training=50 refractory=3"#, now: now)
        let suffixed = try store.query(#"row_count | anomalies training=50p refractory=3p"#, now: now)
        let defaults = try store.query(#"row_count | anomalies"#, now: now)
        #expect(plain.series.map(\.values) == suffixed.series.map(\.values))
        #expect(plain.series.map(\.reasons) == suffixed.series.map(\.reasons))
        #expect(plain.series.map(\.reasons) != defaults.series.map(\.reasons), "the options must change something")
        let horizon = try store.query("row_count | forecast 3p", now: now).series.first
        #expect(horizon?.count == (try store.query("row_count | forecast 3", now: now).series.first?.count))
        #expect((horizon?.count ?? 0) == times.count + 3)
        let last = #expect(throws: QueryError.self) { try store.query("row_count | last 5p", now: now) }
        #expect(last?.message.contains("found `5p`") == true, "\(String(describing: last))")
    }

    @Test func weekendDipsOfAWeeklySeriesAreNotFlaggedButAWeekdayDipIs() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.weeklySeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let result = try store.query(#"row_count | since \#(D.text(times[140])) | anomalies"#, now: times.last! + D.day)
        let s = try #require(result.series.first)
        let anomaly = try #require(s.anomaly)
        #expect(s.count == 60)
        let weekendPoints = s.times.indices.filter { D.isWeekend(140 + $0) }
        #expect(weekendPoints.count >= 16)
        #expect(weekendPoints.allSatisfy { !anomaly[$0] }, "a weekend dip was flagged")
        let dip = try Self.point(s, at: times[190])
        #expect(anomaly[dip], "the weekday dip to the weekend level was not flagged")
        #expect(s.reason(at: dip)?.contains("weekly pattern") == true, "\(s.reason(at: dip) ?? "")")
        #expect(anomaly.indices.filter { anomaly[$0] } == [dip])
    }

    @Test func aRangeGetsTheSameVerdictsAsALongerRangeContainingIt() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.weeklySeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times.last! + D.day
        let short = try #require(try store.query("row_count | since 20d | anomalies", now: now).series.first)
        let long = try #require(try store.query("row_count | since 90d | anomalies", now: now).series.first)
        let all = try #require(try store.query("row_count | anomalies", now: now).series.first)
        let window = try #require(try store.query(
            "row_count | between \(D.text(times[150])) and \(D.text(times[160])) | anomalies", now: now).series.first)
        #expect(short.count == 20 && long.count == 90 && all.count == 200 && window.count == 10)
        for part in [short, long, window] {
            for (i, t) in part.times.enumerated() {
                let k = try Self.point(all, at: t)
                #expect(part.expected![i].bitPattern == all.expected![k].bitPattern, "expected at \(D.text(t))")
                #expect(part.lower![i].bitPattern == all.lower![k].bitPattern)
                #expect(part.upper![i].bitPattern == all.upper![k].bitPattern)
                #expect(part.anomaly![i] == all.anomaly![k])
                #expect(part.reason(at: i) == all.reason(at: k))
            }
        }
        // The short range was judged with its history: no displayed point is in cold start.
        #expect(short.expected!.allSatisfy { !D.isNull($0) })
    }

    @Test func historyGoesThroughTheStagesBeforeAnomalies() throws {
        // Hourly scans, judged per day: the history must be daily averages too.
        let dir = TemporaryDirectory()
        var noise = D.Noise(seed: 5)
        let n = 24 * 80
        let times = (0..<n).map { D.start + Int64($0) * D.hour }
        var values: [Double?] = (0..<n).map { _ in noise.count(1_000, relative: 0.05) }
        for h in (24 * 75)..<(24 * 76) { values[h] = 400 }   // a bad day
        let store = try D.store(dir, [(D.key("events"), times, values)])
        let now = times.last! + D.hour
        let short = try #require(try store.query("row_count | since 10d | bucket 1d avg | anomalies", now: now).series.first)
        let long = try #require(try store.query("row_count | since 40d | bucket 1d avg | anomalies", now: now).series.first)
        #expect(short.count >= 10)
        for (i, t) in short.times.enumerated() {
            let k = try Self.point(long, at: t)
            #expect(short.expected![i].bitPattern == long.expected![k].bitPattern)
            #expect(short.anomaly![i] == long.anomaly![k])
        }
        let bad = try Self.point(short, at: D.start + 75 * D.day - 6 * D.hour)
        #expect(short.anomaly![bad])
        // Judged against daily averages near 1,000, not against hourly values.
        #expect(abs(short.expected![bad] - 1_000) < 30)
        #expect(short.upper![bad] - short.lower![bad] < 200)
    }

    @Test func nullsAreSkippedAndKeepNullAnnotations() throws {
        let dir = TemporaryDirectory()
        var (times, values) = Self.dropSeries()
        values[175] = nil
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let s = try #require(try store.query("row_count | since \(D.text(times[170])) | anomalies",
                                             now: times.last! + D.day).series.first)
        let i = try Self.point(s, at: times[175])
        #expect(s.isNull(at: i))
        #expect(D.isNull(s.expected![i]) && D.isNull(s.lower![i]) && D.isNull(s.score![i]))
        #expect(s.anomaly![i] == false)
        #expect(s.anomaly![try Self.point(s, at: times[180])])
        // Every output format explains the null, as JSON does; a plain export leaves its cell empty.
        let annotated = try store.query("row_count | since \(D.text(times[170])) | until \(D.text(times[176])) | anomalies",
                                        now: times.last! + D.day)
        let csv = annotated.csv().split(separator: "\n").map(String.init)
        #expect(csv.first?.split(separator: ",").contains("reason") == true, "\(csv.first ?? "")")
        #expect(csv.contains { $0.contains(",null,no value recorded") || $0.contains(",,no value recorded") }, "\(csv)")
        #expect(annotated.table().contains("no value recorded"))
        let plain = try store.query("row_count | since \(D.text(times[170])) | until \(D.text(times[176]))",
                                    now: times.last! + D.day)
        #expect(!plain.csv().contains("reason") && !plain.csv().contains("no value recorded"))
    }

    /// With too little history no forecast points are made up; the last point says how many more are needed
    /// (after its own reason, when an earlier stage gave one).
    @Test func aForecastWithTooLittleHistorySaysSo() throws {
        let dir = TemporaryDirectory()
        let times = Array(D.daily(5))
        let store = try D.store(dir, [(D.key("young"), times, [100, 101, 99, 100, 102])])
        let now = times.last! + D.day
        let s = try #require(try store.query("row_count | forecast 3", now: now).series.first)
        #expect(s.times == times)
        #expect(s.reason(at: 4)?.hasPrefix("no forecast: needs ") == true, "\(String(describing: s.reason(at: 4)))")
        #expect(s.reason(at: 3) == nil)
        // A null last value keeps its own reason; a series with one value says it needs more.
        let otherDir = TemporaryDirectory()
        let nullLast = try D.store(otherDir, [(D.key("gap"), times, [100, 101, 99, 100, nil]),
                                                          (D.key("one"), Array(times.prefix(2)), [100, nil])])
        let gap = try #require(try nullLast.query(#"row_count{dataset="gap"} | forecast 3"#, now: now).series.first)
        #expect(gap.reason(at: 4)?.hasPrefix("no value recorded; no forecast: needs ") == true, "\(String(describing: gap.reason(at: 4)))")
        let one = try #require(try nullLast.query(#"row_count{dataset="one"} | forecast 3"#, now: now).series.first)
        #expect(one.reason(at: 1) == "no value recorded; no forecast: needs more points with values")
        let annotated = try #require(try store.query("row_count | anomalies | forecast 3", now: now).series.first)
        #expect(annotated.count == 5)
        let reason = try #require(annotated.reason(at: 4))
        #expect(reason.hasPrefix("needs ") && reason.contains("; no forecast: needs "), "\(reason)")
    }

    /// When the last scan recorded no value, the forecast still starts after it and holds as many points as asked:
    /// `forecast 2` gave one and `forecast 1` none, because the first forecast step fell on the null scan.
    @Test func aForecastAfterANullLastPointHoldsTheHorizonAskedFor() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.weeklySeries()
        let store = try D.store(dir, [(D.key("orders"), times, values.dropLast().map { $0 } + [nil])])
        let now = times.last! + D.day
        for (query, count) in [("forecast 1", 1), ("forecast 2", 2), ("forecast 5", 5), ("forecast 3d", 3)] {
            let s = try #require(try store.query("row_count | since 2d | " + query, now: now).series.first)
            let future = s.times.filter { $0 > times.last! }
            #expect(future.count == count, "\(query): \(future.count) points")
            #expect(future.first == times.last! + D.day, "\(query)")
        }
    }

    /// After `bucket`, the week so far (Monday to Thursday) is not a week: the forecast is made from the whole weeks,
    /// gives the week in progress the whole week's expected value, and continues after it.
    @Test func aForecastAfterABucketInProgressLeavesItOutOfTheFit() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.weeklySeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times[199] + D.day   // a Friday: the week of day 196 (a Monday) holds four days so far
        let result = try store.query("row_count | bucket 1w sum | forecast 14d", now: now)
        let open = try #require(result.inProgress)
        #expect(open.start == times[196] - 6 * D.hour)
        let s = try #require(result.series.first)
        let i = try Self.point(s, at: open.start)
        let expected = try #require(s.expected), lower = try #require(s.lower), upper = try #require(s.upper)
        #expect(!s.isNull(at: i) && s.value(at: i)! < 45_000, "four days so far: \(s.values[i])")
        #expect(expected[i] > 55_000 && lower[i] < expected[i] && expected[i] < upper[i], "a whole week: \(expected[i])")
        #expect(s.reason(at: i)?.hasPrefix("bucket in progress; the whole bucket's forecast") == true, "\(s.reason(at: i) ?? "")")
        // The forecast continues after it: two more weeks, the first a week after the week in progress.
        #expect(s.count == i + 3 && s.times[i + 1] == open.start + 7 * D.day)
        // The same as forecasting from the whole weeks alone: the four days did not pull the fit down.
        let wholeWeeks = try #require(try store.query(
            "row_count | between \(D.text(times[0])) and \(D.text(open.start)) | bucket 1w sum | forecast 21d", now: now).series.first)
        let j = try Self.point(wholeWeeks, at: open.start)
        #expect(wholeWeeks.expected?[j] == expected[i] && wholeWeeks.expected?[j + 1] == expected[i + 1])
        #expect(wholeWeeks.upper?[j + 1] == upper[i + 1])
    }

    @Test func forecastAppendsPointsAtTheSeriesStepWithOrderedRanges() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.weeklySeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times.last! + D.day
        let s = try #require(try store.query("row_count | since 5d | forecast 14d", now: now).series.first)
        #expect(s.count == 5 + 14)
        let expected = try #require(s.expected), lower = try #require(s.lower), upper = try #require(s.upper)
        for k in 0..<14 {
            let i = 5 + k
            #expect(s.times[i] == times.last! + Int64(k + 1) * D.day)
            #expect(s.isNull(at: i))
            #expect(lower[i] <= expected[i] && expected[i] <= upper[i])
            #expect(!D.isNull(expected[i]))
            #expect(s.reason(at: i)?.hasPrefix("forecast; ") == true, "\(s.reason(at: i) ?? "")")
            // The weekly pattern carries on: weekends low, weekdays high.
            let weekend = D.isWeekend(199 + k + 1)
            #expect(weekend ? expected[i] < 7_000 : expected[i] > 8_500, "day \(199 + k + 1): \(expected[i])")
        }
        // The displayed points keep their values, without annotations.
        #expect((0..<5).allSatisfy { !s.isNull(at: $0) && D.isNull(expected[$0]) })
        let counted = try #require(try store.query("row_count | forecast 10", now: now).series.first)
        #expect(counted.count == 210)
        // More than 10,000 future points is an error, not a forecast cut short without a word.
        #expect(try store.query("row_count | forecast 10000", now: now).series.first?.count == 10_200)
        for (query, column, text) in [("row_count | forecast 10001", 22, "at most 10,000 points, found 10001"),
                                      ("row_count | forecast 28y", 13, "is 10227 points at the typical step of")] {
            do {
                _ = try store.query(query, now: now)
                Issue.record("\(query) did not fail")
            } catch let e as QueryError {
                #expect(e.column == column && e.message.contains(text), "\(e.message)")
            }
        }
    }

    @Test func whereAnomalyKeepsTheFlaggedPoints() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        var noise = D.Noise(seed: 3)
        let calm: [Double?] = times.map { _ in noise.count(2_000, relative: 0.02) }
        let store = try D.store(dir, [(D.key("orders"), times, values), (D.key("customers"), times, calm)])
        let now = times.last! + D.day
        let result = try store.query("row_count | since \(D.text(times[170])) | anomalies | where anomaly", now: now)
        #expect(result.series.count == 1)
        let s = try #require(result.series.first)
        #expect(s.labels["dataset"] == "orders")
        #expect(s.times == [times[180]])
        #expect(s.value(at: 0) == 0)
        #expect(s.expected != nil && s.reasons != nil)
        // Later stages keep the annotations.
        let latest = try store.query("row_count | since \(D.text(times[170])) | anomalies | latest", now: now)
        #expect(latest.series.count == 2 && latest.series.allSatisfy { $0.anomaly == [false] })
        // Without an `anomalies` stage before it: an error at the stage.
        #expect {
            try store.query("row_count | where anomaly", now: now)
        } throws: { error in
            guard let e = error as? QueryError else { return false }
            return e.column == 13 && e.message.contains("needs an `anomalies` stage")
        }
    }

    @Test func badOptionsAreQueryErrorsAtTheirPosition() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        func error(_ query: String) -> QueryError? {
            do { _ = try store.query(query, now: times.last!) } catch let e as QueryError { return e } catch { return nil }
            return nil
        }
        let e = try #require(error("row_count | anomalies sensitivity=abc"))
        #expect(e.line == 1 && e.column == 23)
        #expect(e.message.contains("invalid sensitivity 'abc'"))
        #expect(e.render(query: "row_count | anomalies sensitivity=abc").hasPrefix("query error at 1:23: "))
        let method = try #require(error("row_count | anomalies sensitivity=3 method=prophet"))
        #expect(method.column == 37 && method.message.contains("valid choices: auto, level"))
        let unknown = try #require(error("row_count\n  | anomalies sensitivty=3"))
        #expect(unknown.line == 2 && unknown.column == 15 && unknown.message.contains("unknown option 'sensitivty'"))
        #expect(unknown.suggestion == "sensitivity" && unknown.fullMessage.hasSuffix("; did you mean `sensitivity`?"))
        #expect(try #require(error("row_count | anomalies zzz=1")).suggestion == nil, "nothing near")
        let twice = try #require(error("row_count | anomalies method=level method=seasonal"))
        #expect(twice.column == 36 && twice.message.contains("given twice"))
        let horizon = try #require(error("row_count | forecast"))
        #expect(horizon.column == 13 && horizon.message.contains("horizon"))
        let badHorizon = try #require(error("row_count | forecast soon"))
        #expect(badHorizon.column == 22)
        let extra = try #require(error("row_count | anomalies | where anomaly now"))
        #expect(extra.column == 39)
        let profile = try #require(error("row_count | anomalies sensitivity=3 profile=hourly"))
        #expect(profile.column == 37 && profile.message.contains("valid choices: default, streaming"))
    }

    @Test func aProfileNamesTheStreamingOptions() throws {
        // Five-minute values with a 30-point incident: by default every point of it alerts; the streaming profile's
        // refractory period leaves one alert for it.
        var noise = D.Noise(seed: 3)
        let n = 2_000
        let times = (0..<n).map { D.start + Int64($0) * 300_000 }
        var values: [Double?] = (0..<n).map { _ in noise.count(100, relative: 0.05) }
        for i in 1_500..<1_530 { values[i] = 300 }
        let dir = TemporaryDirectory()
        let store = try D.store(dir, [(D.key("orders"), times, values)])
        let now = times.last! + D.hour
        func alerts(_ stage: String) throws -> [Bool] {
            let s = try #require(try store.query("row_count | \(stage)", now: now).series.first)
            #expect(s.times == times)
            return try #require(s.alert)
        }
        let byDefault = try alerts("anomalies")
        #expect((1_500..<1_530).allSatisfy { byDefault[$0] })
        var widened = AnomalyOptions.streaming
        widened.sensitivity = 4
        for (stage, options) in [("anomalies profile=streaming", AnomalyOptions.streaming),
                                 ("anomalies profile=streaming sensitivity=4", widened),
                                 ("anomalies sensitivity=4 profile=streaming", widened)] {
            let got = try alerts(stage)
            #expect(got == AnomalyDetector(options: options).detect(times: times, values: values.map { $0! }).alert, "\(stage)")
            #expect((1_500..<1_530).filter { got[$0] } == [1_500], "\(stage)")
        }
    }

    @Test func checkSeriesAreJudgedOnTheirValues() throws {
        let dir = TemporaryDirectory()
        let (times, values) = Self.dropSeries()
        let store = try Store.open(at: dir.child("store"))
        var batch = WriteBatch(origin: BatchOrigin(kind: "test", source: "anomaly tests"))
        let s = batch.addSeries(SeriesKey(metric: "check", labels: ["check": "row_count > 0"]), kind: .check)
        for (t, v) in zip(times, values) { batch.append(series: s, time: t, value: v, outcome: v == 0 ? .fail : .pass) }
        try store.write(batch)
        let r = try #require(try store.query("check | since \(D.text(times[170])) | anomalies | where anomaly",
                                             now: times.last! + D.day).series.first)
        #expect(r.times == [times[180]])
        #expect(r.outcomes == [3])
    }
}
