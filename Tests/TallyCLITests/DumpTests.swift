import Foundation
import Testing
import Tally
import TallyTestSupport

@Suite("tally dump and tally load")
struct DumpTests {
    @Test func dumpThenLoadGivesAnIdenticalStore() throws {
        let dir = TemporaryDirectory()
        let first = dir.child("first"), second = dir.child("second")
        try writeText(dir.child("in.csv"), ExportQueryTests.csv)
        #expect(try runTally(["ingest", "csv", dir.child("in.csv"), "--store", first]).status == 0)
        let soda = try SharedData.path("fixtures/soda/results1.json")
        #expect(try runTally(["ingest", "soda", soda, "--store", first]).status == 0)
        #expect(try runTally(["series", "set", "row_count", "unit=rows", "--store", first]).status == 0)
        // Verdicts on points, an API key (one of them revoked) and a check result's feedback travel too.
        #expect(try runTally(["feedback", #"row_count{dataset="orders"}"#, "--at", "2024-05-03T06:00:00Z", "anomaly",
                              "--note", "a \"bad\" day", "--store", first]).status == 0)
        #expect(try runTally(["feedback", "row_count", "--at", "2024-05-06T06:00:00Z", "exclude", "--store", first]).status == 0)
        for name in ["reader", "writer"] {
            #expect(try runTally(["keys", "create", "--role", name == "reader" ? "read" : "write", "--name", name,
                                  "--store", first]).status == 0)
        }
        let sideTables = try CatalogSideTables(storePath: first)
        let revokedID = try #require(try sideTables.keys().first?.id)
        #expect(try sideTables.revokeKey(id: revokedID, at: 1_714_600_000_000))
        try sideTables.setFeedback(resultID: "result-1", #"{"isCorrectlyFlagged": false}"#, at: 1_714_600_000_000)
        let dump = try runTally(["dump", "--output", dir.child("store.dump"), "--store", first])
        #expect(dump.status == 0, "\(dump.stderr)")
        let load = try runTally(["load", dir.child("store.dump"), "--store", second])
        #expect(load.status == 0, "\(load.stderr)")
        for command in [["export", "--format", "json"], ["series", "--format", "json"], ["scans", "--format", "csv"], ["scan", "2", "--raw"],
                        ["feedback", "list", "--format", "json"], ["keys", "list", "--format", "json"]] {
            let a = try runTally(command + ["--store", first]), b = try runTally(command + ["--store", second])
            #expect(a.status == 0 && b.status == 0)
            #expect(a.stdout == b.stdout, "\(command)")
        }
        let loadedSide = try CatalogSideTables(storePath: second, readOnly: true)
        #expect(try loadedSide.keys() == (try sideTables.keys()))
        #expect(try loadedSide.keys().count == 2)
        #expect(try loadedSide.feedback(resultIDs: ["result-1"]) == ["result-1": #"{"isCorrectlyFlagged": false}"#])
        #expect(try runTally(["feedback", "list", "--store", second]).stdout.contains("a \"bad\" day"))
        // LSNs survive: the loaded store continues after them, and the re-sent document is still known.
        #expect(try runTally(["ingest", "soda", soda, "--store", second]).stdout.contains("already stored as scan 2"))
        #expect(try runTally(["verify", "--store", second]).status == 0)
        // A second dump of the loaded store is the same stream but for its creation time.
        let again = try runTally(["dump", "--store", second])
        let original = try String(contentsOfFile: dir.child("store.dump"), encoding: .utf8)
        #expect(again.stdout.split(separator: "\n").dropFirst() == original.split(separator: "\n").dropFirst())
    }

    /// A first-version dump (no verdicts, keys or check feedback, and no counts for them) still loads.
    @Test func aVersionOneDumpLoads() throws {
        let dir = TemporaryDirectory()
        let v1 = """
            {"tally_dump": 1, "created": "2024-05-01T06:00:00Z"}
            {"series": {"id": 1, "metric": "m", "kind": "measurement", "created_lsn": 1, "labels": {}, "attributes": {}}}
            {"import": {"lsn": 1, "kind": "csv", "source": "x.csv", "wall_time": 0, "series_count": 1, "point_count": 2, "details": {}}}
            {"points": {"series": 1, "times": [1,2], "values": [1,2], "lsns": [1,1]}}
            {"end": {"series": 1, "points": 2}}

            """
        let load = try runTally(["load", "-", "--store", dir.child("s")], stdin: v1)
        #expect(load.status == 0, "\(load.stderr)")
        #expect(try runTally(["stats", "--format", "json", "--store", dir.child("s")]).stdout.contains("\"points\": 2"))
        // A verdict on a series the dump does not define is refused, and nothing is loaded.
        let stray = v1.replacingOccurrences(of: "{\"end\"", with: #"{"feedback": {"id": 1, "series": 9, "time": 1, "verdict": "expected", "note": "", "created": 0}}"# + "\n{\"end\"")
        let refused = try runTally(["load", "-", "--store", dir.child("t")], stdin: stray)
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("series 9"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.child("t")), "a refused dump leaves no store behind")
    }

    /// Ids the dumped store gave out travel: a burnt or reserved LSN, a removed verdict's id. The loaded store gives
    /// neither again, and a dump without them (before they were written) reserves nothing.
    @Test func reservedIdsTravelWithTheDump() throws {
        let dir = TemporaryDirectory()
        let first = dir.child("first"), second = dir.child("second")
        func write(_ store: Store, _ time: Int64) throws -> LSN {
            var b = WriteBatch(origin: BatchOrigin(kind: "test", source: "t\(time)", wallTime: 0))
            b.append(series: b.addSeries(SeriesKey(metric: "m")), time: time, value: Double(time))
            return try store.write(b).lsn
        }
        do {
            let store = try Store.open(at: first)
            #expect(try write(store, 1) == 1 && write(store, 2) == 2)
        }
        // Batch 2's record damaged at the end of the WAL: the next open cuts it and reserves LSN 2.
        let wal = try #require(try FileManager.default.contentsOfDirectory(atPath: first + "/wal").first { $0.hasSuffix(".wal") })
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: first + "/wal/" + wal)))
        bytes[bytes.count - 3] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: first + "/wal/" + wal))
        do {
            let store = try Store.open(at: first)
            #expect(store.cutWALTail?.claimedLSNs == [2])
            let id = try #require(store.series(key: SeriesKey(metric: "m"))).id
            try store.setFeedback(series: id, time: 1, verdict: .anomaly)
            let removed = try store.setFeedback(series: id, time: 2, verdict: .anomaly)
            #expect(try store.removeFeedback(ids: [removed.id]) == 1)
            try store.close()
        }
        let dump = try runTally(["dump", "--output", dir.child("d"), "--store", first])
        #expect(dump.status == 0, "\(dump.stderr)")
        let text = try String(contentsOfFile: dir.child("d"), encoding: .utf8)
        #expect(text.contains("\"last_lsn\": 2, \"next_feedback_id\": 3"), "\(text.suffix(200))")
        #expect(try runTally(["load", dir.child("d"), "--store", second]).status == 0)
        let loaded = try Store.open(at: second)
        #expect(try write(loaded, 3) == 3)
        let id = try #require(loaded.series(key: SeriesKey(metric: "m"))).id
        #expect(try loaded.setFeedback(series: id, time: 3, verdict: .expected).id == 3)
    }

    /// An empty input is refused at line 1, as an empty CSV or JSON file is (it said line 0).
    @Test func anEmptyDumpIsRefusedAtLineOne() throws {
        let dir = TemporaryDirectory()
        let result = try runTally(["load", "-", "--store", dir.child("t")], stdin: "")
        #expect(result.status == 2 && result.stderr.contains("<stdin>:1: empty input: not a Tally dump"), "\(result.stderr)")
    }

    @Test func aCutOffDumpIsRefusedAndLoadsNothing() throws {
        let dir = TemporaryDirectory()
        let store = dir.child("s")
        #expect(try runTally(["ingest", "csv", "-", "--store", store], stdin: "time,metric,value\n1,m,1\n2,m,2\n").status == 0)
        let dump = try runTally(["dump", "--store", store]).stdout
        let cut = dump.split(separator: "\n").dropLast().joined(separator: "\n") + "\n"
        let result = try runTally(["load", "-", "--store", dir.child("t")], stdin: cut)
        #expect(result.status == 2)
        #expect(result.stderr.contains("cut off"))
        #expect(!FileManager.default.fileExists(atPath: dir.child("t")), "a refused dump leaves no store behind")
    }

    @Test func loadMakesANewStoreOrNothing() throws {
        let dir = TemporaryDirectory()
        let cut = Self.sound.replacingOccurrences(of: #"{"end""#, with: #"{"nothing""#)
        // Into an empty directory: a refused dump leaves it empty; a sound one fills it.
        let empty = dir.child("empty")
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
        #expect(try runTally(["load", "-", "--store", empty], stdin: cut).status == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).isEmpty)
        let loaded = try runTally(["load", "-", "--store", empty], stdin: Self.sound)
        #expect(loaded.status == 0, "\(loaded.stderr)")
        #expect(loaded.stdout.contains("loaded 2 series and 4 points"))
        // Into a store, or a directory that holds anything, or a file: refused, and nothing there changes.
        let before = try FileManager.default.contentsOfDirectory(atPath: empty).sorted()
        let again = try runTally(["load", "-", "--store", empty], stdin: Self.sound)
        #expect(again.status == 1 && again.stderr.contains("exists and is not empty"), "\(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty).sorted() == before)
        #expect(try runTally(["stats", "--format", "json", "--store", empty]).stdout.contains("\"points\": 4"))
        let file = dir.child("file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let onFile = try runTally(["load", "-", "--store", file], stdin: Self.sound)
        #expect(onFile.status == 1 && onFile.stderr.contains("is a file"), "\(onFile.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "x")
    }

    /// The store is built beside the target and renamed into place: symbolic links, missing parents and paths that
    /// cannot hold a store are handled without touching what the command did not make.
    @Test func loadPlacesTheStoreOnlyWhenComplete() throws {
        let dir = TemporaryDirectory()
        let fm = FileManager.default
        // A symbolic link to a missing path is refused, and the link stays.
        try fm.createSymbolicLink(atPath: dir.child("dangling"), withDestinationPath: dir.child("nowhere"))
        let dangling = try runTally(["load", "-", "--store", dir.child("dangling")], stdin: Self.sound)
        #expect(dangling.status == 1 && dangling.stderr.contains("symbolic link to a missing path"), "\(dangling.stderr)")
        #expect((try? fm.destinationOfSymbolicLink(atPath: dir.child("dangling"))) == dir.child("nowhere"))
        #expect(!fm.fileExists(atPath: dir.child("nowhere")))
        // A symbolic link to an empty directory: the store lands in the directory, the link stays a link.
        try fm.createDirectory(atPath: dir.child("real"), withIntermediateDirectories: false)
        try fm.createSymbolicLink(atPath: dir.child("link"), withDestinationPath: dir.child("real"))
        let linked = try runTally(["load", "-", "--store", dir.child("link") + "/"], stdin: Self.sound)
        #expect(linked.status == 0, "\(linked.stderr)")
        #expect((try? fm.destinationOfSymbolicLink(atPath: dir.child("link"))) == dir.child("real"))
        #expect(try runTally(["stats", "--format", "json", "--store", dir.child("real")]).stdout.contains("\"points\": 4"))
        // Missing parents are made.
        let nested = try runTally(["load", "-", "--store", dir.child("a/b/store")], stdin: Self.sound)
        #expect(nested.status == 0, "\(nested.stderr)")
        #expect(try runTally(["stats", "--format", "json", "--store", dir.child("a/b/store")]).stdout.contains("\"points\": 4"))
        // A parent that is a file: the load fails and the file is as it was; no hidden directory is left anywhere.
        try Data("x".utf8).write(to: URL(fileURLWithPath: dir.child("plain")))
        let underFile = try runTally(["load", "-", "--store", dir.child("plain/store")], stdin: Self.sound)
        #expect(underFile.status != 0, "\(underFile.stderr)")
        #expect(try String(contentsOfFile: dir.child("plain"), encoding: .utf8) == "x")
        for parent in [dir.path, dir.child("a/b"), dir.child("real")] {
            let hidden = try fm.contentsOfDirectory(atPath: parent).filter { $0.hasPrefix(".") }
            #expect(hidden.isEmpty, "\(parent): \(hidden)")
        }
    }

    /// A dump of a measurement series `m` and a check series `c`, each with two points.
    static let sound = """
        {"tally_dump": 2, "created": "2024-05-01T06:00:00Z"}
        {"series": {"id": 1, "metric": "m", "kind": "measurement", "created_lsn": 1, "labels": {"a": "x"}, "attributes": {}}}
        {"series": {"id": 2, "metric": "c", "kind": "check", "created_lsn": 1, "labels": {}, "attributes": {}}}
        {"import": {"lsn": 1, "kind": "csv", "source": "x.csv", "wall_time": 0, "series_count": 2, "point_count": 4, "details": {}}}
        {"feedback": {"id": 1, "series": 1, "time": 1, "verdict": "expected", "note": "", "created": 0}}
        {"points": {"series": 1, "times": [1,2], "values": [1,2], "lsns": [1,1]}}
        {"points": {"series": 2, "times": [1,2], "values": [1,2], "lsns": [1,1], "outcomes": [1,3]}}
        {"end": {"series": 2, "points": 4, "feedback": 1, "api_keys": 0, "check_feedback": 0}}

        """

    /// A NUL in a text the catalog keeps (a batch's source, a verdict's note) is kept whole, and dumps back as it
    /// was loaded (K4: the catalog used to cut it there).
    @Test func aNulInACatalogTextLoadsAndDumpsBackWhole() throws {
        let dir = TemporaryDirectory()
        let text = Self.sound.replacingOccurrences(of: #""source": "x.csv""#, with: #""source": "a\u0000b.csv""#)
            .replacingOccurrences(of: #""note": """#, with: #""note": "a\u0000b""#)
        #expect(try runTally(["load", "-", "--store", dir.child("s")], stdin: text).status == 0)
        let dump = try runTally(["dump", "--store", dir.child("s")])
        #expect(dump.status == 0)
        #expect(dump.stdout.contains(#""source": "a\u0000b.csv""#) && dump.stdout.contains(#""note": "a\u0000b""#), "\(dump.stdout)")
    }

    /// Each once trapped `tally load` (ids, LSNs and outcomes out of range), wrapped a verdict onto another series,
    /// or loaded what the store then could not show (bad names, a NUL cut short, a point at the end of time, a
    /// second point at one time, outcomes on the wrong kind of series).
    @Test(arguments: [
        (#""id": 1, "metric": "m""#, #""id": -1, "metric": "m""#, 2, "series: id: expected an integer from 0 to 4294967295, found -1"),
        (#""id": 1, "metric": "m""#, #""id": 4294967297, "metric": "m""#, 2, "found 4294967297"),
        (#""lsns": [1,1]}"#, #""lsns": [1,-1]}"#, 6, "points: an lsn: expected an integer from 0 to 18446744073709551615, found -1"),
        (#""outcomes": [1,3]"#, #""outcomes": [1,300]"#, 7, "points: an outcome: expected an integer from 0 to 255, found 300"),
        (#""outcomes": [1,3]"#, #""outcomes": [1,9]"#, 7, "an outcome must be a code from 1 (pass) to 5 (not_evaluated), found 9"),
        (#""lsns": [1,1], "outcomes": [1,3]"#, #""lsns": [1,1]"#, 7, "series 2 is a check series; its points need outcomes"),
        (#""lsns": [1,1]}}"#, #""lsns": [1,1], "outcomes": [1,1]}}"#, 6, "series 1 is a measurement series; its points have no outcomes"),
        (#""series": 1, "time": 1,"#, #""series": 4294967297, "time": 1,"#, 5, "feedback: series: expected an integer"),
        (#""kind": "check""#, #""kind": "chek""#, 3, #"series 2: unknown kind "chek" (measurement or check)"#),
        (#""id": 2, "metric": "c""#, #""id": 1, "metric": "c""#, 3, "series 1 is defined twice"),
        (#""metric": "c""#, #""metric": "9c""#, 3, #"series 2: invalid metric name "9c""#),
        (#""metric": "c", "kind": "check", "created_lsn": 1, "labels": {}"#,
         #""metric": "m", "kind": "check", "created_lsn": 1, "labels": {"a": "x"}"#, 3, "series 2 has the key of series 1"),
        (#""labels": {"a": "x"}"#, #""labels": {"a": "x\u0000y"}"#, 2, "series 1: the value of label a holds a NUL character"),
        (#""times": [1,2], "values": [1,2], "lsns": [1,1]}}"#, #""times": [1,9223372036854775807], "values": [1,2], "lsns": [1,1]}}"#,
         6, "past the latest time a point can have"),
        (#""times": [1,2], "values": [1,2], "lsns": [1,1]}}"#, #""times": [2,2], "values": [1,2], "lsns": [1,1]}}"#,
         6, #"field "times": series 1 has two points at 1970-01-01T00:00:00.002Z"#),
        // A second point at a time on a later line is reported there; of two series with one, the earlier line.
        (#"{"points": {"series": 2,"#, #"{"points": {"series": 1, "times": [1], "values": [5], "lsns": [1]}}"# + "\n" + #"{"points": {"series": 2,"#,
         7, #"field "times": series 1 has two points at 1970-01-01T00:00:00.001Z"#),
        (#""outcomes": [1,3]}}"#, #""outcomes": [1,3]}}"# + "\n" + #"{"points": {"series": 2, "times": [2], "values": [9], "lsns": [1], "outcomes": [1]}}"#
            + "\n" + #"{"points": {"series": 1, "times": [1], "values": [9], "lsns": [1]}}"#,
         8, #"field "times": series 2 has two points at 1970-01-01T00:00:00.002Z"#),
        // Repeated ids and points that the catalog's unique keys would refuse only after writing.
        (#"{"feedback": {"id": 1, "series": 1, "time": 1,"#,
         #"{"feedback": {"id": 1, "series": 1, "time": 2, "verdict": "anomaly"}}"# + "\n" + #"{"feedback": {"id": 1, "series": 1, "time": 1,"#,
         6, "feedback: verdict 1 appears twice"),
        (#"{"feedback": {"id": 1, "series": 1, "time": 1,"#,
         #"{"feedback": {"id": 2, "series": 1, "time": 1, "verdict": "anomaly"}}"# + "\n" + #"{"feedback": {"id": 1, "series": 1, "time": 1,"#,
         6, "feedback: series 1 has two verdicts at 1970-01-01T00:00:00.001Z"),
        (#"{"end""#, #"{"api_key": {"id": "k1", "role": "read", "secret_hash": "h"}}"# + "\n"
            + #"{"api_key": {"id": "k1", "role": "write", "secret_hash": "g"}}"# + "\n" + #"{"end""#,
         9, "api_key: key k1 appears twice"),
        // Found by FuzzDumpLoad (docs/reliability.md, K1–K5): each loaded something else than the dump said.
        (#"{"feedback""#, #"{"import": {"lsn": 1, "kind": "json", "source": "b.json"}}"# + "\n" + #"{"feedback""#,
         5, "import: batch 1 appears twice"),
        (#"{"feedback""#, #"{"document": {"lsn": 3, "kind": "soda/scan_results", "base64": "e30="}}"# + "\n" + #"{"feedback""#,
         5, "a document of batch 3, which the dump has no import line for"),
        (#"{"feedback""#, #"{"document": {"lsn": 1, "kind": "k", "base64": "e30="}}"# + "\n"
            + #"{"document": {"lsn": 1, "kind": "k", "base64": "e30="}}"# + "\n" + #"{"feedback""#,
         6, "document: batch 1 has a document already (line 5)"),
        (#""details": {}"#, #""details": {"document": "0000000000000001.tdoc:0:99"}"#, 4,
         #"import 1: the detail "document" is the store's own"#),
        (#"{"end""#, #"{"check_feedback": {"result_id": "r1", "feedback": "{}"}}"# + "\n"
            + #"{"check_feedback": {"result_id": "r1", "feedback": "{}"}}"# + "\n" + #"{"end""#,
         9, "check_feedback: result r1 appears twice"),
        (#"{"end""#, #"{"check_feedback": {"result_id": "r1", "feedback": "notjson{"}}"# + "\n" + #"{"end""#,
         8, "check_feedback r1: expected a result_id and feedback as a JSON object's text"),
        (#""tally_dump": 2"#, #""tally_dump": 0"#, 1, "dump version 0: versions start at 1"),
        (#""lsn": 1, "kind": "csv""#, #""lsn": 0, "kind": "csv""#, 4, "import: batch 0: batch numbers (LSNs) start at 1"),
        (#""id": 1, "series": 1, "time": 1,"#, #""id": 1, "series": 9, "time": 1,"#, 5,
         "a verdict on series 9, which the dump does not define"),
        // Every point was written by a batch, and a batch keeps at most the points it wrote.
        (#""values": [1,2], "lsns": [1,1], "outcomes""#, #""values": [1,2], "lsns": [1,7], "outcomes""#, 7,
         #"field "lsns": series 2 has a point of batch 7, which the dump has no import line for"#),
        (#""point_count": 4"#, #""point_count": 3"#, 4,
         #"field "point_count": batch 1 announces 3 points but the dump holds 4 of its points"#),
        (#""point_count": 4"#, #""point_count": -2"#, 4, "import 1: point_count -2: a count is at least 0"),
        (#""point_count": 4"#, #""point_count": -1"#, 4, "import 1: point_count -1: a count is at least 0"),
    ] as [(String, String, Int?, String)])
    func malformedDumpsAreRefusedWhereTheyAreAndLoadNothing(old: String, new: String, line: Int?, message: String) throws {
        let dir = TemporaryDirectory()
        #expect(try runTally(["load", "-", "--store", dir.child("ok")], stdin: Self.sound).status == 0)
        let range = try #require(Self.sound.range(of: old), "the dump has \(old)")
        let bad = Self.sound.replacingCharacters(in: range, with: new)
        let result = try runTally(["load", "-", "--store", dir.child("t")], stdin: bad)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains(line.map { "<stdin>:\($0): " } ?? "<stdin>: "), "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.child("t")), "a refused dump leaves no store behind")
    }
}
