import Testing
import Tally
import TallyAnalysis
import TallyTestSupport

/// The `alert` column (refractory period, likelihood gate) through `store.query`, `where anomaly`, `Store.check`
/// and `Store.backtest`, on a series with a persistent incident and a later, separate one.
@Suite("alerts through the anomaly stages, check and backtest")
struct AnomalyAlertQueryTests {
    typealias D = AnomalyTestData

    /// The flagged days of `incidentSeries`: a four-day drop, then a one-day drop nine days after it ended.
    static let incident = [180, 181, 182, 183]
    static let second = 192
    static var flaggedDays: [Int] { incident + [second] }

    /// 200 daily row counts around 10,000 (2% noise), down to 3,000 on days 180–183 and again on day 192.
    static func incidentSeries() -> ([Int64], [Double?]) {
        var noise = D.Noise(seed: 7)
        var values: [Double?] = (0..<200).map { _ in noise.count(10_000, relative: 0.02) }
        for i in flaggedDays { values[i] = 3_000 }
        return (D.daily(200), values)
    }

    static func store(_ dir: TemporaryDirectory) throws -> (Store, [Int64], [Double?]) {
        let (times, values) = incidentSeries()
        return (try D.store(dir, [(D.key("orders"), times, values)]), times, values)
    }

    /// The day numbers (index in `times`) of the points of `s` where `column` is true.
    static func days(_ s: ResultSeries, _ column: [Bool]?, _ times: [Int64]) throws -> [Int] {
        let c = try #require(column)
        return try c.indices.filter { c[$0] }.map { try #require(times.firstIndex(of: s.times[$0])) }
    }

    @Test func withDefaultOptionsEveryFlagIsAnAlert() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let now = times.last! + D.day
        let s = try #require(try store.query("row_count | since \(D.text(times[170])) | anomalies", now: now).series.first)
        #expect(try Self.days(s, s.anomaly, times) == Self.flaggedDays)
        #expect(s.alert == s.anomaly)
        let kept = try #require(try store.query("row_count | since \(D.text(times[170])) | anomalies | where anomaly",
                                                now: now).series.first)
        #expect(kept.times == Self.flaggedDays.map { times[$0] })
        #expect(kept.alert == [Bool](repeating: true, count: 5) && kept.anomaly == kept.alert)
    }

    @Test func aRefractoryPeriodGivesOneAlertPerIncident() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let now = times.last! + D.day
        let since = D.text(times[170])
        for option in ["refractory=7d", "refractory=5"] {
            let s = try #require(try store.query("row_count | since \(since) | anomalies \(option)", now: now).series.first)
            // The flags are unchanged; the alerts are the first day of each incident.
            #expect(try Self.days(s, s.anomaly, times) == Self.flaggedDays, "\(option)")
            #expect(try Self.days(s, s.alert, times) == [180, Self.second], "\(option)")
            // `where anomaly` keeps the alerts.
            let kept = try #require(try store.query("row_count | since \(since) | anomalies \(option) | where anomaly",
                                                    now: now).series.first)
            #expect(kept.times == [times[180], times[Self.second]], "\(option)")
            #expect(kept.anomaly == [true, true] && kept.alert == [true, true])
            #expect(kept.reason(at: 0)?.hasPrefix("3,000 is below the expected range") == true, "\(kept.reason(at: 0) ?? "")")
        }
        // Two points of refractory: the fourth day of the incident alerts again.
        let short = try #require(try store.query("row_count | since \(since) | anomalies refractory=2", now: now).series.first)
        #expect(try Self.days(short, short.alert, times) == [180, 183, Self.second])
        // A period longer than the gap between the incidents: one alert for both.
        let long = try #require(try store.query("row_count | since \(since) | anomalies refractory=14d", now: now).series.first)
        #expect(try Self.days(long, long.alert, times) == [180])
        // `refractory=off` is the default.
        let off = try #require(try store.query("row_count | since \(since) | anomalies refractory=off", now: now).series.first)
        #expect(off.alert == off.anomaly)
    }

    @Test func anAlertInTheHistoryBeforeTheRangeStillSilencesTheIncident() throws {
        // The range starts inside the incident: the alert on its first day is in the history the stage walks, so
        // the displayed days of the same incident raise no alert — what the longer range says about them too.
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let now = times.last! + D.day
        let part = try #require(try store.query("row_count | since \(D.text(times[182])) | anomalies refractory=7d",
                                                now: now).series.first)
        let all = try #require(try store.query("row_count | anomalies refractory=7d", now: now).series.first)
        #expect(try Self.days(part, part.anomaly, times) == [182, 183, Self.second])
        #expect(try Self.days(part, part.alert, times) == [Self.second])
        for (i, t) in part.times.enumerated() {
            let k = try #require(all.times.firstIndex(of: t))
            #expect(part.alert![i] == all.alert![k] && part.anomaly![i] == all.anomaly![k], "\(D.text(t))")
        }
        let kept = try store.query("row_count | since \(D.text(times[182])) | until \(D.text(times[190])) "
                                   + "| anomalies refractory=7d | where anomaly", now: now)
        #expect(kept.series.isEmpty, "the incident's later days are not new alerts")
    }

    @Test func theAlertColumnIsTheDetectorsOwn() throws {
        // The whole series displayed (no history before it): the column is exactly `AnomalyResult.alert`.
        let dir = TemporaryDirectory()
        let (store, times, values) = try Self.store(dir)
        for options in ["refractory=2", "refractory=3d likelihood=on", "likelihood=on", "sensitivity=3 refractory=4"] {
            let s = try #require(try store.query("row_count | anomalies \(options)", now: times.last! + D.day).series.first)
            let r = try AnomalyDetector(options).detect(times: times, values: values.map { $0! })
            #expect(s.times == times)
            #expect(s.alert == r.alert, "\(options)")
            #expect(s.anomaly == r.anomaly, "\(options)")
            // Every alert is a flag.
            #expect(zip(s.alert!, s.anomaly!).allSatisfy { !$0.0 || $0.1 })
        }
    }

    @Test func csvAndJSONCarryTheAlertColumn() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let result = try store.query("row_count | since \(D.text(times[179])) | until \(D.text(times[182])) "
                                     + "| anomalies refractory=7d", now: times.last! + D.day)
        let lines = result.csv().split(separator: "\n").map(String.init)
        #expect(lines.first == "metric,dataset,time,value,reason,expected,lower,upper,score,anomaly,alert")
        #expect(lines.count == 4)
        #expect(lines[1].hasSuffix(",false,false"), "day 179 is normal: \(lines[1])")
        #expect(lines[2].hasPrefix("row_count,orders,\(D.text(times[180])),3000.0,") && lines[2].hasSuffix(",true,true"))
        #expect(lines[3].hasPrefix("row_count,orders,\(D.text(times[181])),3000.0,") && lines[3].hasSuffix(",true,false"))
        let json = result.json()
        #expect(json.contains(#""anomaly":false,"alert":false}"#))
        #expect(json.contains(#""anomaly":true,"alert":true}"#))
        #expect(json.contains(#""anomaly":true,"alert":false}"#))
        let table = result.table().split(separator: "\n").map(String.init)
        #expect(table.first?.hasSuffix("anomaly  alert") == true, "\(table.first ?? "")")
        #expect(table.last?.hasSuffix("true     false") == true, "\(table.last ?? "")")
    }

    @Test func aForecastAfterAnomaliesKeepsTheColumnsAligned() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let s = try #require(try store.query("row_count | since \(D.text(times[190])) | anomalies refractory=7d "
                                             + "| forecast 3", now: times.last! + D.day).series.first)
        #expect(s.count == 13)
        #expect(s.alert?.count == 13 && s.anomaly?.count == 13)
        #expect(s.alert!.suffix(3) == [false, false, false])
        #expect(try Self.days(s, s.alert, times) == [Self.second])
    }

    @Test func badRefractoryAndLikelihoodOptionsAreQueryErrorsAtTheirPosition() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        func error(_ query: String) -> QueryError? {
            do { _ = try store.query(query, now: times.last!) } catch let e as QueryError { return e } catch { return nil }
            return nil
        }
        let refractory = try #require(error("row_count | anomalies refractory=soon"))
        #expect(refractory.column == 23)
        #expect(refractory.message == "`anomalies`: invalid refractory 'soon'; valid choices: off, a point count such "
            + "as 100 or 100p, or a duration such as 8h")
        let negative = try #require(error("row_count | anomalies refractory=-3"))
        #expect(negative.message.contains("invalid refractory '-3'"))
        let likelihood = try #require(error("row_count | anomalies sensitivity=3 likelihood=maybe"))
        #expect(likelihood.column == 37)
        #expect(likelihood.message == "`anomalies`: invalid likelihood 'maybe'; valid choices: on, strict, off")
        let stuck = try #require(error("row_count | anomalies stuck=maybe"))
        #expect(stuck.message == "`anomalies`: invalid stuck 'maybe'; valid choices: on, off")
        let typo = try #require(error("row_count | anomalies refactory=3d"))
        #expect(typo.message.contains("unknown option 'refactory'") && typo.message.contains("refractory, likelihood"))
        let forecast = try #require(error("row_count | forecast 7d refractory=x"))
        #expect(forecast.message.contains("`forecast`: invalid refractory 'x'"))
    }

    // MARK: - Store.check

    @Test func checkJudgesTheLatestPointByItsAlert() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        func check(_ query: String, latest day: Int) throws -> AnomalyCheckReport {
            try store.check(query, now: times[day] + D.hour)
        }
        // The incident's first day: a fresh alert, with or without a refractory period.
        for query in ["row_count", "row_count | anomalies refractory=7d"] {
            let fresh = try check(query, latest: 180)
            #expect(fresh.failed, "\(query)")
            #expect(fresh.findings.map(\.time) == [times[180]])
            #expect(fresh.findings.first?.alert == true && fresh.findings.first?.anomaly == true)
            #expect(fresh.quiet.isEmpty)
        }
        // Its third day: still flagged. The default check fails again; with the refractory period it passes and
        // lists the point as flagged without a new alert.
        let again = try check("row_count", latest: 182)
        #expect(again.failed && again.findings.map(\.time) == [times[182]])
        let quiet = try check("row_count | anomalies refractory=7d", latest: 182)
        #expect(!quiet.failed)
        #expect(quiet.findings.isEmpty)
        #expect(quiet.quiet.map(\.time) == [times[182]])
        #expect(quiet.quiet.first?.anomaly == true && quiet.quiet.first?.alert == false)
        #expect(quiet.quiet.first?.reason?.hasPrefix("3,000 is below the expected range") == true)
        // A separate incident after the period alerts again; one inside a longer period does not.
        #expect(try check("row_count | anomalies refractory=7d", latest: Self.second).failed)
        #expect(try !check("row_count | anomalies refractory=14d", latest: Self.second).failed)
        // A normal latest point: nothing to report either way.
        let normal = try check("row_count | anomalies refractory=7d", latest: 185)
        #expect(!normal.failed && normal.quiet.isEmpty)
    }

    @Test func checkWithWhereAnomalyFailsOnTheAlerts() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        let now = times.last! + D.hour
        let all = try store.check("row_count | since \(D.text(times[175])) | anomalies | where anomaly", now: now)
        #expect(all.mode == .anyPoint && all.findings.map(\.time) == Self.flaggedDays.map { times[$0] })
        let alerts = try store.check("row_count | since \(D.text(times[175])) | anomalies refractory=7d | where anomaly",
                                     now: now)
        #expect(alerts.findings.map(\.time) == [times[180], times[Self.second]])
        // Inside the incident, after its alert: nothing remains, the check passes.
        let inside = try store.check("row_count | since \(D.text(times[181])) | until \(D.text(times[190])) "
                                     + "| anomalies refractory=7d | where anomaly", now: now)
        #expect(!inside.failed)
    }

    // MARK: - Store.backtest

    @Test func backtestCountsAlertsWithARefractoryPeriod() throws {
        let dir = TemporaryDirectory()
        let (store, times, _) = try Self.store(dir)
        for day in Self.incident {
            try store.setFeedback(series: try #require(store.series(key: D.key("orders"))).id, time: times[day],
                                  verdict: .anomaly)
        }
        let settings = [BacktestSetting(method: .auto, sensitivity: 4)]
        let plain = try #require(try store.backtest(.all, from: times[170], settings: settings).totals.first)
        #expect(plain.flagged == 5 && plain.alerts == 5 && plain.alertEvents == 2)
        #expect(plain.truePositives == 4 && plain.recall == 1 && plain.precision == 0.8)
        let base = try AnomalyOptions.parse("refractory=7d")
        let thinned = try #require(try store.backtest(.all, from: times[170], settings: settings, base: base).totals.first)
        #expect(thinned.judged == plain.judged)
        #expect(thinned.flagged == 5)
        #expect(thinned.alerts == 2 && thinned.alertEvents == 2)
        #expect(abs(thinned.alertsPer1000 - 2_000 / Double(thinned.judged)) < 1e-9)
        // One alert on the marked incident: caught, one of its four points alerted; the other alert is unmarked.
        #expect(thinned.truePositives == 1 && thinned.precision == 0.5 && thinned.recall == 0.25)
        #expect(thinned.eventRecall == 1)
        // The window starts inside the incident: its first day's alert, in the look-back, silences the rest.
        let inside = try #require(try store.backtest(.all, from: times[181], settings: settings, base: base).totals.first)
        #expect(inside.flagged == 4 && inside.alerts == 1)
    }
}
