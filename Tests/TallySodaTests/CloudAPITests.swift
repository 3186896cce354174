import Foundation
import Testing

@testable import TallySoda

/// The requests of cloud_api_requests.jsonl, typed, and the answers built for them.
@Suite("Soda Cloud API requests and responses")
struct CloudAPITests {
    struct Line {
        let path: String
        let body: [UInt8]
        let foundation: [String: Any]
    }

    /// The JSONL lines: path plus body bytes (re-written by Foundation) and the body read by Foundation.
    static func lines() throws -> [Line] {
        try Fixtures.text("cloud_api_requests.jsonl").split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let body = object["body"] as! [String: Any]
            return Line(
                path: object["path"] as! String, body: [UInt8](try JSONSerialization.data(withJSONObject: body)), foundation: body)
        }
    }

    static func json(_ value: SodaJSON) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(value.compactBytes), options: [.fragmentsAllowed])
    }

    /// Foundation's reading of the first `andExpressions` entry's right-hand value.
    static func filterValue(_ body: [String: Any]) -> String? {
        let expressions = (body["filter"] as? [String: Any])?["andExpressions"] as? [[String: Any]]
        return (expressions?.first?["right"] as? [String: Any])?["value"] as? String
    }

    @Test("every request of the capture parses into its typed form")
    func parseAll() throws {
        let lines = try Self.lines()
        #expect(lines.count == 16)
        var types: [String] = []
        for line in lines.dropLast() {
            let request = try SodaCloudRequest.parse(path: line.path, body: line.body)
            types.append(request.type)
            #expect(request.type == line.foundation["type"] as? String)
            #expect(request.endpoint?.rawValue == line.path)
            let limit = line.foundation["limit"] as? Int
            switch request.body {
            case let .login(login):
                #expect(login.apiKeyId == line.foundation["apiKeyId"] as? String)
                #expect(login.apiKeySecret == line.foundation["apiKeySecret"] as? String)
                #expect(request.token == nil)
            case .cloudConfiguration:
                #expect(line.foundation.count == 1)
            case let .historicMeasurements(query):
                #expect(query.metricIdentity == Self.filterValue(line.foundation))
                #expect(query.limit == limit)
                let expressions = ((line.foundation["filter"] as? [String: Any])?["andExpressions"] as? [Any])?.count
                #expect(query.filter.comparisons.count == expressions)
                #expect(try Self.json(query.filter.json) as? NSDictionary == line.foundation["filter"] as? NSDictionary)
            case let .historicCheckResults(query):
                #expect(query.checkIdentity == Self.filterValue(line.foundation))
                #expect(query.limit == limit)
                #expect(try Self.json(query.filter.json) as? NSDictionary == line.foundation["filter"] as? NSDictionary)
            default:
                Issue.record("unexpected request \(request)")
            }
        }
        #expect(types == ["login", "sodaCoreCloudConfiguration"] + Array(repeating: "sodaCoreHistoricMeasurements", count: 7)
            + ["sodaCoreHistoricCheckResults", "sodaCoreHistoricMeasurements", "sodaCoreHistoricCheckResults",
               "sodaCoreHistoricMeasurements", "sodaCoreHistoricMeasurements", "sodaCoreHistoricCheckResults"])
    }

    @Test("the change-over-time and same-day-last-week queries")
    func queryDetails() throws {
        let lines = try Self.lines()
        let change = try SodaCloudRequest.parse(path: lines[2].path, body: lines[2].body)
        guard case let .historicMeasurements(q) = change.body else { Issue.record("\(change)"); return }
        #expect(q.metricIdentity == "metric-daily_orders-hist-orders-row_count")
        #expect(q.limit == nil && q.from == nil && q.to == nil)
        let week = try SodaCloudRequest.parse(path: lines[7].path, body: lines[7].body)
        guard case let .historicMeasurements(w) = week.body else { Issue.record("\(week)"); return }
        #expect(w.from == SodaTimeBound(time: SodaTimestamp("2026-11-22T00:00:00+00:00")!, inclusive: true))
        #expect(w.to == SodaTimeBound(time: SodaTimestamp("2026-11-22T23:59:59+00:00")!, inclusive: true))
        #expect(w.admits(SodaTimestamp("2026-11-22T12:00:00Z")!))
        #expect(!w.admits(SodaTimestamp("2026-11-23T00:00:00Z")!))
        let ad = try SodaCloudRequest.parse(path: lines[11].path, body: lines[11].body)
        guard case let .historicCheckResults(c) = ad.body else { Issue.record("\(ad)"); return }
        #expect(c.checkIdentity == "47cc317c" && c.limit == 1000)
    }

    @Test("the insert line is a placeholder; the real payload parses through the same request parser")
    func insert() throws {
        let placeholder = try #require(try Self.lines().last)
        #expect(placeholder.foundation["type"] as? String == "sodaCoreInsertScanResults")
        let error = try #require(throws: SodaError.self) { try SodaCloudRequest.parse(path: placeholder.path, body: placeholder.body) }
        #expect(error.path.description == "$.dataTimestamp")
        #expect(error.message.hasPrefix("missing required key"))

        let payload = try Fixtures.bytes("cloud_insert_payload.json")
        let request = try SodaCloudRequest.parse(path: "/api/command", body: payload)
        guard case let .insertScanResults(scan) = request.body else { Issue.record("\(request)"); return }
        #expect(scan == (try SodaScan.parse(payload)))
        #expect(request.endpoint == .command)
        #expect(SodaCloudResponse.response(to: request, measurements: [], checkResults: []) == .object(SodaJSONObject()))
    }

    @Test("wrong endpoint, unknown type, bad filters and limits are rejected with paths")
    func badRequests() throws {
        func error(_ path: String?, _ body: String) throws -> SodaError {
            try #require(throws: SodaError.self) { try SodaCloudRequest.parse(path: path, body: Array(body.utf8)) }
        }
        let login = try error("/api/query", #"{"type": "login", "apiKeyId": "a", "apiKeySecret": "b"}"#)
        #expect(login.description == #"$.type: "login" must be sent to /api/command, not /api/query (line 1, column 10)"#)
        let unknown = try error("/api/query", #"{"type": "sodaCoreSomethingNew"}"#)
        #expect(unknown.kind == .unsupported)
        #expect(unknown.path.description == "$.type")
        let noFilter = try error(nil, #"{"type": "sodaCoreHistoricMeasurements", "limit": 5}"#)
        #expect(noFilter.path.description == "$.filter")
        let badLimit = try error(nil, #"{"type": "sodaCoreHistoricMeasurements", "limit": 0, "filter": {"type": "and", "andExpressions": []}}"#)
        #expect(badLimit.path.description == "$.limit")
        let orFilter = try error(nil, #"{"type": "sodaCoreHistoricCheckResults", "filter": {"type": "or", "andExpressions": []}}"#)
        #expect(orFilter.path.description == "$.filter.type")
        let wrongColumn = try error(nil, """
            {"type": "sodaCoreHistoricMeasurements", "filter": {"type": "and", "andExpressions": [
              {"type": "equals", "left": {"type": "columnValue", "columnName": "check.identity"}, "right": {"type": "string", "value": "x"}}]}}
            """)
        #expect(wrongColumn.path.description == "$.filter.andExpressions[0]")
        #expect(wrongColumn.line == 2)
        let badTime = try error(nil, """
            {"type": "sodaCoreHistoricMeasurements", "filter": {"type": "and", "andExpressions": [
              {"type": "greaterThan", "left": {"type": "columnValue", "columnName": "measurement.dataTime"}, "right": {"type": "time", "time": "last week"}}]}}
            """)
        #expect(badTime.path.description == "$.filter.andExpressions[0].right.time")
        let missingId = try error(nil, #"{"type": "sodaCoreCheckIdentities"}"#)
        #expect(missingId.path.description == "$.checkId")
        // An identity compared with something other than a string says so (it said "expected one equals").
        func filter(_ type: String, _ column: String, _ right: String) -> String {
            #"{"type": "\#(type)", "filter": {"type": "and", "andExpressions": [{"type": "equals", "left": {"type": "columnValue", "columnName": "\#(column)"}, "right": \#(right)}]}}"#
        }
        let timeOperand = #"{"type": "time", "time": "2024-05-01T00:00:00Z"}"#
        let checkTime = try error(nil, filter("sodaCoreHistoricCheckResults", "check.identity", timeOperand))
        #expect(checkTime.message == "check.identity is compared with a time; expected a string", "\(checkTime)")
        let metricNumber = try error(nil, filter("sodaCoreHistoricMeasurements", "metric.identity", #"{"type": "number", "value": 3}"#))
        #expect(metricNumber.message == "metric.identity is compared with a number; expected a string", "\(metricNumber)")
        let timeEquals = try error(nil, filter("sodaCoreHistoricMeasurements", "measurement.dataTime", timeOperand))
        #expect(timeEquals.message.contains("measurement.dataTime takes a bound"), "\(timeEquals)")
    }

    @Test("soda-core 4.x batch queries: limit xor scan-time range, at most 500 identities")
    func batchQueries() throws {
        let limit = try SodaCloudRequest.parse(path: "/api/query", body: Array(#"{"type": "sodaCoreHistoricMeasurements2", "metricIdentities": ["m1"], "limit": 1}"#.utf8))
        #expect(limit.body == .historicMeasurements2(SodaHistoricBatchQuery(identities: ["m1"], selection: .limit(1))))
        let range = try SodaCloudRequest.parse(path: "/api/query", body: Array("""
            {"type": "sodaCoreHistoricCheckResults2", "checkIdentities": ["a", "b"],
             "minScanTime": "2025-03-01T10:20:30.123+00:00", "maxScanTime": "2025-03-08T10:20:30.123+00:00"}
            """.utf8))
        #expect(range.body == .historicCheckResults2(SodaHistoricBatchQuery(
            identities: ["a", "b"], selection: .scanTimeRange(min: SodaTimestamp("2025-03-01T10:20:30.123+00:00")!, max: SodaTimestamp("2025-03-08T10:20:30.123+00:00")!))))
        for bad in [
            #"{"type": "sodaCoreHistoricMeasurements2", "metricIdentities": ["m1"]}"#,
            #"{"type": "sodaCoreHistoricMeasurements2", "metricIdentities": ["m1"], "limit": 1, "minScanTime": "2025-03-01T10:20:30+00:00"}"#,
            #"{"type": "sodaCoreHistoricMeasurements2", "metricIdentities": [], "limit": 1}"#,
            #"{"type": "sodaCoreHistoricMeasurements2", "metricIdentities": [1], "limit": 1}"#,
            "{\"type\": \"sodaCoreHistoricMeasurements2\", \"limit\": 1, \"metricIdentities\": [" + (0...500).map { "\"m\($0)\"" }.joined(separator: ",") + "]}",
        ] {
            #expect(throws: SodaError.self, "\(bad.prefix(90))") { try SodaCloudRequest.parse(path: "/api/query", body: Array(bad.utf8)) }
        }
        // A scan-time range the wrong way round, in the words every start-after-end check uses.
        let reversed = try #require(throws: SodaError.self) {
            try SodaCloudRequest.parse(path: "/api/query", body: Array("""
                {"type": "sodaCoreHistoricMeasurements2", "metricIdentities": ["m1"],
                 "minScanTime": "2025-03-08T10:20:30.123+00:00", "maxScanTime": "2025-03-01T10:20:30.123+00:00"}
                """.utf8))
        }
        #expect(reversed.path.description == "$.minScanTime")
        #expect(reversed.message == "minScanTime (2025-03-08T10:20:30.123Z) is after maxScanTime (2025-03-01T10:20:30.123Z): "
                + "a time range cannot end before it starts")
    }

    // MARK: - Responses

    /// History as the store would hold it after ingesting days 1..11 (the capture is of day 12's scan).
    static func history() throws -> (measurements: [SodaMeasurementRow], checks: [SodaCheckResultRow]) {
        var measurements: [SodaMeasurementRow] = []
        var checks: [SodaCheckResultRow] = []
        for (day, name) in Fixtures.seriesDocuments.prefix(11).enumerated() {
            let scan = try SodaScan.parse(try Fixtures.bytes(name))
            var ids: [String: String] = [:]
            for (i, m) in scan.measurements.enumerated() {
                let id = "m-\(day + 1)-\(i)"
                ids[m.identity] = id
                measurements.append(SodaMeasurementRow(id: id, measurement: m))
            }
            for (i, c) in scan.checks.enumerated() {
                checks.append(SodaCheckResultRow(
                    id: "r-\(day + 1)-\(i)", checkId: "c-\(c.key)", checkPoint: c, measurementId: c.measurementIdentity.flatMap { ids[$0] }))
            }
        }
        return (measurements, checks)
    }

    @Test("history answers for the day-12 requests: newest first, limits, ranges, joins")
    func historyResponses() throws {
        let (measurements, checks) = try Self.history()
        let lines = try Self.lines()
        func answer(_ index: Int) throws -> [[String: Any]] {
            let request = try SodaCloudRequest.parse(path: lines[index].path, body: lines[index].body)
            let response = try #require(SodaCloudResponse.response(to: request, measurements: measurements, checkResults: checks))
            let object = try #require(try Self.json(response) as? [String: Any])
            #expect(Array(object.keys) == ["results"])
            return try #require(object["results"] as? [[String: Any]])
        }

        // change for row_count: results[0] is day 11 (108), as Soda reported historic_value 108.
        let change = try answer(2)
        #expect(change.count == 11)
        #expect(change[0]["value"] as? Int == 108)
        #expect(change[0]["dataTime"] as? String == "2024-05-11T06:00:00Z")
        #expect(change.map { $0["dataTime"] as! String } == (1...11).reversed().map { String(format: "2024-05-%02dT06:00:00Z", $0) })
        #expect(Set(change[0].keys) == ["id", "identity", "value", "dataTime"])
        #expect(change[0]["identity"] as? String == "metric-daily_orders-hist-orders-row_count")

        // same day last week: the wall-clock window (2026-11-22) holds nothing.
        #expect(try answer(7).isEmpty)

        // anomaly measurements (limit 1000): all 11 days.
        #expect(try answer(8).count == 11)

        // anomaly score check results by v1 29ae0ba4: 11 results joined to the row_count measurement of their day.
        let v1Results = try answer(9)
        #expect(v1Results.count == 11)
        let measurementIds = Dictionary(uniqueKeysWithValues: change.map { ($0["dataTime"] as! String, $0["id"] as! String) })
        for result in v1Results {
            #expect(result["measurementId"] as? String == measurementIds[result["dataTime"] as! String])
            #expect(result["type"] as? String == "anomalyDetection")
        }
        // outcome: null on days 1-3 (not evaluated), as in the files.
        let outcomes = v1Results.reversed().map { $0["outcome"] is NSNull ? "null" : $0["outcome"] as! String }
        var expectedOutcomes: [String] = []
        for name in Fixtures.seriesDocuments.prefix(11) {
            let doc = try Fixtures.foundationJSON(name)
            let check = (doc.array("checks") as! [[String: Any]]).first { ($0.dict("identities")?["v1"] as? String) == "29ae0ba4" }!
            expectedOutcomes.append(check["outcome"] as? String ?? "null")
        }
        #expect(outcomes == expectedOutcomes)
        let diagnostics = try #require(v1Results[0]["diagnostics"] as? [String: Any])
        #expect(diagnostics["value"] as? Double == 108.0)

        // schema evolution: results[0] is the day-11 schema list with 6 columns.
        let schema = try answer(12)
        #expect((schema[0]["value"] as? [Any])?.count == 6)
        #expect(try answer(13).count == 11)
        #expect(try answer(14).count == 11)
    }

    @Test("limits, missing values, feedback and 4.x batches")
    func rowsAndBatches() throws {
        let rows = [
            SodaMeasurementRow(id: "a", identity: "m", number: SodaNumber(1), timeMilliseconds: 1_000),
            SodaMeasurementRow(id: "b", identity: "m", number: nil, timeMilliseconds: 2_000),
            SodaMeasurementRow(id: "c", identity: "m", number: SodaNumber(literal: "3.0"), timeMilliseconds: 3_500),
            SodaMeasurementRow(id: "d", identity: "other", number: SodaNumber(4), timeMilliseconds: 4_000),
        ]
        let limited = SodaCloudResponse.historicMeasurements(rows, for: SodaHistoricMeasurementsQuery(metricIdentity: "m", limit: 2))
        #expect(limited.description == #"{"results":[{"id":"c","identity":"m","value":3.0,"dataTime":"1970-01-01T00:00:03.500Z"},{"id":"b","identity":"m","dataTime":"1970-01-01T00:00:02Z"}]}"#)
        let ranged = SodaCloudResponse.historicMeasurements(rows, for: SodaHistoricMeasurementsQuery(
            metricIdentity: "m", from: SodaTimeBound(time: SodaTimestamp(epochMilliseconds: 1_000), inclusive: false),
            to: SodaTimeBound(time: SodaTimestamp(epochMilliseconds: 3_500), inclusive: true)))
        #expect(ranged["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["c", "b"])

        let batch = SodaCloudResponse.historicMeasurements(rows, for: SodaHistoricBatchQuery(identities: ["m", "other"], selection: .limit(1)))
        #expect(batch["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["d", "c"])
        let window = SodaCloudResponse.historicMeasurements(rows, for: SodaHistoricBatchQuery(
            identities: ["m"], selection: .scanTimeRange(min: SodaTimestamp(epochMilliseconds: 1_000), max: SodaTimestamp(epochMilliseconds: 2_000))))
        #expect(window["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["b", "a"])

        let checkRow = SodaCheckResultRow(
            id: "r1", checkId: "c1", identities: ["v3id", "v1id"], identity: "v3id", measurementId: "a", type: "anomalyDetection",
            outcome: .notEvaluated, dataTime: SodaTimestamp(epochMilliseconds: 1_000), diagnostics: .object(SodaJSONObject(["value": .number(SodaNumber(1))])),
            feedback: SodaFeedback(isCorrectlyClassified: false, reason: "expectedWeeklySeasonality", skipMeasurements: .this))
        let byAlias = SodaCloudResponse.historicCheckResults([checkRow], for: SodaHistoricCheckResultsQuery(checkIdentity: "v1id", limit: 1000))
        let parsed = try #require(try Self.json(byAlias) as? [String: Any])
        let result = try #require((parsed["results"] as? [[String: Any]])?.first)
        #expect(result["outcome"] is NSNull)
        #expect(result["testId"] as? String == "c1" && result["testResultId"] as? String == "r1" && result["measurementId"] as? String == "a")
        let feedback = try #require(result["feedback"] as? [String: Any])
        #expect(feedback["skipMeasurements"] as? String == "this")
        #expect(feedback["isAnomaly"] is NSNull)
        #expect(Set(feedback.keys) == ["isCorrectlyClassified", "isAnomaly", "reason", "freeTextReason", "skipMeasurements"])
        #expect(SodaCloudResponse.historicCheckResults([checkRow], for: SodaHistoricCheckResultsQuery(checkIdentity: "nope"))["results"] == .array([]))
        let batchChecks = SodaCloudResponse.historicCheckResults([checkRow], for: SodaHistoricBatchQuery(identities: ["v1id", "v3id"], selection: .limit(5)))
        #expect(batchChecks["results"]?.arrayValue?.count == 1)
    }

    @Test("small responses: login, configuration, attributes, identities, insert")
    func smallResponses() throws {
        #expect(SodaCloudResponse.login(token: "tok").description == #"{"token":"tok"}"#)
        #expect(SodaCloudResponse.cloudConfiguration(disableCollectingWarehouseData: false).description == #"{"disableCollectingWarehouseData":false}"#)
        #expect(SodaCloudResponse.availableCheckAttributes([
            SodaCheckAttributeDefinition(name: "owner", type: "singleSelect", allowedValues: [.string("a"), .string("b")]),
            SodaCheckAttributeDefinition(name: "critical", type: "checkbox"),
        ]).description == #"{"results":[{"name":"owner","type":"singleSelect","allowedValues":["a","b"]},{"name":"critical","type":"checkbox"}]}"#)
        #expect(SodaCloudResponse.checkIdentities(stored: SodaCheckIdentities(v1: "1", v2: "2", v3: "3").versions).description
            == #"{"identities":{"v1":"1","v2":"2","v3":"3"}}"#)
        #expect(SodaCloudResponse.insertScanResults().description == "{}")

        let lines = try Self.lines()
        let config = try SodaCloudRequest.parse(path: lines[1].path, body: lines[1].body)
        #expect(SodaCloudResponse.response(to: config, measurements: [], checkResults: [], disableCollectingWarehouseData: true)?.description
            == #"{"disableCollectingWarehouseData":true}"#)
        let login = try SodaCloudRequest.parse(path: lines[0].path, body: lines[0].body)
        #expect(SodaCloudResponse.response(to: login, measurements: [], checkResults: []) == nil)
        let ids = try SodaCloudRequest.parse(path: "/api/query", body: Array(#"{"type": "sodaCoreCheckIdentities", "checkId": "c-1"}"#.utf8))
        #expect(SodaCloudResponse.response(to: ids, measurements: [], checkResults: []) { id in
            id == "c-1" ? SodaCheckIdentities(v1: "a", v2: "b", v3: "c", v4: "mine").versions : nil
        }?.description == #"{"identities":{"v1":"a","v2":"b","v3":"c","v4":"mine"}}"#)
        // A check with only some versions answers those, in version order.
        #expect(SodaCloudResponse.response(to: ids, measurements: [], checkResults: []) { _ in ["v3": "c", "v1": "a"] }?.description
            == #"{"identities":{"v1":"a","v3":"c"}}"#)
    }
}

@Suite("check attribute lists")
struct CheckAttributeListTests {
    @Test func aBareArrayAndSodaCloudsAnswerReadAlike() throws {
        let array = #"[{"name": "owner", "type": "text"}, {"name": "tier", "type": "singleSelect", "allowedValues": [1, 2, 3]}]"#
        let answer = #"{"results": "# + array + "}"
        let a = try SodaCheckAttributeDefinition.parseList(Array(array.utf8))
        let b = try SodaCheckAttributeDefinition.parseList(Array(answer.utf8))
        #expect(a == b)
        #expect(a.map(\.name) == ["owner", "tier"])
        #expect(a[0].allowedValues == nil && a[0].label == nil)
        #expect(a[1].allowedValues?.count == 3)
        // What the server sends back is the definition itself.
        #expect(a[1].json["allowedValues"]?.arrayValue?.count == 3)
    }

    @Test func badListsSayWhatAndWhere() {
        func failure(_ text: String) -> String {
            do {
                _ = try SodaCheckAttributeDefinition.parseList(Array(text.utf8))
                return "no error"
            } catch {
                return error.description
            }
        }
        #expect(failure("[{\"name\": \"a\",\n \"type\": }]").contains("line 2"))
        #expect(failure(#"[{"name": "a", "type": "text"}, {"name": "b"}]"#).contains("[1].type"))
        #expect(failure(#"[{"name": "a", "type": "text"}, {"name": "a", "type": "number"}]"#).contains("defined twice"))
        #expect(failure(#"[{"name": "", "type": "text"}]"#).contains("name is empty"))
        #expect(failure(#"[{"name": "a", "type": "text", "allowedValues": "x"}]"#).contains("allowedValues"))
        #expect(failure(#"{"attributes": []}"#).contains("results"))
        #expect(failure(#""text""#).contains("an array of check attributes"))
    }
}
