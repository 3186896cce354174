import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// What `POST /api/v1/soda/feedback` accepts and refuses: feedback only on check results the history gives.
@Suite("Soda feedback requests", .serialized)
struct SodaFeedbackRequestTests {
    /// Days 1…11 of the Soda series (batches 1…11, one scan a day at 06:00 from 2024-05-01).
    static func seedElevenDays(_ store: Store) throws {
        for day in 1...11 { try store.ingestSoda(try SodaFixtures.day(day), source: "day\(day).json") }
    }

    static func post(_ server: TestServer, _ body: String) async throws -> HTTPResult {
        try await FeedbackRequestTests.post(server, "/api/v1/soda/feedback", body)
    }

    static func error(_ answer: HTTPResult) -> [String: Any] { FeedbackRequestTests.error(answer) }

    /// The check series of the row_count check (v1 `29ae0ba4`), read from the history as soda-core reads it.
    static func rowCountCheck(_ server: TestServer) async throws -> String {
        let token = try await server.sodaLogin(server.readKey)
        let rows = try await server.soda("/api/query", ["type": "sodaCoreHistoricCheckResults2", "token": token,
                                                         "checkIdentities": ["29ae0ba4"], "limit": 1])
        let row = try #require((rows.object["results"] as? [[String: Any]])?.first, "\(rows.text)")
        #expect(row["testResultId"] as? String == "11-\(row["testId"] as? String ?? "")", "\(rows.text)")
        return try #require(row["testId"] as? String)
    }

    /// The feedback the history gives each row of the check, by result id.
    static func historyFeedback(_ server: TestServer) async throws -> [String: Any] {
        let token = try await server.sodaLogin(server.readKey)
        let rows = try await server.soda("/api/query", ["type": "sodaCoreHistoricCheckResults2", "token": token,
                                                         "checkIdentities": ["29ae0ba4"], "limit": 100])
        var out: [String: Any] = [:]
        for row in rows.object["results"] as? [[String: Any]] ?? [] {
            if let id = row["testResultId"] as? String, let feedback = row["feedback"] { out[id] = feedback }
        }
        return out
    }

    /// A `tally feedback` verdict read back by Soda: whether Soda classified the point correctly is said only of a
    /// point it classified (pass, warn, fail); an errored or not evaluated one has no classification to judge.
    @Test func verdictsOnUnclassifiedResultsDoNotClaimAClassification() {
        let expected = SodaOutcome.allCases.map { SodaHistory.feedback(.expected, outcome: $0).isCorrectlyClassified }
        let anomaly = SodaOutcome.allCases.map { SodaHistory.feedback(.anomaly, outcome: $0).isCorrectlyClassified }
        #expect(SodaOutcome.allCases == [.pass, .warn, .fail, .error, .notEvaluated])
        #expect(expected == [true, false, false, nil, nil])
        #expect(anomaly == [false, true, true, nil, nil])
        #expect(SodaOutcome.allCases.allSatisfy { SodaHistory.feedback(.exclude, outcome: $0) == SodaFeedback(skipMeasurements: .this) })
    }

    @Test func sodaFeedbackOnAResultThatDoesNotExistIs404AndIsNotKept() async throws {
        let server = try await TestServer(seed: Self.seedElevenDays)
        defer { Task { await server.stop() } }
        let check = try await Self.rowCountCheck(server)
        // Scan numbers past the largest LSN a catalog row holds (2⁶³ − 1) are no scan either (one stopped the server).
        for (scan, missing) in [("12", "there is no scan 12 in the store"), ("99", "there is no scan 99 in the store"),
                                ("0", "there is no scan 0 in the store"),
                                ("9223372036854775808", "there is no scan 9223372036854775808 in the store"),
                                ("18446744073709551615", "there is no scan 18446744073709551615 in the store")] {
            let answer = try await Self.post(server, #"{"testResultId": "\#(scan)-\#(check)", "skipMeasurements": "this"}"#)
            #expect(answer.status == 404, "\(scan): \(answer.text)")
            #expect(answer.errorMessage?.contains(missing) == true, "\(scan): \(answer.text)")
            #expect(Self.error(answer)["path"] as? String == "$.testResultId", "\(answer.text)")
        }
        // Ids the history never gives: their form, a measurement, an unknown series.
        for (id, why) in [("abc", "a testResultId is <scan>-<check>"), ("-\(check)", "a testResultId is <scan>-<check>"),
                          ("011-\(check)", "a testResultId is <scan>-<check>"), ("11-+\(check)", "a testResultId is <scan>-<check>"),
                          ("11-999", "there is no series 999")] {
            let answer = try await Self.post(server, #"{"testResultId": "\#(id)", "isAnomaly": true}"#)
            #expect(answer.status == 404 && answer.errorMessage?.contains(why) == true, "\(id): \(answer.text)")
        }
        let measurement = try #require(server.server.store.series(whereAttribute: "identity", equals: SodaCloudAPITests.rowCount).first)
        let onMeasurement = try await Self.post(server, #"{"testResultId": "11-\#(measurement.id)", "isAnomaly": true}"#)
        #expect(onMeasurement.status == 404, "\(onMeasurement.text)")
        #expect(onMeasurement.errorMessage?.contains("series \(measurement.id) is a measurement, not a check") == true, "\(onMeasurement.text)")
        let kept = try server.server.sideTables.feedback(resultIDs: ["12-\(check)", "99-\(check)", "0-\(check)", "011-\(check)"])
        #expect(kept.isEmpty, "\(kept)")

        // Day 12 becomes scan 12: its result carries no feedback given before it existed; feedback on it now works.
        let day12 = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: FeedbackRequestTests.json,
                                          body: try SodaFixtures.day(12))
        #expect(day12.status == 200 && day12.object["lsn"] as? Int == 12, "\(day12.text)")
        #expect(try await Self.historyFeedback(server).isEmpty)
        let onDay12 = try await Self.post(server, #"{"testResultId": "12-\#(check)", "skipMeasurements": "this"}"#)
        #expect(onDay12.status == 200, "\(onDay12.text)")
        #expect(Array(try await Self.historyFeedback(server).keys) == ["12-\(check)"])

        // A scan that is in the store but did not evaluate the check (another dataset's scan).
        let other = try await server.send("POST", "/api/v1/ingest", key: server.writeKey, headers: FeedbackRequestTests.json,
                                          body: try SodaFixtures.bytes("rich.json"))
        let otherScan = try #require(other.object["lsn"] as? Int, "\(other.text)")
        let notEvaluated = try await Self.post(server, #"{"testResultId": "\#(otherScan)-\#(check)", "isAnomaly": false}"#)
        #expect(notEvaluated.status == 404, "\(notEvaluated.text)")
        #expect(notEvaluated.errorMessage?.contains("check \(check) has no result in scan \(otherScan)") == true, "\(notEvaluated.text)")
    }

    @Test func sodaFeedbackWithoutAnyFieldIsRefusedAndFeedbackNullRemoves() async throws {
        let server = try await TestServer(seed: Self.seedElevenDays)
        defer { Task { await server.stop() } }
        let check = try await Self.rowCountCheck(server)
        let id = "9-\(check)"
        for body in [#"{"testResultId": "\#(id)"}"#,
                     #"{"testResultId": "\#(id)", "skipMeasurements": null, "isAnomaly": null, "reason": null}"#] {
            let answer = try await Self.post(server, body)
            #expect(answer.status == 400, "\(body): \(answer.text)")
            #expect(answer.errorMessage?.hasPrefix("no feedback given: expected at least one of skipMeasurements, "
                                                   + "isCorrectlyClassified, isAnomaly, reason or freeTextReason") == true, "\(answer.text)")
            #expect(Self.error(answer)["path"] as? String == "$", "\(answer.text)")
        }
        #expect(try server.server.sideTables.feedback(resultIDs: [id]).isEmpty)
        #expect(try await Self.historyFeedback(server).isEmpty)
        // Given, then removed with `"feedback": null`.
        #expect(try await Self.post(server, #"{"testResultId": "\#(id)", "reason": "holiday"}"#).status == 200)
        #expect(Array(try await Self.historyFeedback(server).keys) == [id])
        let removed = try await Self.post(server, #"{"testResultId": "\#(id)", "feedback": null}"#)
        #expect(removed.status == 200 && removed.text.contains("\"feedback\": null"), "\(removed.text)")
        #expect(try await Self.historyFeedback(server).isEmpty)
        // A feedback object is not read: the fields go beside testResultId.
        let nested = try await Self.post(server, #"{"testResultId": "\#(id)", "feedback": {"isAnomaly": true}}"#)
        #expect(nested.status == 400 && Self.error(nested)["path"] as? String == "$.feedback", "\(nested.text)")
    }

    @Test func sodaFeedbackShapeErrorsCarryPathLineAndColumn() async throws {
        let server = try await TestServer(seed: Self.seedElevenDays)
        defer { Task { await server.stop() } }
        let check = try await Self.rowCountCheck(server)
        let cases: [(body: String, path: String, line: Int, column: Int)] = [
            ("{\"testResultId\": \"11-\(check)\",\n \"skipMeasurements\": \"sometimes\"}", "$.skipMeasurements", 2, 22),
            ("{\"testResultId\": \"11-\(check)\",\n\n   \"isAnomaly\": \"yes\"}", "$.isAnomaly", 3, 17),
            ("{\"testResultId\": \"11-\(check)\", \"reason\": 7}", "$.reason", 1, 35 + check.count),
            ("{\"testResultId\": 11}", "$.testResultId", 1, 18),
        ]
        for c in cases {
            let answer = try await Self.post(server, c.body)
            let error = Self.error(answer)
            #expect(answer.status == 400, "\(c.body): \(answer.text)")
            #expect(error["path"] as? String == c.path, "\(c.body): \(answer.text)")
            #expect(error["line"] as? Int == c.line && error["column"] as? Int == c.column, "\(c.body): \(answer.text)")
        }
    }
}
