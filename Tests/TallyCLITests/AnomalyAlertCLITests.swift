import Foundation
import Testing
import Tally
import TallyAnalysis
import TallyTestSupport

/// `refractory=` and `likelihood=` through the built binary: `tally query`, `tally check`, `tally backtest`.
@Suite("alerts through the built binary")
struct AnomalyAlertCLITests {
    static let day: Int64 = 86_400_000
    /// 2024-01-01T06:00:00Z.
    static let start: Int64 = 1_704_088_800_000
    static let days = 120
    /// The orders row count drops to a tenth on days 116–119 (the last four): an incident still going on.
    static let incident = 116..<120
    static let orders = #"row_count{dataset="orders"}"#

    static func time(_ i: Int) -> Int64 { start + Int64(i) * day }
    /// Just after the scan of day `i`.
    static func now(_ i: Int) -> String { TimeText.format(time(i) + 3_600_000) }

    static func makeStore(_ dir: TemporaryDirectory) throws -> String {
        var rng = SeededGenerator(seed: 4242)
        var csv = "time,metric,value,dataset\n"
        for i in 0..<days {
            var orders = (1_000 * (1 + 0.02 * Double.random(in: -1...1, using: &rng))).rounded()
            if incident.contains(i) { orders = 100 }
            csv += "\(TimeText.format(time(i))),row_count,\(Int(orders)),orders\n"
        }
        return try storeFromCSV(csv, in: dir)
    }

    @Test func queryOutputsTheAlertColumnAndWhereAnomalyKeepsTheAlerts() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let since = TimeText.format(Self.time(110))
        let csv = try runTally(["query", "\(Self.orders) | since \(since) | anomalies refractory=7d", "--format", "csv",
                                "--store", store, "--now", Self.now(119)])
        #expect(csv.status == 0, "\(csv.stderr)")
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasSuffix(",score,anomaly,alert") == true, "\(lines.first ?? "")")
        #expect(lines.count == 11)
        #expect(lines.filter { $0.hasSuffix(",true,true") }.map { $0.contains(TimeText.format(Self.time(116))) } == [true])
        #expect(lines.filter { $0.hasSuffix(",true,false") }.count == 3)
        #expect(lines.dropFirst().filter { $0.hasSuffix(",false,false") }.count == 6)
        // Default options: every flagged day is an alert.
        let plain = try runTally(["query", "\(Self.orders) | since \(since) | anomalies | where anomaly", "--format", "csv",
                                  "--store", store, "--now", Self.now(119)])
        #expect(plain.stdout.split(separator: "\n").dropFirst().count == 4, "\(plain.stdout)")
        // With the refractory period, `where anomaly` keeps the one alert.
        let json = try runTally(["query", "\(Self.orders) | since \(since) | anomalies refractory=7d | where anomaly",
                                 "--format", "json", "--store", store, "--now", Self.now(119)])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let series = try #require(object["series"] as? [[String: Any]])
        let points = try #require(series.first?["points"] as? [[String: Any]])
        #expect(points.count == 1)
        #expect(points.first?["time"] as? String == TimeText.format(Self.time(116)))
        #expect(points.first?["anomaly"] as? Bool == true && points.first?["alert"] as? Bool == true)
    }

    @Test func checkWithARefractoryPeriodAlertsOncePerIncident() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let refractory = "\(Self.orders) | anomalies refractory=7d"
        // The default check fails on every day of the incident.
        for day in [116, 119] {
            let r = try runTally(["check", Self.orders, "--store", store, "--now", Self.now(day)])
            #expect(r.status == 1, "day \(day): \(r.stdout)\(r.stderr)")
        }
        // With the refractory period: the first day is a fresh incident (exit 1) ...
        let fresh = try runTally(["check", refractory, "--store", store, "--now", Self.now(116)])
        #expect(fresh.status == 1, "\(fresh.stdout)\(fresh.stderr)")
        #expect(fresh.stdout.hasPrefix("ANOMALY  \(Self.orders)  \(TimeText.format(Self.time(116)))"), "\(fresh.stdout)")
        #expect(fresh.stdout.hasSuffix("anomalous: 1 of 1 series\n") || fresh.stdout.hasSuffix("anomalous: 1 of 1 series"))
        // ... its later days are inside the period after that alert (exit 0), listed as flagged.
        for day in [117, 119] {
            let r = try runTally(["check", refractory, "--store", store, "--now", Self.now(day)])
            #expect(r.status == 0, "day \(day): \(r.stdout)\(r.stderr)")
            let lines = r.stdout.split(separator: "\n").map(String.init)
            #expect(lines.first?.hasPrefix("FLAGGED  \(Self.orders)  \(TimeText.format(Self.time(day)))") == true, "\(r.stdout)")
            #expect(lines.first?.contains("(no new alert: refractory period, likelihood gate or recurring flag)") == true)
            #expect(lines.last == "ok: 1 series checked, no latest point raises a new alert; 1 latest point flagged without a new alert")
        }
        // Two points of refractory: day 119 is three points after the alert on day 116, so it alerts again.
        let short = try runTally(["check", "\(Self.orders) | anomalies refractory=2", "--store", store, "--now", Self.now(119)])
        #expect(short.status == 1, "\(short.stdout)\(short.stderr)")
        let shorter = try runTally(["check", "\(Self.orders) | anomalies refractory=2", "--store", store, "--now", Self.now(118)])
        #expect(shorter.status == 0, "\(shorter.stdout)\(shorter.stderr)")
        // JSON: the quiet point with its flags.
        let json = try runTally(["check", refractory, "--format", "json", "--store", store, "--now", Self.now(119)])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["status"] as? String == "ok")
        #expect((object["findings"] as? [Any])?.isEmpty == true)
        let quiet = try #require(object["quiet"] as? [[String: Any]])
        #expect(quiet.count == 1)
        #expect(quiet.first?["time"] as? String == TimeText.format(Self.time(119)))
        #expect(quiet.first?["anomaly"] as? Bool == true && quiet.first?["alert"] as? Bool == false)
        let failing = try runTally(["check", refractory, "--format", "json", "--store", store, "--now", Self.now(116)])
        let failed = try #require(try JSONSerialization.jsonObject(with: Data(failing.stdout.utf8)) as? [String: Any])
        let finding = try #require((failed["findings"] as? [[String: Any]])?.first)
        #expect(finding["alert"] as? Bool == true && finding["anomaly"] as? Bool == true)
        #expect((failed["quiet"] as? [Any])?.isEmpty == true)
    }

    @Test func badAlertOptionsExitTwoWithTheOption() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let check = try runTally(["check", "row_count | anomalies refractory=soon", "--store", store])
        #expect(check.status == 2)
        #expect(check.stderr.contains("query error at 1:23: `anomalies`: invalid refractory 'soon'; valid choices: off, "
                                      + "a point count such as 100 or 100p, or a duration such as 8h"), "\(check.stderr)")
        let likelihood = try runTally(["query", "row_count | anomalies likelihood=sometimes", "--store", store])
        #expect(likelihood.status != 0)
        #expect(likelihood.stderr.contains("`anomalies`: invalid likelihood 'sometimes'; valid choices: on, strict, off"),
                "\(likelihood.stderr)")
        let backtest = try runTally(["backtest", "row_count", "--options", "refractory=soon", "--store", store])
        #expect(backtest.status == 2)
        #expect(backtest.stderr.contains("--options: invalid refractory 'soon'"), "\(backtest.stderr)")
        // method= and sensitivity= are what --methods and --sensitivities set: refused, not silently overridden.
        for (option, flag) in [("method=level", "--methods"), ("Sensitivity=2", "--sensitivities")] {
            let overridden = try runTally(["backtest", "row_count", "--options", "direction=down " + option, "--store", store])
            #expect(overridden.status == 2 && overridden.stderr.contains("is what \(flag) sets"), "\(overridden.stderr)")
        }
    }

    @Test func backtestCountsTheAlertsLeftByTheRefractoryPeriod() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        func rows(_ options: [String]) throws -> [[String: Any]] {
            let r = try runTally(["backtest", Self.orders, "--since", "20d", "--methods", "auto", "--sensitivities", "4",
                                  "--format", "json", "--store", store, "--now", Self.now(119)] + options)
            #expect(r.status == 0, "\(r.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return try #require(object["rows"] as? [[String: Any]])
        }
        let plain = try #require(try rows([]).first)
        #expect(plain["flagged"] as? Int == 4 && plain["alerts"] as? Int == 4, "\(plain)")
        let thinned = try #require(try rows(["--options", "refractory=7d"]).first)
        #expect(thinned["flagged"] as? Int == 4 && thinned["alerts"] as? Int == 1, "\(thinned)")
        #expect(thinned["alert_events"] as? Int == 1)
        let judged = try #require(thinned["judged"] as? Int)
        #expect(abs((thinned["alerts_per_1000"] as? Double ?? 0) - 1000 / Double(judged)) < 1e-9)
        // The table shows the flags underneath and says what thinned them.
        let table = try runTally(["backtest", Self.orders, "--since", "20d", "--methods", "auto", "--sensitivities", "4",
                                  "--options", "refractory=7d", "--store", store, "--now", Self.now(119)])
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.split(separator: " ").map(String.init).prefix(6) == ["method", "sensitivity", "series", "judged", "flagged", "alerts"])
        #expect(lines.dropFirst().first?.split(separator: " ").map(String.init).prefix(6) == ["auto", "4", "1", "\(judged)", "4", "1"])
        #expect(lines.last == "alerts: flagged points left after refractory=1w")
        // The recurrence check thins alerts too, so it also gets the column and the note.
        let recurring = try runTally(["backtest", Self.orders, "--since", "20d", "--methods", "auto", "--sensitivities",
                                      "4", "--options", "recurring=on", "--store", store, "--now", Self.now(119)])
        #expect(recurring.stdout.split(separator: "\n").first?.contains("flagged") == true, "\(recurring.stdout)")
        #expect(recurring.stdout.hasSuffix("alerts: flagged points left after recurring=on\n")
                || recurring.stdout.hasSuffix("alerts: flagged points left after recurring=on"), "\(recurring.stdout)")
        // Without the options the table is as before.
        let before = try runTally(["backtest", Self.orders, "--since", "20d", "--methods", "auto", "--sensitivities", "4",
                                   "--store", store, "--now", Self.now(119)])
        #expect(!before.stdout.contains("flagged"))
        #expect(!before.stderr.contains("no point was judged"))
        // A window before the series began: the table of zeros comes with a note saying why.
        let empty = try runTally(["backtest", Self.orders, "--since", "20d", "--methods", "auto", "--sensitivities", "4",
                                  "--store", store, "--now", "2000-01-01"])
        #expect(empty.status == 0 && empty.stderr.contains("note: no point was judged from 1999-12-12T00:00:00Z to 2000-01-01T00:00:00Z"),
                "\(empty.stderr)")
    }
}
