import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// The Soda Cloud API over HTTP, with the requests soda-core 3.5.6 really sent (cloud_api_requests.jsonl).
@Suite("Soda Cloud API over HTTP", .serialized)
struct SodaCloudAPITests {
    static let rowCount = "metric-daily_orders-hist-orders-row_count"
    static let missing = "metric-daily_orders-hist-orders-customer-missing_count"
    static let schema = "metric-daily_orders-hist-orders-schema"

    /// The captured requests: path and body (Foundation objects).
    static func capturedRequests() throws -> [(path: String, body: [String: Any])] {
        try SodaFixtures.text("cloud_api_requests.jsonl").split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (object["path"] as! String, object["body"] as! [String: Any])
        }
    }

    /// A server holding days 1…11 of the 12-day series, inserted as soda-core inserts them; and a write token.
    static func serverWithHistory(limits: ServerLimits = ServerLimits()) async throws -> (TestServer, String) {
        let server = try await TestServer(limits: limits)
        let token = try await server.sodaLogin(server.writeKey)
        for day in 1...11 {
            let result = try await server.soda("/api/command", try SodaFixtures.insertPayload(try SodaFixtures.day(day), token: token))
            #expect(result.status == 200, "day \(day): \(result.text)")
            #expect(result.text == "{}")
        }
        return (server, token)
    }

    static func results(_ result: HTTPResult) -> [[String: Any]] {
        result.object["results"] as? [[String: Any]] ?? []
    }

    /// Day d's value of a metric and outcome of a check (v1), read from the fixture with Foundation.
    static func fixture(day: Int) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(try SodaFixtures.day(day))) as! [String: Any]
    }

    static func metricValue(day: Int, identity: String) throws -> Any? {
        let metrics = try fixture(day: day)["metrics"] as! [[String: Any]]
        return metrics.first { $0["identity"] as? String == identity }?["value"]
    }

    static func outcome(day: Int, v1: String) throws -> String? {
        let checks = try fixture(day: day)["checks"] as! [[String: Any]]
        let check = checks.first { ($0["identities"] as? [String: String])?["v1"] == v1 }
        return check?["outcome"] as? String
    }

    /// The organisation's check attributes (from `tally serve --check-attributes FILE`) are what soda-core gets
    /// for `sodaCoreAvailableCheckAttributes`; without them the list is empty.
    @Test func availableCheckAttributesAreTheConfiguredOnes() async throws {
        let file = #"""
            [{"name": "department", "type": "singleSelect", "allowedValues": ["finance", "sales"], "label": "Department"},
             {"name": "critical", "type": "checkbox"}]
            """#
        let attributes = try SodaCheckAttributeDefinition.parseList(Array(file.utf8))
        let server = try await TestServer(checkAttributes: attributes)
        let token = try await server.sodaLogin(server.readKey)
        let listed = Self.results(try await server.soda("/api/query", ["type": "sodaCoreAvailableCheckAttributes", "token": token]))
        await server.stop()
        #expect(listed.map { $0["name"] as? String } == ["department", "critical"])
        #expect(listed[0]["type"] as? String == "singleSelect")
        #expect(listed[0]["allowedValues"] as? [String] == ["finance", "sales"])
        #expect(listed[0]["label"] as? String == "Department")
        #expect(listed[1]["allowedValues"] == nil || listed[1]["allowedValues"] is NSNull)
        let plain = try await TestServer()
        let plainToken = try await plain.sodaLogin(plain.readKey)
        let none = try await plain.soda("/api/query", ["type": "sodaCoreAvailableCheckAttributes", "token": plainToken])
        await plain.stop()
        #expect(none.status == 200)
        #expect(Self.results(none).isEmpty)
    }

    @Test("every captured request shape gets the answer soda-core expects")
    func capturedShapes() async throws {
        let (server, token) = try await Self.serverWithHistory()
        defer { Task { await server.stop() } }
        let requests = try Self.capturedRequests()
        #expect(requests.count == 16)
        var measurementIDsByTime: [String: String] = [:]
        for (index, request) in requests.enumerated() {
            var body = request.body
            let type = body["type"] as! String
            switch type {
            case "login":
                // The capture used a fake key: refused. A real key gets a token.
                #expect(try await server.soda(request.path, body).status == 401)
                body["apiKeyId"] = server.readKey.record.id
                body["apiKeySecret"] = server.readKey.secret
                let login = try await server.soda(request.path, body)
                #expect(login.status == 200 && (login.object["token"] as? String)?.hasPrefix("tst_") == true)
            case "sodaCoreCloudConfiguration":
                body["token"] = token
                let answer = try await server.soda(request.path, body)
                #expect(answer.status == 200 && answer.object["disableCollectingWarehouseData"] as? Bool == true)
            case "sodaCoreHistoricMeasurements":
                body["token"] = token
                let answer = try await server.soda(request.path, body)
                #expect(answer.status == 200, "request \(index): \(answer.text)")
                let rows = Self.results(answer)
                let identity = ((((body["filter"] as! [String: Any])["andExpressions"] as! [[String: Any]])[0]["right"]) as! [String: Any])["value"] as! String
                let expressions = (body["filter"] as! [String: Any])["andExpressions"] as! [[String: Any]]
                if expressions.count > 1 {
                    // Same day last week: wall-clock 2026-11-22, no data then.
                    #expect(rows.isEmpty)
                    continue
                }
                #expect(rows.count == 11, "request \(index)")
                let times = rows.map { $0["dataTime"] as! String }
                #expect(times == (1...11).reversed().map { String(format: "2024-05-%02dT06:00:00Z", $0) }, "newest first")
                #expect(rows.allSatisfy { $0["identity"] as? String == identity })
                for row in rows {
                    let day = Int((row["dataTime"] as! String).dropFirst(8).prefix(2))!
                    let expected = try Self.metricValue(day: day, identity: identity)
                    if identity == Self.schema {
                        #expect((row["value"] as? [[String: Any]])?.count == (expected as? [Any])?.count)
                    } else {
                        #expect((row["value"] as? NSNumber)?.doubleValue == (expected as? NSNumber)?.doubleValue)
                    }
                    if identity == Self.rowCount { measurementIDsByTime[row["dataTime"] as! String] = row["id"] as? String }
                }
                if identity == Self.rowCount {
                    // The change-over-time answer: results[0] is day 11, 108, an integer as Soda sent it.
                    #expect(rows[0]["value"] as? Int == 108)
                    #expect(answer.text.contains("\"value\":108,"))
                }
                if identity == Self.schema {
                    #expect((rows[0]["value"] as? [Any])?.count == 6, "day 11 added a column")
                    #expect((rows[1]["value"] as? [Any])?.count == 5)
                }
            case "sodaCoreHistoricCheckResults":
                body["token"] = token
                let answer = try await server.soda(request.path, body)
                #expect(answer.status == 200)
                let rows = Self.results(answer)
                let v1 = ((((body["filter"] as! [String: Any])["andExpressions"] as! [[String: Any]])[0]["right"]) as! [String: Any])["value"] as! String
                #expect(rows.count == 11, "check \(v1)")
                for row in rows {
                    let time = row["dataTime"] as! String
                    let day = Int(time.dropFirst(8).prefix(2))!
                    #expect(row["outcome"] as? String == (try Self.outcome(day: day, v1: v1)), "check \(v1) day \(day)")
                    #expect(row.keys.contains("outcome"))
                    #expect(row["type"] as? String == "anomalyDetection")
                    #expect((row["diagnostics"] as? [String: Any])?["value"] != nil)
                    #expect(row["testResultId"] as? String != nil && row["testId"] as? String != nil)
                    if v1 != "6fae437e" {
                        #expect(row["measurementId"] as? String == measurementIDsByTime[time], "joined to that day's measurement")
                    } else {
                        #expect(row["measurementId"] as? String != nil)
                    }
                }
            case "sodaCoreInsertScanResults":
                // The placeholder line is rejected with the path of what is missing.
                body["token"] = token
                let placeholder = try await server.soda(request.path, body)
                #expect(placeholder.status == 400)
                #expect((placeholder.object["error"] as? [String: Any])?["path"] as? String == "$.dataTimestamp")
                // The full body (day 12) is stored.
                var payload = try JSONSerialization.jsonObject(with: Data(try SodaFixtures.bytes("cloud_insert_payload.json"))) as! [String: Any]
                payload["token"] = token
                let insert = try await server.soda(request.path, payload)
                #expect(insert.status == 200 && insert.text == "{}")
            default:
                Issue.record("unexpected request type \(type)")
            }
        }
        let scans = try #require(try await server.get("/api/v1/scans").json as? [[String: Any]])
        #expect(scans.count == 12)
        #expect(scans.allSatisfy { $0["source"] as? String == "soda-cloud-api" })
        // The pushed metrics are queryable.
        let query = try await server.get("/api/v1/query?" + formEncode([("q", "row_count{scan_definition=\"daily_orders\"} | last 2")]))
        #expect(query.text.contains("108") && query.text.contains("300"))
        await server.stop()
    }

    @Test("history: newest first, limits, time bounds, 4.x batches, check identities, feedback")
    func historySelection() async throws {
        var limits = ServerLimits()
        limits.maxHistoryRows = 5
        let (server, token) = try await Self.serverWithHistory(limits: limits)
        defer { Task { await server.stop() } }
        func filter(_ column: String, _ value: String, extra: [[String: Any]] = []) -> [String: Any] {
            ["type": "and", "andExpressions": [["type": "equals", "left": ["type": "columnValue", "columnName": column],
                                                "right": ["type": "string", "value": value]]] + extra]
        }
        func time(_ op: String, _ t: String) -> [String: Any] {
            ["type": op, "left": ["type": "columnValue", "columnName": "measurement.dataTime"],
             "right": ["type": "time", "scanTime": false, "time": t]]
        }
        // limit 3: the three newest.
        let three = Self.results(try await server.soda("/api/query", ["type": "sodaCoreHistoricMeasurements", "limit": 3, "token": token,
                                                                     "filter": filter("metric.identity", Self.rowCount)]))
        #expect(three.map { $0["dataTime"] as! String } == ["2024-05-11T06:00:00Z", "2024-05-10T06:00:00Z", "2024-05-09T06:00:00Z"])
        // No limit: cut to the server's maximum (5 here).
        let capped = Self.results(try await server.soda("/api/query", ["type": "sodaCoreHistoricMeasurements", "token": token,
                                                                      "filter": filter("metric.identity", Self.rowCount)]))
        #expect(capped.count == 5 && capped[0]["dataTime"] as? String == "2024-05-11T06:00:00Z")
        // Time bounds: >= day 3, < day 5 → days 4 and 3; > day 3, <= day 5 → days 5 and 4.
        let halfOpen = Self.results(try await server.soda("/api/query", [
            "type": "sodaCoreHistoricMeasurements", "token": token,
            "filter": filter("metric.identity", Self.rowCount, extra: [time("greaterThanOrEqual", "2024-05-03T06:00:00+00:00"),
                                                                       time("lessThan", "2024-05-05T06:00:00+00:00")])]))
        #expect(halfOpen.map { $0["dataTime"] as! String } == ["2024-05-04T06:00:00Z", "2024-05-03T06:00:00Z"])
        let other = Self.results(try await server.soda("/api/query", [
            "type": "sodaCoreHistoricMeasurements", "token": token,
            "filter": filter("metric.identity", Self.rowCount, extra: [time("greaterThan", "2024-05-03T06:00:00+00:00"),
                                                                       time("lessThanOrEqual", "2024-05-05T06:00:00+00:00")])]))
        #expect(other.map { $0["dataTime"] as! String } == ["2024-05-05T06:00:00Z", "2024-05-04T06:00:00Z"])
        // An unknown identity: no rows.
        let none = try await server.soda("/api/query", ["type": "sodaCoreHistoricMeasurements", "token": token,
                                                        "filter": filter("metric.identity", "metric-nope")])
        #expect(none.status == 200 && none.text == "{\"results\":[]}")
        // Check results by v2 and v3 identities as well as v1.
        for identity in ["6abeedd2", "f46c41be"] {
            let rows = Self.results(try await server.soda("/api/query", ["type": "sodaCoreHistoricCheckResults", "limit": 2, "token": token,
                                                                        "filter": filter("check.identity", identity)]))
            #expect(rows.map { $0["dataTime"] as! String } == ["2024-05-11T06:00:00Z", "2024-05-10T06:00:00Z"])
        }
        // An unsupported filter: 400 naming it.
        let unsupported = try await server.soda("/api/query", ["type": "sodaCoreHistoricCheckResults", "token": token,
                                                               "filter": filter("check.name", "x")])
        #expect(unsupported.status == 400)

        // 4.x: several identities, limit per identity.
        let batch = Self.results(try await server.soda("/api/query", ["type": "sodaCoreHistoricMeasurements2", "token": token, "limit": 2,
                                                                     "metricIdentities": [Self.rowCount, Self.missing]]))
        #expect(batch.count == 4)
        #expect(Set(batch.map { $0["identity"] as! String }) == [Self.rowCount, Self.missing])
        #expect(batch.map { $0["dataTime"] as! String }.allSatisfy { $0 >= "2024-05-10" })
        let ranged = Self.results(try await server.soda("/api/query", [
            "type": "sodaCoreHistoricCheckResults2", "token": token, "checkIdentities": ["29ae0ba4"],
            "minScanTime": "2024-05-02T06:00:00.000+00:00", "maxScanTime": "2024-05-04T06:00:00.000+00:00"]))
        #expect(ranged.map { $0["dataTime"] as! String } == ["2024-05-04T06:00:00Z", "2024-05-03T06:00:00Z", "2024-05-02T06:00:00Z"])

        // Check identities of a testId.
        let testId = try #require(ranged.first?["testId"] as? String)
        let identities = try await server.soda("/api/query", ["type": "sodaCoreCheckIdentities", "checkId": testId, "token": token])
        #expect(identities.status == 200)
        #expect((identities.object["identities"] as? [String: String]) == ["v1": "29ae0ba4", "v2": "6abeedd2", "v3": "f46c41be"])
        // A check with only some versions (as `tally demo` writes them) answers those; one with none (not from a
        // Soda scan) is 404, saying why.
        var checks = WriteBatch(origin: BatchOrigin(kind: "csv", source: "checks.csv"))
        let partial = checks.addSeries(SeriesKey(metric: "check", labels: ["check": "c3only"]), kind: .check,
                                      attributes: Attributes(["identity": "c3only", "identity_v3": "c3only"]))
        let plain = checks.addSeries(SeriesKey(metric: "check", labels: ["check": "plain"]), kind: .check)
        checks.append(series: partial, time: 1_000, value: 1, outcome: .pass)
        checks.append(series: plain, time: 1_000, value: 1, outcome: .pass)
        try server.server.store.write(checks)
        let onlyV3 = try await server.soda("/api/query", ["type": "sodaCoreCheckIdentities", "checkId": "c3only", "token": token])
        #expect(onlyV3.status == 200 && (onlyV3.object["identities"] as? [String: String]) == ["v3": "c3only"], "\(onlyV3.text)")
        let plainID = try #require(server.server.store.series(key: SeriesKey(metric: "check", labels: ["check": "plain"]))?.id)
        let withoutIdentities = try await server.soda("/api/query", ["type": "sodaCoreCheckIdentities", "checkId": "\(plainID)", "token": token])
        #expect(withoutIdentities.status == 404 && withoutIdentities.text.contains("has no versioned Soda identities (v1–v4)"), "\(withoutIdentities.text)")

        // Feedback on a result comes back with it.
        let resultId = try #require(ranged.first?["testResultId"] as? String)
        let feedback = try await server.send("POST", "/api/v1/soda/feedback", key: server.writeKey,
                                             headers: ["Content-Type": "application/json"],
                                             body: Array("{\"testResultId\": \"\(resultId)\", \"skipMeasurements\": \"this\", \"isCorrectlyClassified\": false}".utf8))
        #expect(feedback.status == 200, "\(feedback.text)")
        let withFeedback = Self.results(try await server.soda("/api/query", [
            "type": "sodaCoreHistoricCheckResults2", "token": token, "checkIdentities": ["29ae0ba4"],
            "minScanTime": "2024-05-02T06:00:00.000+00:00", "maxScanTime": "2024-05-04T06:00:00.000+00:00"]))
        #expect(withFeedback.count == 3)
        let marked = withFeedback.filter { $0["feedback"] != nil && $0["dataTime"] as? String == "2024-05-04T06:00:00Z" }
        #expect(marked.count == 1)
        let fields = try #require(marked.first?["feedback"] as? [String: Any])
        #expect(fields["skipMeasurements"] as? String == "this" && fields["isCorrectlyClassified"] as? Bool == false)
        #expect(Set(fields.keys) == ["isCorrectlyClassified", "isAnomaly", "reason", "freeTextReason", "skipMeasurements"])
        // A `tally feedback` verdict on the measured point (day 3) reaches Soda as "skip this measurement".
        let verdict = try await server.send("POST", "/api/v1/feedback", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                            body: Array(#"{"match": "row_count{scan_definition=\"daily_orders\"}", "at": "2024-05-03T06:00:00Z", "verdict": "exclude", "note": "backfill"}"#.utf8))
        #expect(verdict.status == 200, "\(verdict.text)")
        #expect((verdict.object["series"] as? [String])?.count == 1)
        let rowCountSeries = try #require(server.server.store.series(whereAttribute: "identity", equals: Self.rowCount).first)
        #expect(try server.server.store.feedback(series: [rowCountSeries.id]).map(\.verdict) == [.exclude])
        let noPoint = try await server.send("POST", "/api/v1/feedback", key: server.writeKey, headers: ["Content-Type": "application/json"],
                                            body: Array(#"{"match": "row_count", "at": "2024-06-03T07:00:00Z", "verdict": "exclude"}"#.utf8))
        #expect(noPoint.status == 404)
        let readOnly = try await server.send("POST", "/api/v1/feedback", key: server.readKey, headers: ["Content-Type": "application/json"],
                                             body: Array(#"{"match": "row_count", "at": "2024-05-03T06:00:00Z", "verdict": "exclude"}"#.utf8))
        #expect(readOnly.status == 403)
        let translated = Self.results(try await server.soda("/api/query", [
            "type": "sodaCoreHistoricCheckResults2", "token": token, "checkIdentities": ["29ae0ba4"],
            "minScanTime": "2024-05-02T06:00:00.000+00:00", "maxScanTime": "2024-05-04T06:00:00.000+00:00"]))
        let day3 = try #require(translated.first { $0["dataTime"] as? String == "2024-05-03T06:00:00Z" })
        #expect((day3["feedback"] as? [String: Any])?["skipMeasurements"] as? String == "this")
        #expect(translated.first { $0["dataTime"] as? String == "2024-05-02T06:00:00Z" }?["feedback"] == nil)
        #expect(((translated.first { $0["dataTime"] as? String == "2024-05-04T06:00:00Z" }?["feedback"] as? [String: Any])?["isCorrectlyClassified"] as? Bool) == false)
        let badFeedback = try await server.send("POST", "/api/v1/soda/feedback", key: server.writeKey,
                                                headers: ["Content-Type": "application/json"],
                                                body: Array("{\"testResultId\": \"\(resultId)\", \"skipMeasurements\": \"sometimes\"}".utf8))
        #expect(badFeedback.status == 400)
        let unknownResult = try await server.send("POST", "/api/v1/soda/feedback", key: server.writeKey,
                                                  headers: ["Content-Type": "application/json"],
                                                  body: Array("{\"testResultId\": \"x\", \"skipMeasurements\": \"this\"}".utf8))
        #expect(unknownResult.status == 404)
        await server.stop()
    }

    @Test("the fast read of stored documents agrees with the full parse on every fixture")
    func documentExtracts() throws {
        let names = ["rich.json", "results1.json", "fresh.json", "cloud_insert_payload.json"]
            + (1...12).map { String(format: "series_result_%02d.json", $0) }
        for name in names {
            let bytes = try SodaFixtures.bytes(name)
            let canonical = try SodaScan.parse(bytes).canonicalDocument
            let fast = try #require(SodaHistory.extract(canonical), "\(name)")
            let full = try #require(SodaHistory.fullExtract(canonical), "\(name)")
            #expect(fast == full, "\(name)")
            #expect(!fast.checks.isEmpty, "\(name)")
        }
        // Identities computed by the parser (no `identities` in the document) take the full parse.
        var object = try JSONSerialization.jsonObject(with: Data(try SodaFixtures.bytes("results1.json"))) as! [String: Any]
        object["checks"] = (object["checks"] as! [[String: Any]]).map { c in var c = c; c.removeValue(forKey: "identities"); return c }
        let stripped = [UInt8](try JSONSerialization.data(withJSONObject: object))
        if let full = SodaHistory.fullExtract(stripped) {
            #expect(SodaHistory.extract(stripped) == full)
        }
    }

    @Test("the same scan inserted twice is stored once; a malformed body is a 400 with its position")
    func idempotentAndErrors() async throws {
        let server = try await TestServer()
        defer { Task { await server.stop() } }
        let token = try await server.sodaLogin(server.writeKey)
        for _ in 0..<2 {
            let result = try await server.soda("/api/command", try SodaFixtures.insertPayload(try SodaFixtures.day(3), token: token))
            #expect(result.status == 200)
        }
        #expect((try await server.get("/api/v1/scans").json as? [Any])?.count == 1)
        let broken = try await HTTP.send("POST", port: server.port, path: "/api/query",
                                         headers: ["Content-Type": "application/json"], body: Array("{\"type\": \"login\",\n \"apiKeyId\": }".utf8))
        #expect(broken.status == 400)
        let error = try #require(broken.object["error"] as? [String: Any])
        #expect(error["line"] as? Int == 2)
        let unknown = try await server.soda("/api/query", ["type": "sodaCoreSomethingNew", "token": token])
        #expect(unknown.status == 400 && unknown.errorMessage?.contains("unsupported request type") == true)
        // Without a valid token the rest of the body is not read: 401, not what is wrong with it.
        let anonymous = try await server.soda("/api/query", ["type": "sodaCoreSomethingNew"])
        #expect(anonymous.status == 401 && anonymous.errorMessage?.contains("unsupported") != true)
        let badScan = try await server.soda("/api/command", ["type": "sodaCoreInsertScanResults", "token": "tst_unknown", "checks": 5])
        #expect(badScan.status == 401)
        let badScanSignedIn = try await server.soda("/api/command", ["type": "sodaCoreInsertScanResults", "token": token, "checks": 5])
        #expect(badScanSignedIn.status == 400)
        let wrongEndpoint = try await server.soda("/api/query", ["type": "login", "apiKeyId": "a", "apiKeySecret": "b"])
        #expect(wrongEndpoint.status == 400)
        #expect(try await HTTP.send("GET", port: server.port, path: "/api/query").status == 405)
        await server.stop()
    }
}
