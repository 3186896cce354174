import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

@Suite("Tally's HTTP API", .serialized)
struct TallyAPITests {
    static let csv = """
        time,metric,value,dataset,column
        2024-05-01T06:00:00Z,row_count,1204,orders,
        2024-05-02T06:00:00Z,row_count,1190,orders,
        2024-05-03T06:00:00Z,row_count,1250,orders,
        2024-05-01T06:00:00Z,missing_count,3,orders,email
        2024-05-02T06:00:00Z,missing_count,,orders,email
        2024-05-01T06:00:00Z,row_count,10,customers,

        """

    @Test("CSV and Soda ingest; the query answer is exactly `tally query --format json`")
    func ingestAndQuery() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let csv = try await server.send("POST", "/api/v1/ingest?name=points.csv", key: server.writeKey,
                                        headers: ["Content-Type": "text/csv; charset=utf-8"], body: Array(Self.csv.utf8))
        #expect(csv.status == 200, "\(csv.text)")
        #expect(csv.object["points"] as? Int == 6 && csv.object["new_series"] as? Int == 3 && csv.object["duplicate"] as? Bool == false)

        let scan = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                         headers: ["Content-Type": "application/json"], body: try SodaFixtures.bytes("rich.json"))
        #expect(scan.status == 200, "\(scan.text)")
        let scanID = try #require(scan.object["scan"] as? Int)
        #expect(scan.object["measurements"] as? Int ?? 0 > 10)
        let again = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                          headers: ["Content-Type": "application/json"], body: try SodaFixtures.bytes("rich.json"))
        #expect(again.object["duplicate"] as? Bool == true && again.object["lsn"] as? Int == scanID)

        let now = "2024-05-04T00:00:00Z"
        for q in ["row_count{dataset=\"orders\"} | since 7d", "row_count | last 1", "missing_count | bucket 1d max fill zero",
                  "check | outcomes | bucket 1d sum", "row_count{dataset=~\"ord.*\"} | change"] {
            let http = try await server.get("/api/v1/query?" + formEncode([("q", q), ("now", now)]))
            #expect(http.status == 200, "\(q): \(http.text)")
            #expect(http.headers["content-type"] == "application/json")
            let cli = try await runProgram(tallyBinary, ["query", "--store", server.storePath, "--format", "json", "--now", now, q])
            #expect(cli.status == 0, "\(cli.stderr)")
            #expect(http.text + "\n" == cli.stdout, "query \(q)")
        }
        // '+' is a space in a query string; CSV output on request.
        let plus = try await server.get("/api/v1/query?q=row_count+%7C+last+1&format=csv&now=" + now)
        #expect(plus.status == 200 && plus.headers["content-type"]?.hasPrefix("text/csv") == true)
        let cliCSV = try await runProgram(tallyBinary, ["query", "--store", server.storePath, "--format", "csv", "--now", now,
                                                        "row_count | last 1"])
        #expect(plus.text == cliCSV.stdout)
        // POST with the query as the body.
        let posted = try await server.send("POST", "/api/v1/query?now=" + now, key: server.readKey,
                                           headers: ["Content-Type": "text/plain"], body: Array("row_count | last 1".utf8))
        let viaGet = try await server.get("/api/v1/query?" + formEncode([("q", "row_count | last 1"), ("now", now)]))
        #expect(posted.status == 200 && posted.text == viaGet.text)
        await server.stop()
    }

    @Test("points JSON (what export --format json writes) loads over HTTP as `tally ingest json` loads it")
    func pointsJSONIngest() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let csv = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                        headers: ["Content-Type": "text/csv"], body: Array(Self.csv.utf8))
        #expect(csv.status == 200, "\(csv.text)")
        // The export of one store, posted to another, reads back as the same export.
        let exported = try await runProgram(tallyBinary, ["export", "--format", "json", "--store", server.storePath])
        #expect(exported.status == 0, "\(exported.stderr)")
        let other = try await TestServer()
        defer { Task { await other.stop() } }
        let loaded = try await other.send("POST", "/api/v1/ingest?name=export.json", key: other.writeKey,
                                          headers: ["Content-Type": "application/json"], body: Array(exported.stdout.utf8))
        #expect(loaded.status == 200 && loaded.object["points"] as? Int == 6 && loaded.object["new_series"] as? Int == 3, "\(loaded.text)")
        #expect(loaded.object["scan"] == nil, "\(loaded.text)")
        let again = try await runProgram(tallyBinary, ["export", "--format", "json", "--store", other.storePath])
        #expect(again.stdout == exported.stdout)
        let batches = try other.server.store.imports()
        #expect(batches.last?.origin.kind == "json" && batches.last?.origin.source == "export.json")
        // A bad points document: 400 naming the upload, the JSON path, line and column; nothing written.
        let bad = try await other.send("POST", "/api/v1/ingest", key: other.writeKey, headers: ["Content-Type": "application/json"],
                                       body: Array("{\"series\": [\n {\"metric\": \"m\", \"points\": [{\"time\": \"soon\", \"value\": 1}]}]}".utf8))
        #expect(bad.status == 400, "\(bad.text)")
        let error = bad.object["error"] as? [String: Any] ?? [:]
        #expect(error["file"] as? String == "http-upload.json" && error["line"] as? Int == 2, "\(bad.text)")
        #expect(error["path"] as? String == "$.series[0].points[0].time" && error["field"] == nil, "\(bad.text)")
        // Not JSON at all: named as the upload too, with the place.
        let broken = try await other.send("POST", "/api/v1/ingest?name=mine.json", key: other.writeKey,
                                          headers: ["Content-Type": "application/json"], body: Array("{\"series\": [1,]}".utf8))
        let syntax = broken.object["error"] as? [String: Any] ?? [:]
        #expect(broken.status == 400 && syntax["file"] as? String == "mine.json" && syntax["path"] != nil && syntax["line"] as? Int == 1,
                "\(broken.text)")
        #expect(try other.server.store.imports().count == batches.count)
    }

    @Test("feedback finds its point as `tally feedback --at` does: latest, exact, or the nearest scan")
    func feedbackFindsThePointAsTheCLIDoes() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let csv = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                        headers: ["Content-Type": "text/csv"], body: Array(Self.csv.utf8))
        #expect(csv.status == 200, "\(csv.text)")
        func mark(_ match: String, _ at: String) async throws -> HTTPResult {
            let body = "{\"match\": \(JSONText.string(match)), \"at\": \(JSONText.string(at)), \"verdict\": \"exclude\"}"
            return try await server.send("POST", "/api/v1/feedback", key: server.writeKey,
                                         headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        }
        // `latest`: each series' own latest point; the two series' latest times differ, so `time` is null.
        let latest = try await mark("row_count", "latest")
        #expect(latest.status == 200, "\(latest.text)")
        let points = try #require(latest.object["points"] as? [[String: Any]])
        let byDataset = Dictionary(uniqueKeysWithValues: points.map { (($0["series"] as? String) ?? "", $0) })
        #expect(byDataset.count == 2)
        #expect(byDataset.first { $0.key.contains("orders") }?.value["time"] as? String == "2024-05-03T06:00:00Z")
        #expect(byDataset.first { $0.key.contains("orders") }?.value["value"] as? Double == 1250)
        #expect(byDataset.first { $0.key.contains("customers") }?.value["time"] as? String == "2024-05-01T06:00:00Z")
        #expect(latest.object["time"] is NSNull, "\(latest.text)")
        // A day finds that day's scan (the nearest point within half the scan interval); far from any, 404.
        let day = try await mark("row_count{dataset=\"orders\"}", "2024-05-02")
        #expect(day.status == 200, "\(day.text)")
        #expect(day.object["time"] as? String == "2024-05-02T06:00:00Z", "\(day.text)")
        let far = try await mark("row_count{dataset=\"orders\"}", "2024-05-20")
        #expect(far.status == 404 && far.errorMessage?.hasSuffix("at or near 2024-05-20T00:00:00Z") == true, "\(far.text)")
        // `at` may be epoch milliseconds as a JSON number.
        let millis = try #require(TimeText.parse("2024-05-02T06:00:00Z"))
        let numeric = try await server.send("POST", "/api/v1/feedback", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                            body: Array(#"{"match": "row_count{dataset=\"orders\"}", "at": \#(millis), "verdict": "exclude"}"#.utf8))
        #expect(numeric.status == 200 && numeric.object["time"] as? String == "2024-05-02T06:00:00Z", "\(numeric.text)")
        // The verdict's case does not matter, as on the command line.
        let body = #"{"match": "row_count{dataset=\"orders\"}", "at": "2024-05-03", "verdict": "Expected"}"#
        let capital = try await server.send("POST", "/api/v1/feedback", key: server.writeKey,
                                            headers: ["Content-Type": "application/json"], body: Array(body.utf8))
        #expect(capital.status == 200 && capital.object["verdict"] as? String == "expected", "\(capital.text)")
        let bad = try await mark("row_count", "yesterday")
        #expect(bad.status == 400 && (bad.object["error"] as? [String: Any])?["path"] as? String == "$.at", "\(bad.text)")
        // What was marked is what the store holds.
        let store = server.server.store
        let orders = try #require(store.series(key: SeriesKey(metric: "row_count", labels: ["dataset": "orders"])))
        let verdicts = try store.feedback(series: [orders.id]).sorted { $0.time < $1.time }
        #expect(verdicts.map(\.time) == [TimeText.parse("2024-05-02T06:00:00Z")!, TimeText.parse("2024-05-03T06:00:00Z")!])
        #expect(verdicts.map(\.verdict) == [.exclude, .expected], "the later verdict on a point replaces the earlier")
    }

    @Test("a misspelt parameter or a body of the wrong kind is refused, not ignored")
    func unknownParametersAndBodyTypes() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let scans = try await server.get("/api/v1/scans?sinc=2024-05-01")
        #expect(scans.status == 400 && scans.errorMessage == "unknown parameter sinc: /api/v1/scans takes definition, since, until",
                "\(scans.text)")
        let query = try await server.get("/api/v1/query?q=row_count&fmt=csv")
        #expect(query.status == 400 && query.errorMessage?.hasPrefix("unknown parameter fmt") == true, "\(query.text)")
        #expect(try await server.get("/api/v1/stats?x=1").status == 400)
        // A name given twice is refused too: the second value would otherwise be dropped without a word.
        let twice = try await server.get("/api/v1/query?q=row_count&format=csv&q=missing_count")
        #expect(twice.status == 400 && twice.errorMessage == "parameter q is given more than once: /api/v1/query takes one value for each",
                "\(twice.text)")
        #expect(try await server.get("/api/v1/scans?since=2024-05-01&since=2024-05-02").status == 400)
        #expect(try await server.get("/api/v1/query?q=row_count&format=csv").status == 200)
        let asJSON = try await server.send("POST", "/api/v1/query", key: server.readKey, headers: ["Content-Type": "application/json"],
                                          body: Array(#"{"q": "row_count"}"#.utf8))
        #expect(asJSON.status == 415 && asJSON.errorMessage?.contains("text/plain") == true, "\(asJSON.text)")
        let both = try await server.send("POST", "/api/v1/query?q=row_count", key: server.readKey,
                                        headers: ["Content-Type": "text/plain"], body: Array("other".utf8))
        #expect(both.status == 400 && both.errorMessage == "give the query either as ?q= or as the body, not both")
        let onlyQ = try await server.send("POST", "/api/v1/query?q=row_count", key: server.readKey)
        #expect(onlyQ.status == 200, "a POST without a body runs its ?q=: \(onlyQ.text)")
        let head = try await server.send("HEAD", "/api/v1/stats?x=1", key: server.readKey)
        #expect(head.status == 400, "HEAD is checked as GET")
        let plain = try await server.send("POST", "/api/v1/query", key: server.readKey, headers: ["Content-Type": "text/plain"],
                                         body: Array("row_count".utf8))
        #expect(plain.status == 200, "\(plain.text)")
        let feedback = try await server.send("POST", "/api/v1/feedback", key: server.writeKey, headers: ["Content-Type": "text/plain"],
                                            body: Array(#"{"match": "row_count", "at": "latest", "verdict": "expected"}"#.utf8))
        #expect(feedback.status == 415 && feedback.errorMessage == "Content-Type must be application/json; got text/plain")
        // A JSON object of neither kind is told both kinds it could be.
        let neither = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                           body: Array("{}".utf8))
        #expect(neither.status == 400 && neither.errorMessage?.hasPrefix("missing required key \"dataTimestamp\"") == true
                && neither.errorMessage?.contains(#"{"series": [...]}"#) == true, "\(neither.text)")
    }

    @Test("bad queries, selectors and documents: 400 with message, line and column")
    func badInput() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let query = try await server.get("/api/v1/query?" + formEncode([("q", "row_count | buckt 1d avg")]))
        #expect(query.status == 400)
        let error = try #require(query.object["error"] as? [String: Any])
        #expect(error["message"] as? String == "unknown stage `buckt`; did you mean `bucket`?")
        #expect(error["line"] as? Int == 1 && error["column"] as? Int == 13)
        let missing = try await server.get("/api/v1/query")
        #expect(missing.status == 400 && missing.errorMessage?.contains("?q=") == true)

        let selector = try await server.get("/api/v1/series?" + formEncode([("match", "row_count{dataset=}")]))
        #expect(selector.status == 400)
        #expect((selector.object["error"] as? [String: Any])?["column"] as? Int != nil)

        let badCSV = "time,metric,value\n2024-05-01T00:00:00Z,row_count,1\n2024-13-01T00:00:00Z,row_count,2\n"
        let csv = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/csv"],
                                        body: Array(badCSV.utf8))
        #expect(csv.status == 400)
        let csvError = try #require(csv.object["error"] as? [String: Any])
        #expect(csvError["line"] as? Int == 3 && csvError["column"] != nil)
        #expect(csvError["file"] as? String == "http-upload.csv", "\(csv.text)")
        // `name` is the file the error names.
        let named = try await server.send("POST", "/api/v1/ingest?name=nightly.csv", key: server.writeKey,
                                          headers: ["Content-Type": "text/csv"], body: Array(badCSV.utf8))
        #expect((named.object["error"] as? [String: Any])?["file"] as? String == "nightly.csv", "\(named.text)")

        let json = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                         body: Array("{\"dataTimestamp\": \"2024-05-01T06:00:00+00:00\",\n \"metrics\": [}".utf8))
        #expect(json.status == 400)
        let jsonError = try #require(json.object["error"] as? [String: Any])
        #expect(jsonError["line"] as? Int == 2 && jsonError["column"] != nil)

        var document = try JSONSerialization.jsonObject(with: Data(try SodaFixtures.bytes("results1.json"))) as! [String: Any]
        var checks = document["checks"] as! [[String: Any]]
        checks[0]["outcome"] = "passed"
        document["checks"] = checks
        let shape = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                          body: [UInt8](try JSONSerialization.data(withJSONObject: document)))
        #expect(shape.status == 400)
        #expect((shape.object["error"] as? [String: Any])?["path"] as? String == "$.checks[0].outcome")

        let other = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: ["Content-Type": "text/plain"], body: [1])
        #expect(other.status == 415)
        #expect(try await server.get("/api/v1/nope").status == 404)
        #expect(try await server.send("DELETE", "/api/v1/scans", key: server.writeKey).status == 405)
        #expect(try await server.get("/api/v1/scans").text == "[]", "nothing was written")
        await server.stop()
    }

    @Test("series, scans and scan documents")
    func listings() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        for day in 1...3 {
            let result = try await server.send("POST", "/api/v1/ingest", key: server.writeKey,
                                               headers: ["Content-Type": "application/json"], body: try SodaFixtures.day(day))
            #expect(result.status == 200)
        }
        let scans = try #require(try await server.get("/api/v1/scans").json as? [[String: Any]])
        #expect(scans.count == 3)
        #expect(scans.map { $0["data_time"] as? String } == ["2024-05-01T06:00:00Z", "2024-05-02T06:00:00Z", "2024-05-03T06:00:00Z"])
        #expect(scans[0]["definition"] as? String == "daily_orders" && scans[0]["has_errors"] as? Bool == false)
        let since = try #require(try await server.get("/api/v1/scans?since=2024-05-02").json as? [[String: Any]])
        #expect(since.count == 2)

        let id = try #require(scans[1]["scan"] as? Int)
        let document = try await server.get("/api/v1/scans/\(id)")
        #expect(document.status == 200)
        #expect((document.object["dataTimestamp"] as? String) == "2024-05-02T06:00:00+00:00")
        #expect(try await server.get("/api/v1/scans/999").status == 404)

        let series = try await server.get("/api/v1/series?" + formEncode([("match", "row_count")]))
        let items = try #require(series.json as? [[String: Any]])
        #expect(items.count == 1)
        #expect((items[0]["labels"] as? [String: String])?["dataset"] == "orders")
        #expect(((items[0]["latest"] as? [String: Any])?["value"] as? Double) == 101)
        let cli = try await runProgram(tallyBinary, ["series", "--store", server.storePath, "--format", "json", "row_count"])
        #expect(series.text + "\n" == cli.stdout)
        let stats = try await server.get("/api/v1/stats")
        #expect(stats.object["write_batches"] as? Int == 3)
        await server.stop()
    }
}
