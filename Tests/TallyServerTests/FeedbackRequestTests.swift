import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// What `POST /api/v1/feedback` accepts and refuses.
@Suite("Feedback requests", .serialized)
struct FeedbackRequestTests {
    static let json = ["Content-Type": "application/json"]

    static func post(_ server: TestServer, _ path: String, _ body: String) async throws -> HTTPResult {
        try await server.send("POST", path, key: server.writeKey, headers: json, body: Array(body.utf8))
    }

    /// The `error` object of an answer.
    static func error(_ answer: HTTPResult) -> [String: Any] { answer.object["error"] as? [String: Any] ?? [:] }

    static let csv = """
        time,metric,value,dataset
        2024-05-01T06:00:00Z,row_count,1204,orders
        2024-05-02T06:00:00Z,row_count,1190,orders
        2024-05-03T06:00:00Z,row_count,1250,orders

        """

    static func seedCSV(_ store: Store) throws { try store.ingestCSV(Array(csv.utf8), fileName: "points.csv") }

    static func mark(_ server: TestServer, at: String, extra: String = "") async throws -> HTTPResult {
        try await post(server, "/api/v1/feedback", #"{"match": "row_count", "at": \#(at), "verdict": "exclude"\#(extra)}"#)
    }

    @Test func atIsAnyJSONNumberThatIsAWholeNumberOfMilliseconds() async throws {
        let server = try await TestServer(seed: Self.seedCSV)
        defer { Task { await server.stop() } }
        // 2024-05-02T06:00:00Z is 1714629600000 ms.
        for at in ["1714629600000", "1.7146296e12", "1714629600000.0", "17146296000000e-1", "1714629600000E+0"] {
            let answer = try await Self.mark(server, at: at)
            #expect(answer.status == 200 && answer.object["time"] as? String == "2024-05-02T06:00:00Z", "\(at): \(answer.text)")
        }
        // Whole and in range, but no point there.
        for at in ["1e3", "0", "-0", "9223372036854775807", "-9223372036854775808", "9.223372036854775807e18"] {
            let answer = try await Self.mark(server, at: at)
            #expect(answer.status == 404, "\(at): \(answer.text)")
        }
        for (at, words) in [("1714629600000.5", "must be a whole number"), ("1e-3", "must be a whole number"),
                            ("1.5", "must be a whole number"), ("9223372036854775808", "must be from"),
                            ("-9223372036854775809", "must be from"), ("1e19", "must be from"), ("1e400", "must be from")] {
            let answer = try await Self.mark(server, at: at)
            let error = Self.error(answer)
            #expect(answer.status == 400 && answer.errorMessage?.contains(words) == true, "\(at): \(answer.text)")
            #expect(error["path"] as? String == "$.at" && error["line"] as? Int == 1 && error["column"] as? Int == 30, "\(at): \(answer.text)")
        }
    }

    @Test func wholeNumbersAreReadExactlyFromTheLiteral() throws {
        func reading(_ literal: String) throws -> WholeNumberReading { try #require(SodaNumber(literal: literal)).wholeNumber }
        #expect(try reading("1e3") == .whole(1000))
        #expect(try reading("-1.5e3") == .whole(-1500))
        #expect(try reading("0.0e-7") == .whole(0))
        #expect(try reading("120e-1") == .whole(12))
        #expect(try reading("1.0000000000000000001e19") == .outOfRange)
        #expect(try reading("9223372036854775807.000") == .whole(.max))
        #expect(try reading("-9223372036854775808") == .whole(.min))
        #expect(try reading("123e-1") == .fraction)
        #expect(try reading("1e-1000000000000000000000") == .fraction)
        #expect(try reading("0e1000000000000000000000") == .whole(0))
        #expect(try reading("9007199254740993.5") == .fraction, "a Double would round this to a whole number")
    }

    @Test func aSelectorOverTheQueryLimitIs413() async throws {
        let server = try await TestServer(seed: Self.seedCSV)
        defer { Task { await server.stop() } }
        let limit = server.server.configuration.limits.maxQueryBytes
        let selector = "row_count{dataset=~\\\"orders" + String(repeating: "|x", count: limit / 2) + "\\\"}"
        let answer = try await Self.post(server, "/api/v1/feedback",
                                         #"{"match": "\#(selector)", "at": "latest", "verdict": "exclude"}"#)
        #expect(answer.status == 413, "\(answer.text.prefix(300))")
        #expect(answer.errorMessage?.hasSuffix("bytes; the limit is \(limit)") == true, "\(answer.text.prefix(300))")
        #expect(Self.error(answer)["path"] as? String == "$.match")
        #expect(try server.server.store.feedback().isEmpty, "the selector was evaluated")
    }

    @Test func feedbackShapeErrorsCarryPathLineAndColumn() async throws {
        let server = try await TestServer(seed: Self.seedCSV)
        defer { Task { await server.stop() } }
        let cases: [(body: String, path: String, line: Int, column: Int, words: String)] = [
            ("{\"match\": \"row_count\", \"at\": \"latest\",\n  \"verdict\": \"wrong\"}", "$.verdict", 2, 14,
             "verdict must be expected, anomaly or exclude; found \"wrong\""),
            ("{\"match\": \"row_count\",\n\"at\": \"latest\",\n\"verdict\": 3}", "$.verdict", 3, 12, "verdict must be"),
            ("{\"match\": \"row_count\", \"at\": \"latest\", \"verdict\": \"exclude\",\n \"note\": 5}", "$.note", 2, 10,
             "note must be a string"),
            ("{\"match\": \"row_count\", \"at\": \"latest\", \"verdict\": \"exclude\", \"note\": [\"a\"]}", "$.note", 1, 70,
             "note must be a string"),
            ("{\"match\": \"row_count\", \"at\": true, \"verdict\": \"exclude\"}", "$.at", 1, 30, "at must be a string"),
            ("{\"at\": \"latest\", \"verdict\": \"exclude\"}", "$.match", 1, 1, "missing match"),
            ("{\"match\": 1, \"at\": \"latest\", \"verdict\": \"exclude\"}", "$.match", 1, 11, "match must be a string"),
            ("{\"match\": \"row_count\", \"at\": \"latest\"}", "$.verdict", 1, 1, "missing verdict"),
        ]
        for c in cases {
            let answer = try await Self.post(server, "/api/v1/feedback", c.body)
            let error = Self.error(answer)
            #expect(answer.status == 400, "\(c.body): \(answer.text)")
            #expect(answer.errorMessage?.contains(c.words) == true, "\(c.body): \(answer.text)")
            #expect(error["path"] as? String == c.path, "\(c.body): \(answer.text)")
            #expect(error["line"] as? Int == c.line && error["column"] as? Int == c.column, "\(c.body): \(answer.text)")
        }
        #expect(try server.server.store.feedback().isEmpty)
        // A null note is no note; a string one is kept.
        #expect(try await Self.mark(server, at: "\"latest\"", extra: #", "note": null"#).status == 200)
        #expect(try await Self.mark(server, at: "\"2024-05-01\"", extra: #", "note": "backfill""#).status == 200)
        #expect(try server.server.store.feedback().map(\.note).sorted() == ["", "backfill"])
    }
}
