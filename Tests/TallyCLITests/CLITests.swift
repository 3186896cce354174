import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("tally CLI end to end (through the built binary)")
struct CLITests {
    @Test func ingestReportsWhatLandedAndStatsCountsIt() throws {
        let dir = TemporaryDirectory()
        let csv = dir.child("points.csv")
        try writeText(csv, """
            time,metric,value,dataset,column
            2024-05-01T06:00:00Z,row_count,1204,orders,
            2024-05-01T06:00:00Z,missing_count,3,orders,email
            1714629600000,row_count,1190,orders,

            """)
        let store = dir.child("store")
        let result = try runTally(["ingest", "csv", csv, "--store", store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("landed 3 points, 2 new series"))
        let stats = try runTally(["stats", "--format", "json", "--store", store])
        #expect(stats.stdout.contains("\"series\": 2"))
        #expect(stats.stdout.contains("\"points\": 3"))
    }

    /// What `export --format json` writes, `ingest json` loads back point for point (checks, nulls, NaN and
    /// infinities, odd label values); a bad document is refused with its file, JSON path, line and column, and
    /// changes nothing; a CSV file given to `ingest json` is named as not JSON.
    @Test func aJSONExportLoadsBack() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("""
            time,metric,value,outcome,k
            2024-05-01T00:00:00Z,m,1.5,,"a,""b"" é"
            2024-05-02T00:00:00Z,m,,,"a,""b"" é"
            2024-05-03T00:00:00Z,m,NaN,,"a,""b"" é"
            2024-05-01T00:00:00Z,c,-Infinity,fail,x
            2024-05-02T00:00:00Z,c,1e300,pass,x

            """, in: dir)
        let exported = try runTally(["export", "--format", "json", "--store", store])
        try writeText(dir.child("e.json"), exported.stdout)
        let loaded = try runTally(["ingest", "json", dir.child("e.json"), "--store", dir.child("copy")])
        #expect(loaded.status == 0 && loaded.stdout.contains("landed 5 points, 2 new series"), "\(loaded.stdout)\(loaded.stderr)")
        #expect(try runTally(["export", "--store", dir.child("copy")]).stdout == runTally(["export", "--store", store]).stdout)
        try writeText(dir.child("bad.json"), "{\"series\": [{\"metric\": \"m\",\n  \"points\": [{\"time\": 5, \"value\": true}]}]}")
        let bad = try runTally(["ingest", "json", dir.child("bad.json"), "--store", dir.child("copy")])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("bad.json:2:35: $.series[0].points[0].value: expected a number"), "\(bad.stderr)")
        // A series without points (a query range it had none in) is left out, whatever its kind in the store; a
        // whole number of milliseconds may be written with an exponent.
        try writeText(dir.child("more.json"), """
            {"series": [{"metric": "c", "labels": {"k": "x"}, "points": []},
                        {"metric": "m2", "points": [{"time": 1.7146296e12, "value": 3}]}]}
            """)
        let more = try runTally(["ingest", "json", dir.child("more.json"), "--store", dir.child("copy")])
        #expect(more.status == 0 && more.stdout.contains("landed 1 point, 1 new series"), "\(more.stdout)\(more.stderr)")
        #expect(try runTally(["export", "m2", "--store", dir.child("copy")]).stdout.contains("2024-05-02T06:00:00Z"))
        try writeText(dir.child("other.csv"), "metric,time,value\n")
        let other = try runTally(["ingest", "json", dir.child("other.csv"), "--store", dir.child("copy")])
        #expect(other.stderr.contains("this is not a JSON document: it starts with \"metric,time,value\""), "\(other.stderr)")
        try writeText(dir.child("points.csv"), "time,metric,value\n")
        let csv = try runTally(["ingest", "json", dir.child("points.csv"), "--store", dir.child("copy")])
        #expect(csv.status == 2 && csv.stderr.contains("this is not a JSON document: it starts with \"time,metric,value\""),
                "\(csv.stderr)")
        #expect(try runTally(["batches", "--store", dir.child("copy")]).stdout.split(separator: "\n").count == 3)
    }

    /// `tally batches` lists CSV files and Soda scans alike, with the id `delete --import` takes.
    @Test func batchesListsEveryBatchWithTheIdDeleteTakes() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n2024-05-02T00:00:00Z,m,2\n", in: dir)
        try writeText(dir.child("second.csv"), "time,metric,value,k\n2024-05-03T00:00:00Z,m,3,a\n")
        #expect(try runTally(["ingest", "csv", dir.child("second.csv"), "--store", store]).status == 0)
        let listed = try runTally(["batches", "--store", store, "--format", "json"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        #expect(rows.map { $0["batch"] as? Int } == [1, 2])
        #expect(rows.map { $0["points"] as? Int } == [2, 1] && rows.map { $0["series"] as? Int } == [1, 1])
        #expect(rows.map { $0["kind"] as? String } == ["csv", "csv"])
        #expect((rows[1]["source"] as? String)?.hasSuffix("second.csv") == true)
        #expect(try runTally(["delete", "--import", "2", "--store", store]).status == 0)
        let after = try runTally(["batches", "--store", store])
        #expect(after.stdout.split(separator: "\n").count == 2 && !after.stdout.contains("second.csv"), "\(after.stdout)")
        // A kind no batch has is a mistake, not an empty list.
        let misspelt = try runTally(["batches", "--kind", "cvs", "--store", store])
        #expect(misspelt.status == 2 && misspelt.stderr.contains("no batch has kind cvs (the kinds in \(store): csv)"),
                "\(misspelt.stderr)")
        #expect(try runTally(["batches", "--kind", "csv", "--store", store]).stdout.contains("csv"))
    }

    /// A backup or restore into a directory that exists is a conflict (exit 1, as for `load`), and changes nothing.
    @Test func backupAndRestoreIntoAnExistingDirectoryExitOne() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n", in: dir)
        let taken = try runTally(["backup", dir.child("b"), "--store", store])
        // One CSV import is one segment; counts of one are in the singular.
        #expect(taken.status == 0 && taken.stdout.contains(": 1 segment, 1 WAL file, 0 document files, "), "\(taken.stdout)")
        let restored = try runTally(["restore", dir.child("b"), "--store", dir.child("r")])
        #expect(restored.status == 0 && restored.stdout.contains(": 1 segment, 0 WAL records, verified clean"), "\(restored.stdout)")
        try FileManager.default.createDirectory(atPath: dir.child("taken"), withIntermediateDirectories: false)
        let backup = try runTally(["backup", dir.child("taken") + "/", "--store", store])
        #expect(backup.status == 1 && backup.stderr.contains("exists: a backup goes into a new directory"), "\(backup.stderr)")
        let restore = try runTally(["restore", dir.child("b"), "--store", dir.child("taken")])
        #expect(restore.status == 1 && restore.stderr.contains("exists: restore makes a new store directory"), "\(restore.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.child("taken")).isEmpty)
    }

    /// `tally scans --format json` gives numbers as numbers and the errors flag as a boolean, like the HTTP API.
    @Test func scansAsJSONHaveNumbers() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        #expect(try runTally(["ingest", "soda", try SharedData.path("fixtures/soda/results1.json"), "--store", store]).status == 0)
        let listed = try runTally(["scans", "--format", "json", "--store", store])
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let row = try #require(rows.first)
        #expect(row["scan"] as? Int == 1 && row["checks"] is Int && row["metrics"] is Int, "\(row)")
        #expect(row["errors"] is Bool && row["definition"] is String, "\(row)")
    }

    /// `tally retain` says how many points it dropped, and refuses a cutoff in the future (it would drop them all).
    @Test func retainSaysWhatItDroppedAndRefusesAFutureCutoff() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T00:00:00Z,m,1\n2024-05-02T00:00:00Z,m,2\n2024-05-03T00:00:00Z,m,3\n", in: dir)
        let future = try runTally(["retain", "--before", "2999-01-01", "--store", store])
        #expect(future.status == 2 && future.stderr.contains("--before 2999-01-01 is not in the past"), "\(future.stderr)")
        // `now` and a zero duration keep nothing either.
        for cutoff in [["--before", "now"], ["--older-than", "0d"]] {
            let nothingKept = try runTally(["retain"] + cutoff + ["--store", store])
            #expect(nothingKept.status == 2 && nothingKept.stderr.contains("\(cutoff.joined(separator: " ")) is not in the past"),
                    "\(nothingKept.stderr)")
        }
        #expect(try runTally(["export", "m", "--format", "csv", "--store", store]).stdout.contains("2024-05-01"))
        let retained = try runTally(["retain", "--before", "2024-05-03", "--store", store])
        #expect(retained.status == 0 && retained.stdout.hasPrefix("dropped 2 points before 2024-05-03T00:00:00Z; "), "\(retained.stdout)")
        #expect(try runTally(["export", "m", "--format", "csv", "--store", store]).stdout.contains("2024-05-03"))
        let deleted = try runTally(["delete", "m", "--store", store])
        #expect(deleted.stdout.hasPrefix("deleted 1 point; "), "\(deleted.stdout)")
    }

    /// A command that changes or copies a store, given a path without one (a typo, an unset $TALLY_STORE), fails
    /// and makes nothing: before, `backup` quietly made an empty store and an empty backup of it.
    @Test func commandsThatChangeAStoreDoNotMakeOne() throws {
        let dir = TemporaryDirectory()
        let missing = dir.child("typo")
        for arguments in [["backup", dir.child("b")], ["compact"], ["retain", "--older-than", "1d"], ["delete", "m"],
                          ["series", "set", "m", "unit=x"]] {
            let r = try runTally(arguments + ["--store", missing])
            #expect(r.status == 1, "\(arguments): \(r.stdout)\(r.stderr)")
            #expect(r.stderr.contains("no Tally store at \(missing)"), "\(arguments): \(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: missing) && !FileManager.default.fileExists(atPath: dir.child("b")))
        }
        // ingest still makes the store it is given.
        try writeText(dir.child("p.csv"), "time,metric,value\n2024-05-01T00:00:00Z,m,1\n")
        #expect(try runTally(["ingest", "csv", dir.child("p.csv"), "--store", missing]).status == 0)
    }

    /// `where` leaves out the series it empties; the table then says that `where` may be why, not only the
    /// selector. Without a `where`, an empty result is still "(no series)".
    @Test func aWhereThatKeepsNoPointSaysSo() throws {
        let dir = TemporaryDirectory()
        let store = try storeFromCSV("time,metric,value\n2024-05-01T06:00:00Z,row_count,5\n", in: dir)
        let kept = try runTally(["query", "row_count | where value > 1000", "--store", store])
        #expect(kept.status == 0 && kept.stdout == "(no series: the selector matched none, or `where` kept no point)\n",
                "\(kept.stdout)\(kept.stderr)")
        let unmatched = try runTally(["query", "rows_count", "--store", store])
        #expect(unmatched.status == 0 && unmatched.stdout == "(no series)\n", "\(unmatched.stdout)")
        let found = try runTally(["query", "row_count | where value > 1", "--store", store])
        #expect(found.stdout.contains("row_count") && found.stdout.contains("5"), "\(found.stdout)")
    }

    @Test func badCSVNamesFileLineColumnAndChangesNothing() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let good = dir.child("good.csv")
        try writeText(good, "time,metric,value\n2024-05-01T00:00:00Z,row_count,1\n")
        #expect(try runTally(["ingest", "csv", good, "--store", store]).status == 0)
        let bad = dir.child("bad.csv")
        try writeText(bad, "time,metric,value\n2024-05-02T00:00:00Z,row_count,2\n2024-05-03T00:00:00Z,row_count,12x\n")
        let result = try runTally(["ingest", "csv", bad, "--store", store])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(bad):3:32: field \"value\": expected a number"), "\(result.stderr)")
        // The good row of the bad file did not land.
        let stats = try runTally(["stats", "--format", "json", "--store", store])
        #expect(stats.stdout.contains("\"points\": 1"), "\(stats.stdout)")
    }

    @Test func severalFilesEachStandAlone() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let a = dir.child("a.csv"), b = dir.child("b.csv")
        try writeText(a, "time,metric,value\n2024-05-01T00:00:00Z,row_count,1\n")
        try writeText(b, "time,metric\n2024-05-01T00:00:00Z,row_count\n")
        let result = try runTally(["ingest", "csv", b, a, "--store", store])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(b): not loaded"))
        #expect(result.stderr.contains("no value column"))
        #expect(result.stdout.contains("\(a): landed 1 point"))
    }

    @Test func readsStandardInputAndUsesTheStoreEnvironmentVariable() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("env-store")
        let result = try runTally(["ingest", "csv", "-"], stdin: "time,metric,value\n5,x,1\n",
                                  environment: ["TALLY_STORE": store])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(Store.exists(at: store))
    }

    @Test func verifyNamesDamageAndExitsOne() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        let csv = dir.child("p.csv")
        try writeText(csv, "time,metric,value\n" + (0..<50).map { "\($0 * 1000),m,\($0)" }.joined(separator: "\n") + "\n")
        #expect(try runTally(["ingest", "csv", csv, "--store", store]).status == 0)
        let clean = try runTally(["verify", "--store", store])
        #expect(clean.status == 0)
        #expect(clean.stdout == "checked 1 segment (1 block), 1 WAL file (0 records), 0 stored documents and the catalog: clean\n",
                "\(clean.stdout)")
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: store + "/segments").first)
        let path = store + "/segments/" + segment
        var bytes = try readFileBytes(path)
        bytes[20] ^= 0xFF
        try writeFileBytes(path, bytes)
        let result = try runTally(["verify", "--store", store])
        #expect(result.status == 1)
        #expect(result.stderr.contains(path))
        #expect(result.stderr.contains("offset"))
        #expect(result.stdout.hasSuffix(": 1 problem\n"), "\(result.stdout)")
    }

    @Test func usageErrorsUseArgumentParsersCode() throws {
        #expect(try runTally(["stats", "--format", "yaml"]).status == 64)
    }

    @Test func demoBuildsAndRefusesToOverwriteAnotherStore() throws {
        let dir = TemporaryDirectory()
        let demo = dir.child("demo")
        let first = try runTally(["demo", "--store", demo, "--anchor", "2025-06-30"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("drop to zero"))
        #expect(first.stdout.contains("<- drop to zero"))
        // Rebuilding a demo store is allowed and deterministic.
        let second = try runTally(["demo", "--store", demo, "--anchor", "2025-06-30"])
        #expect(second.stdout == first.stdout)
        // A store that is not a demo store is never touched.
        let other = dir.child("other")
        #expect(try runTally(["ingest", "csv", "-", "--store", other], stdin: "time,metric,value\n1,m,1\n").status == 0)
        let refused = try runTally(["demo", "--store", other])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("not a demo store"))
    }

    /// `tally series link OLD NEW` twice: the second run moves nothing and succeeds (OLD, now without points, is
    /// still found by its exact key); a self-link is refused.
    @Test func linkingAgainMovesNothing() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("store")
        // Shaped as Soda's check series: more labels than the selectors below name.
        let csv = "time,metric,value,outcome,check,dataset,datasource\n2024-05-01T00:00:00Z,check,1,pass,old,orders,shop\n"
            + "2024-05-02T00:00:00Z,check,1,fail,old,orders,shop\n2024-05-03T00:00:00Z,check,2,pass,new,orders,shop\n"
            + "2024-05-03T00:00:00Z,check,9,fail,old,orders,shop\n"
        #expect(try runTally(["ingest", "csv", "-", "--store", store], stdin: csv).status == 0)
        // Two verdicts on OLD: the one on a moved point moves with it; the one on the superseded point stays on OLD,
        // which has no points left but is still listed and removable through its selector.
        #expect(try runTally(["feedback", #"check{check="old"}"#, "--at", "2024-05-02", "anomaly", "--store", store]).status == 0)
        #expect(try runTally(["feedback", #"check{check="old"}"#, "--at", "2024-05-03", "expected", "--store", store]).status == 0)
        let first = try runTally(["series", "link", #"check{check="old"}"#, #"check{check="new"}"#, "--store", store])
        #expect(first.status == 0 && first.stdout.contains("moved 2 points"), "\(first.stdout)\(first.stderr)")
        // OLD's point at a time NEW had is not moved, and the report says it is gone.
        #expect(first.stdout.contains("; 1 point was at times check{check=\"new\""), "\(first.stdout)")
        #expect(first.stdout.contains("; 1 verdict moved with its point"), "\(first.stdout)")
        let onNew = try runTally(["feedback", "list", #"check{check="new"}"#, "--format", "csv", "--store", store])
        #expect(onNew.stdout.contains("2024-05-02T00:00:00Z,1.0,anomaly"), "\(onNew.stdout)\(onNew.stderr)")
        let onOld = try runTally(["feedback", "list", #"check{check="old"}"#, "--format", "csv", "--store", store])
        #expect(onOld.status == 0 && onOld.stdout.contains("2024-05-03T00:00:00Z,,expected"), "\(onOld.stdout)\(onOld.stderr)")
        let removed = try runTally(["feedback", "remove", #"check{check="old"}"#, "--all", "--store", store])
        #expect(removed.status == 0 && removed.stdout.contains("removed 1 verdict"), "\(removed.stdout)\(removed.stderr)")
        let again = try runTally(["series", "link", #"check{check="old"}"#, #"check{check="new"}"#, "--store", store])
        #expect(again.status == 0 && again.stdout.contains("moved 0 points"), "\(again.stdout)\(again.stderr)")
        let byName = try runTally(["series", "link", #"{__name__="check", check="old"}"#, #"check{check="new"}"#, "--store", store])
        #expect(byName.status == 0 && byName.stdout.contains("moved 0 points"), "\(byName.stdout)\(byName.stderr)")
        let itself = try runTally(["series", "link", #"check{check="new"}"#, #"check{check="new"}"#, "--store", store])
        #expect(itself.status != 0 && itself.stderr.contains("are the same series"), "\(itself.stderr)")
        let missing = try runTally(["series", "link", #"check{check="nope"}"#, #"check{check="new"}"#, "--store", store])
        #expect(missing.status == 2 && missing.stderr.contains("selects 0 series"), "\(missing.stderr)")
    }

    /// `tally series` lists a check's name (Soda labels checks by identity hashes) and its latest outcome.
    @Test func seriesListsCheckNamesAndOutcomes() throws {
        let dir = TemporaryDirectory()
        let demo = dir.child("demo")
        #expect(try runTally(["demo", "--store", demo, "--anchor", "2025-06-30"]).status == 0)
        let listed = try runTally(["series", "--store", demo, "check{dataset=\"orders\"}", "--format", "csv"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "series,kind,name,latest_time,latest_value,latest_outcome", "\(lines.first ?? "")")
        #expect(lines.count == 4, "\(listed.stdout)")
        #expect(lines.contains { $0.contains(",row_count > 0,") && $0.hasSuffix(",pass") }, "\(listed.stdout)")
        // CSV columns are fixed, for scripts: measurements alone have the same header, with empty cells.
        let metrics = try runTally(["series", "--store", demo, "row_count{dataset=\"orders\"}", "--format", "csv"])
        #expect(metrics.stdout.hasPrefix("series,kind,name,latest_time,latest_value,latest_outcome\n"), "\(metrics.stdout)")
        #expect(metrics.stdout.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix(",") }, "\(metrics.stdout)")
        // The table shows them only when they apply; JSON gives a check's latest outcome.
        let table = try runTally(["series", "--store", demo, "row_count{dataset=\"orders\"}"])
        #expect(table.stdout.hasPrefix("series ") && !table.stdout.contains("latest_outcome"), "\(table.stdout)")
        let json = try runTally(["series", "--store", demo, "check{dataset=\"orders\"}", "--format", "json"])
        #expect(json.stdout.contains("\"outcome\": \"pass\""), "\(json.stdout)")
    }

    /// Anchored to today, the demo holds today's scans up to the moment it was built, none later.
    @Test func todaysDemoHasNoScansInTheFuture() throws {
        let dir = TemporaryDirectory()
        let demo = dir.child("demo")
        let built = try runTally(["demo", "--store", demo])
        let after = currentTimeMillis()
        #expect(built.status == 0, "\(built.stderr)")
        let latest = try runTally(["query", "--store", demo, "{dataset=~\".+\"} | latest", "--format", "json"])
        #expect(latest.status == 0, "\(latest.stderr)")
        let times = latest.stdout.split(separator: "\"").compactMap { TimeText.parse(String($0)) }
        #expect(times.count >= 10, "\(latest.stdout.prefix(500))")
        #expect(times.allSatisfy { $0 <= after }, "\(times.filter { $0 > after }.map(TimeText.format))")
    }
}
