import Foundation
import Testing
import Tally
import TallyAnalysis
import TallyTestSupport

/// `tally check`, `tally feedback` and `tally backtest` through the built binary.
@Suite("anomaly commands through the built binary")
struct AnomalyCLITests {
    static let day: Int64 = 86_400_000
    /// 2024-01-01T06:00:00Z.
    static let start: Int64 = 1_704_088_800_000
    static let days = 120
    /// The orders spike (three times the usual rows) is on day 100; the payments drop to zero on the last day.
    static let spikeDay = 100

    static func time(_ i: Int) -> Int64 { start + Int64(i) * day }
    static var now: String { TimeText.format(time(days)) }

    /// A store with `row_count` for orders (a spike on day 100, a normal latest point) and payments (the latest
    /// point dropped to zero).
    static func makeStore(_ dir: TemporaryDirectory) throws -> String {
        var rng = SeededGenerator(seed: 99)
        var csv = "time,metric,value,dataset\n"
        for i in 0..<days {
            let t = TimeText.format(time(i))
            var orders = (1_000 * (1 + 0.02 * Double.random(in: -1...1, using: &rng))).rounded()
            if i == spikeDay { orders *= 3 }
            var payments = (2_000 * (1 + 0.02 * Double.random(in: -1...1, using: &rng))).rounded()
            if i == days - 1 { payments = 0 }
            csv += "\(t),row_count,\(Int(orders)),orders\n\(t),row_count,\(Int(payments)),payments\n"
        }
        return try storeFromCSV(csv, in: dir)
    }

    /// A check is as of `--now`: with `| latest` (or any query without a range) the latest point at or before
    /// then is judged, not one after it (the spike day was passed over as "no point at or before now").
    @Test func aBackdatedCheckWithLatestJudgesThePointAsOfThen() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let then = TimeText.format(Self.time(Self.spikeDay) + 3_600_000)
        let latest = try runTally(["check", #"row_count{dataset="orders"} | latest"#, "--store", store, "--now", then])
        #expect(latest.status == 1, "\(latest.stdout)\(latest.stderr)")
        #expect(latest.stdout.contains("ANOMALY") && latest.stdout.contains(TimeText.format(Self.time(Self.spikeDay))),
                "\(latest.stdout)")
        let dayAfter = TimeText.format(Self.time(Self.spikeDay + 1) + 3_600_000)
        #expect(try runTally(["check", #"row_count{dataset="orders"} | latest"#, "--store", store, "--now", dayAfter]).status == 0)
    }

    @Test func checkExitsZeroWhenTheLatestPointsAreNormal() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let r = try runTally(["check", #"row_count{dataset="orders"}"#, "--store", store, "--now", Self.now])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("ok: 1 series checked"), "\(r.stdout)")
    }

    /// A query that matches nothing checked nothing: exit 2 (a misspelt label must not pass CI in silence), unless
    /// `--allow-empty` says that is fine.
    @Test func checkOfAQueryThatMatchesNothingExitsTwoUnlessEmptyIsAllowed() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let typo = #"row_count{dataset="ordres"}"#
        let r = try runTally(["check", typo, "--store", store, "--now", Self.now])
        #expect(r.status == 2, "\(r.stdout)\(r.stderr)")
        #expect(r.stderr.contains("the query matched no series, so nothing was checked"), "\(r.stderr)")
        #expect(r.stdout.isEmpty)
        let allowed = try runTally(["check", typo, "--allow-empty", "--format", "json", "--store", store, "--now", Self.now])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(allowed.stdout.utf8)) as? [String: Any])
        #expect(object["series"] as? Int == 0)
        // A query that matches series whose latest points are fine still exits 0 without the flag.
        #expect(try runTally(["check", #"row_count{dataset="orders"}"#, "--store", store, "--now", Self.now]).status == 0)
    }

    /// A series too young to judge passes, but is listed as NOT JUDGED and counted in the summary (and in JSON's
    /// `not_judged`), so CI can tell "fine" from "not looked at".
    @Test func checkListsSeriesItCouldNotJudge() throws {
        let dir = TemporaryDirectory()
        var csv = "time,metric,value,dataset\n"
        for i in 0..<4 { csv += "\(TimeText.format(Self.time(i))),row_count,\(1_000 + i),young\n" }
        let store = try storeFromCSV(csv, in: dir)
        let r = try runTally(["check", "row_count", "--store", store, "--now", TimeText.format(Self.time(4))])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("NOT JUDGED  row_count{dataset=\"young\"}") == true, "\(r.stdout)")
        #expect(lines.first?.contains("needs ") == true, "\(r.stdout)")
        #expect(lines.last == "ok: 1 series checked, no latest point is anomalous; 1 series not judged "
                + "(too little history, no value, or no point)", "\(r.stdout)")
        // As of a time before its first point, the series has nothing to judge: listed too.
        let early = try runTally(["check", "row_count", "--store", store, "--now", TimeText.format(Self.time(0) - Self.day)])
        #expect(early.status == 0 && early.stdout.contains("NOT JUDGED  row_count{dataset=\"young\"}  no point at or before now"),
                "\(early.stdout)")
        let j = try runTally(["check", "row_count", "--format", "json", "--store", store, "--now", TimeText.format(Self.time(4))])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "ok")
        #expect((json["not_judged"] as? [[String: Any]])?.first?["series"] as? String == #"row_count{dataset="young"}"#)
        // A series with no point yet: named the same way, with no time.
        let earlyJSON = try runTally(["check", "row_count", "--format", "json", "--store", store,
                                      "--now", TimeText.format(Self.time(0) - Self.day)])
        let none = try #require(try JSONSerialization.jsonObject(with: Data(earlyJSON.stdout.utf8)) as? [String: Any])
        let entry = try #require((none["not_judged"] as? [[String: Any]])?.first, "\(earlyJSON.stdout)")
        #expect(entry["series"] as? String == #"row_count{dataset="young"}"# && entry["metric"] as? String == "row_count")
        #expect(entry["labels"] as? [String: String] == ["dataset": "young"] && entry["time"] is NSNull)
        #expect(entry["reason"] as? String == "no point at or before now")
    }

    @Test func checkExitsOneNamingTheAnomalousSeries() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let r = try runTally(["check", "row_count", "--store", store, "--now", Self.now])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let finding = try #require(lines.first { $0.hasPrefix("ANOMALY") }, "\(r.stdout)")
        #expect(finding.contains(#"row_count{dataset="payments"}"#))
        #expect(finding.contains(TimeText.format(Self.time(Self.days - 1))))
        #expect(finding.contains("value 0"))
        #expect(finding.contains("expected 2,0") || finding.contains("expected 1,9"), "\(finding)")
        #expect(finding.contains("0 is below the expected range"))
        #expect(!r.stdout.contains(#"dataset="orders""#), "orders' latest point is normal")
        #expect(lines.last == "anomalous: 1 of 2 series")
        // JSON for scripts.
        let j = try runTally(["check", "row_count", "--format", "json", "--store", store, "--now", Self.now])
        #expect(j.status == 1)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(j.stdout.utf8)) as? [String: Any])
        #expect(json["status"] as? String == "anomalous")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.count == 1)
        #expect(findings.first?["series"] as? String == #"row_count{dataset="payments"}"#)
        #expect(findings.first?["value"] as? Double == 0)
        #expect((findings.first?["lower"] as? Double ?? 0) > 1_800)
    }

    @Test func checkWithAWhereFailsWhenAnyPointRemains() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        // `where anomaly` without `anomalies`: the stage is put in before it.
        let month = try runTally(["check", #"row_count{dataset="orders"} | since 30d | where anomaly"#, "--store", store,
                                  "--now", Self.now])
        #expect(month.status == 1, "\(month.stdout)\(month.stderr)")
        #expect(month.stdout.contains(TimeText.format(Self.time(Self.spikeDay))), "\(month.stdout)")
        #expect(month.stdout.contains("is above the expected range"))
        let week = try runTally(["check", #"row_count{dataset="orders"} | since 10d | where anomaly"#, "--store", store,
                                 "--now", Self.now])
        #expect(week.status == 0, "\(week.stdout)\(week.stderr)")
        // A plain threshold.
        let zero = try runTally(["check", "row_count | latest | where value < 1", "--store", store, "--now", Self.now])
        #expect(zero.status == 1)
        #expect(zero.stdout.contains("payments") && !zero.stdout.contains("orders"))
        // As of --now: a point after it does not count (the orders spike is on day 100).
        let before = TimeText.format(Self.time(Self.spikeDay) - Self.day)
        let early = try runTally(["check", #"row_count{dataset="orders"} | where value > 2000"#, "--store", store,
                                  "--now", before])
        #expect(early.status == 0, "\(early.stdout)\(early.stderr)")
        let after = try runTally(["check", #"row_count{dataset="orders"} | where value > 2000"#, "--store", store,
                                  "--now", TimeText.format(Self.time(Self.spikeDay))])
        #expect(after.status == 1, "\(after.stdout)\(after.stderr)")
    }

    /// A backtest or feedback of a selector that matches nothing says so and exits 2, as `check` does, instead of
    /// zeros; removing a verdict id that does not exist is an error, not "removed 0 verdicts".
    @Test func backtestOfNothingSaysSo() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let r = try runTally(["backtest", "nosuch", "--store", store, "--now", Self.now])
        #expect(r.status == 2 && r.stderr.contains("nosuch matches no series"), "\(r.stdout)\(r.stderr)")
        let f = try runTally(["feedback", "nosuch", "--at", "latest", "expected", "--store", store])
        #expect(f.status == 2 && f.stderr.contains("nosuch matches no series"), "\(f.stdout)\(f.stderr)")
        for command in [["feedback", "list", "nosuch"], ["feedback", "remove", "nosuch", "--all"],
                        ["delete", "nosuch"], ["retain", "--older-than", "1d", "nosuch"]] {
            let r = try runTally(command + ["--store", store])
            #expect(r.status == 2 && r.stderr.contains("nosuch matches no series"), "\(command): \(r.stdout)\(r.stderr)")
        }
        let removed = try runTally(["feedback", "remove", "--id", "999", "--store", store])
        #expect(removed.status == 1 && removed.stderr.contains("no verdict with id 999"), "\(removed.stdout)\(removed.stderr)")
    }

    @Test func checkExitsTwoForABadQuery() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let typo = try runTally(["check", "row_count | buckt 1d avg", "--store", store])
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("query error at 1:13: unknown stage `buckt`"), "\(typo.stderr)")
        let option = try runTally(["check", "row_count | anomalies sensitivity=abc", "--store", store])
        #expect(option.status == 2)
        #expect(option.stderr.contains("query error at 1:23: `anomalies`: invalid sensitivity 'abc'"), "\(option.stderr)")
        #expect(option.stdout.isEmpty)
        // A check that cannot run is not an anomaly: exit 3, whatever the format.
        for format in ["table", "json"] {
            let missing = try runTally(["check", "row_count", "--store", dir.child("nosuch"), "--format", format])
            #expect(missing.status == 3 && missing.stderr.contains("no Tally store at"), "\(missing.status) \(missing.stderr)")
            #expect(format == "table" ? missing.stdout.isEmpty
                    : missing.stdout.hasPrefix(#"{"status": "error", "error": "no Tally store at"#), "\(missing.stdout)")
        }
        let badNow = try runTally(["check", "row_count", "--store", store, "--format", "json", "--now", "yesterday-ish"])
        #expect(badNow.status == 2 && badNow.stdout.hasPrefix(#"{"status": "error", "error": "#), "\(badNow.stdout)")
        let badJSON = try runTally(["check", "row_count | buckt 1d avg", "--store", store, "--format", "json"])
        #expect(badJSON.status == 2 && badJSON.stdout.contains(#""error": "query error at 1:13: unknown stage `buckt`"#), "\(badJSON.stdout)")
    }

    /// A check that matches check points lists each by its name (not only Soda's identity hash) and outcome.
    @Test func matchedCheckPointsShowTheirNameAndOutcome() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("""
            time,metric,value,outcome,check,dataset
            2024-05-01T06:00:00Z,check,0,pass,0ebdfba0,orders
            2024-05-02T06:00:00Z,check,3,fail,0ebdfba0,orders

            """, in: dir)
        let named = try runTally(["series", "set", "check{check=\"0ebdfba0\"}", "name=duplicate_count(id) = 0", "--store", store])
        #expect(named.status == 0, "\(named.stderr)")
        let r = try runTally(["check", "check | where outcome = fail", "--store", store, "--now", "2024-05-03"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains(#"MATCH  check{check="0ebdfba0", dataset="orders"} (duplicate_count(id) = 0)  2024-05-02T06:00:00Z  value 3  outcome fail"#),
                "\(r.stdout)")
        let json = try runTally(["check", "check | where outcome = fail", "--store", store, "--now", "2024-05-03", "--format", "json"])
        #expect(json.stdout.contains(#""outcome": "fail", "name": "duplicate_count(id) = 0""#), "\(json.stdout)")
    }

    @Test func feedbackIsAddedListedAndRemoved() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        // A date without a time of day means that day's scan (06:00).
        let spikeDate = String(TimeText.format(Self.time(Self.spikeDay)).prefix(10))
        let add = try runTally(["feedback", #"row_count{dataset="orders"}"#, "--at", spikeDate, "anomaly",
                                "--note", "double load", "--store", store])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.stdout.contains("marked row_count{dataset=\"orders\"} at \(TimeText.format(Self.time(Self.spikeDay)))"), "\(add.stdout)")
        #expect(add.stdout.contains("as anomaly"))
        let latest = try runTally(["feedback", "add", "row_count", "--at", "latest", "expected", "--store", store])
        #expect(latest.status == 0, "\(latest.stderr)")
        #expect(latest.stdout.split(separator: "\n").count == 2)
        let list = try runTally(["feedback", "list", "--format", "json", "--store", store])
        #expect(list.status == 0, "\(list.stderr)")
        let items = try #require(try JSONSerialization.jsonObject(with: Data(list.stdout.utf8)) as? [[String: Any]])
        #expect(items.count == 3)
        let spike = try #require(items.first { $0["verdict"] as? String == "anomaly" })
        #expect(spike["note"] as? String == "double load")
        #expect(spike["time"] as? String == TimeText.format(Self.time(Self.spikeDay)))
        let table = try runTally(["feedback", "list", #"row_count{dataset="payments"}"#, "--store", store])
        #expect(table.stdout.contains("expected") && !table.stdout.contains("double load"), "\(table.stdout)")
        let id = try #require(spike["id"] as? Int)
        let removed = try runTally(["feedback", "remove", "--id", "\(id)", "--store", store])
        #expect(removed.stdout.contains("removed 1 verdict"), "\(removed.stdout)\(removed.stderr)")
        let all = try runTally(["feedback", "remove", "row_count", "--all", "--store", store])
        #expect(all.stdout.contains("removed 2 verdicts"), "\(all.stdout)\(all.stderr)")
        let empty = try runTally(["feedback", "list", "--store", store])
        #expect(empty.stdout.contains("(no feedback)"))
        // Bad input.
        #expect(try runTally(["feedback", "row_count", "--at", "latest", "maybe", "--store", store]).status == 2)
        #expect(try runTally(["feedback", "row_count", "--at", "2023-01-01", "anomaly", "--store", store]).status == 1)
    }

    @Test func backtestReportsAlertsPerSettingAndScoresAgainstFeedback() throws {
        let dir = TemporaryDirectory()
        let store = try Self.makeStore(dir)
        let table = try runTally(["backtest", "row_count", "--since", "60d", "--methods", "level,seasonal",
                                  "--sensitivities", "3,4", "--store", store, "--now", Self.now])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("method") == true)
        #expect(lines.filter { $0.hasPrefix("level ") || $0.hasPrefix("seasonal ") }.count == 4, "\(table.stdout)")
        #expect(table.stdout.contains("no feedback in the window"))
        // Mark the spike and the drop as incidents: precision and recall appear.
        for (selector, i) in [(#"row_count{dataset="orders"}"#, Self.spikeDay), (#"row_count{dataset="payments"}"#, Self.days - 1)] {
            let r = try runTally(["feedback", selector, "--at", TimeText.format(Self.time(i)), "anomaly", "--store", store])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let json = try runTally(["backtest", "row_count", "--since", "60d", "--methods", "level,seasonal",
                                 "--sensitivities", "3,4", "--format", "json", "--store", store, "--now", Self.now])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 4)
        for row in rows {
            #expect(row["series_count"] as? Int == 2)
            #expect(row["judged"] as? Int == 120, "60 days of two series")
            #expect(row["series_with_feedback"] as? Int == 2)
            #expect(row["labelled_anomalies"] as? Int == 2)
            #expect(row["recall"] as? Double == 1, "both incidents are flagged: \(row)")
            let alerts = try #require(row["alerts"] as? Int)
            #expect(row["precision"] as? Double == 2 / Double(alerts))
            #expect(abs((row["alerts_per_1000"] as? Double ?? 0) - Double(alerts) * 1000 / 120) < 1e-9)
        }
        let bad = try runTally(["backtest", "row_count", "--methods", "prophet", "--store", store])
        #expect(bad.status == 2 && bad.stderr.contains("invalid method 'prophet'"), "\(bad.stderr)")
    }

    @Test func demoFindsEveryPlantedIncident() throws {
        let dir = TemporaryDirectory()
        let r = try runTally(["demo", "--store", dir.child("demo"), "--anchor", "2025-06-30"])
        #expect(r.status == 0, "\(r.stderr)")
        let parts = r.stdout.components(separatedBy: "The planted incidents, found by the anomaly detector:")
        #expect(parts.count == 2)
        let planted = parts[0].split(separator: "\n").filter { $0.hasPrefix("  ") && $0.contains(" from ") && $0.contains("T00:00:00Z: ") }
        #expect(planted.count == 5, "\(parts[0])")
        let found = parts.count == 2 ? parts[1] : ""
        for line in planted {
            // "  drop to zero in SERIES from 2025-06-10T00:00:00Z: ..."
            let text = String(line.dropFirst(2))
            let head = try #require(text.components(separatedBy: " from ").first)
            let day = try #require(text.components(separatedBy: " from ").last?.prefix(10))
            let section = try #require(found.components(separatedBy: "\n" + head + ":\n").last,
                                       "no section for \(head)")
            let flagged = section.components(separatedBy: "\n\n").first ?? ""
            // Flagged on the incident's first day, or (a stuck value needs three equal scans) within two days.
            let start = try #require(TimeText.parse(day + "T00:00:00Z"))
            let days = (0...2).map { TimeText.format(start + Int64($0) * Self.day).prefix(10) }
            #expect(days.contains { flagged.contains("\n  \($0)T") }, "\(head): nothing flagged from \(day):\n\(flagged)")
        }
    }
}
