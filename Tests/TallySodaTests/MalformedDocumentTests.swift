import Foundation
import Testing

@testable import TallySoda

@Suite("Malformed documents")
struct MalformedDocumentTests {
    /// rich.json with the first occurrence of `old` replaced by `new`.
    static func richWith(_ old: String, _ new: String) throws -> String {
        let text = try Fixtures.text("rich.json")
        let range = try #require(text.range(of: old), "fixture text \(old)")
        return text.replacingCharacters(in: range, with: new)
    }

    static func error(_ text: String) throws -> SodaError {
        try #require(throws: SodaError.self) { try SodaScan.parse(text) }
    }

    @Test("truncated JSON: syntax error with path, line and column; nothing returned")
    func truncated() throws {
        let bytes = try Fixtures.bytes("rich.json")
        for cut in [1, 100, bytes.count / 2, bytes.count - 1] {
            let error = try #require(throws: SodaError.self) { try SodaScan.parse(Array(bytes.prefix(cut))) }
            #expect(error.kind == .syntax)
            #expect(error.line == 1)
            #expect(error.message.contains("unexpected end of input"))
            #expect(error.description.hasPrefix("$"))
        }
        let half = try #require(throws: SodaError.self) { try SodaScan.parse(Array(bytes.prefix(bytes.count / 2))) }
        #expect(half.path.components.first == .key("checks"))
    }

    @Test("truncated pretty-printed payload reports the last line")
    func truncatedPretty() throws {
        let text = try Fixtures.text("cloud_insert_payload.json")
        let cut = String(text.prefix(text.count - 200))
        let error = try Self.error(cut)
        let lines = cut.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(error.kind == .syntax)
        #expect(error.line == lines.count)
        #expect(error.column == lines.last!.count + 1)
    }

    @Test("bad outcome: the brief's exact message with line and column")
    func badOutcome() throws {
        // The 4th check of rich.json (index 3) is the reference check, outcome "fail".
        let text = try Self.richWith(#""outcome": "fail", "diagnostics": {"blocks": [{"type": "failedRowsAnalysis""#,
                                     #""outcome": "passed", "diagnostics": {"blocks": [{"type": "failedRowsAnalysis""#)
        let error = try Self.error(text)
        #expect(error.kind == .invalid)
        #expect(error.path.description == "$.checks[3].outcome")
        #expect(error.message == #"expected one of pass, warn, fail, error, null; found "passed""#)
        #expect(error.description.hasPrefix(#"$.checks[3].outcome: expected one of pass, warn, fail, error, null; found "passed" (line 1, column "#))
        let offset = text.distance(from: text.startIndex, to: text.range(of: #""passed""#)!.lowerBound)
        #expect(error.column == offset + 1)
    }

    @Test("line and column of a shape error in a pretty-printed document")
    func prettyPosition() throws {
        var text = try Fixtures.text("cloud_insert_payload.json")
        let marker = #""hasWarnings": true"#
        let line = try #require(Fixtures.line(of: marker, in: text))
        text = text.replacingOccurrences(of: marker, with: #""hasWarnings": "yes""#)
        let error = try Self.error(text)
        #expect(error.path.description == "$.hasWarnings")
        #expect(error.message == #"expected true or false; found "yes""#)
        #expect(error.line == line)
        let lineText = text.split(separator: "\n", omittingEmptySubsequences: false)[line - 1]
        #expect(error.column == lineText.distance(from: lineText.startIndex, to: lineText.range(of: #""yes""#)!.lowerBound) + 1)
    }

    struct Case: CustomTestStringConvertible, Sendable {
        let old: String
        let new: String
        let path: String
        let message: String
        var testDescription: String { path }
    }

    static let cases: [Case] = [
        Case(old: #""dataTimestamp": "2024-05-10T06:00:00+00:00""#, new: #""dataTimestamp": "2024-05-10 06:00""#,
             path: "$.dataTimestamp", message: #"expected an ISO-8601 timestamp with offset like "2024-05-10T06:00:00+00:00"; found "2024-05-10 06:00""#),
        Case(old: #""dataTimestamp": "2024-05-10T06:00:00+00:00""#, new: #""dataTimestamp": "2024-13-10T06:00:00+00:00""#,
             path: "$.dataTimestamp", message: #"expected an ISO-8601 timestamp with offset like "2024-05-10T06:00:00+00:00"; found "2024-13-10T06:00:00+00:00""#),
        Case(old: #""dataTimestamp": "2024-05-10T06:00:00+00:00""#, new: #""dataTimestamp": 1715320800"#,
             path: "$.dataTimestamp", message: #"expected an ISO-8601 timestamp with offset like "2024-05-10T06:00:00+00:00"; found 1715320800"#),
        Case(old: #""scanEndTimestamp": "2026-11-29T22:34:28+00:00", "#, new: "",
             path: "$.scanEndTimestamp", message: #"missing required key "scanEndTimestamp"; expected an ISO-8601 timestamp with offset like "2024-05-10T06:00:00+00:00""#),
        Case(old: #""hasFailures": true"#, new: #""hasFailures": 1"#, path: "$.hasFailures", message: "expected true or false; found 1"),
        Case(old: #""metrics": ["#, new: #""metrics": {"x": 1}, "metrics_": ["#, path: "$.metrics", message: "expected an array; found an object"),
        Case(old: #"{"identity": "metric-nightly_orders_scan-shop-orders-recent-row_count", "metricName": "row_count", "value": 5}"#,
             new: #"{"identity": "metric-nightly_orders_scan-shop-orders-recent-row_count", "metricName": 7, "value": 5}"#,
             path: "$.metrics[0].metricName", message: "expected a string; found 7"),
        Case(old: #", "metricName": "row_count", "value": 5}"#, new: #", "metricName": "row_count"}"#,
             path: "$.metrics[0].value", message: "missing required key \"value\"; expected a value (number, string, array, object or null)"),
        Case(old: #""metrics": ["metric-nightly_orders_scan-shop-orders-recent-row_count"]"#, new: #""metrics": [42]"#,
             path: "$.checks[0].metrics[0]", message: "expected a metric identity string; found 42"),
        Case(old: #""diagnostics": {"blocks": [], "value": 5, "#, new: #""diagnostics": {"blocks": [], "value": "5", "#,
             path: "$.checks[0].diagnostics.value", message: #"expected a number or null; found "5""#),
        Case(old: #""fail": {"lessThanOrEqual": 0.0}}, "source": "soda-core"}, {"identity": "ea7cc4c3""#,
             new: #""fail": {"lessThanOrEqual": "zero"}}, "source": "soda-core"}, {"identity": "ea7cc4c3""#,
             path: "$.checks[0].diagnostics.fail.lessThanOrEqual", message: #"expected a number or null; found "zero""#),
        Case(old: #""identity": "045c4f35", "#, new: "", path: "$.checks[0].identity", message: "missing required key \"identity\"; expected a string"),
        Case(old: #""outcome": "pass""#, new: #""outcome": true"#, path: "$.checks[0].outcome",
             message: "expected one of pass, warn, fail, error, null; found true"),
        Case(old: #""definitionName": "nightly_orders_scan""#, new: #""definitionName": ["x"]"#,
             path: "$.definitionName", message: "expected a string or null; found an array"),
        Case(old: #""logs": ["#, new: #""logs": "none", "x": ["#, path: "$.logs", message: #"expected an array or null; found "none""#),
        Case(old: #""sourceOwner": "soda-core""#, new: #""sourceOwner": "soda-core", "type": "login""#,
             path: "$.type", message: #"expected "sodaCoreInsertScanResults" or no type; found "login""#),
        Case(old: #"{"identity": "metric-nightly_orders_scan-shop-avg_amount > 20-59c6b433", "metricName": "avg_amount > 20", "value": null}"#,
             new: #"{"identity": "metric-nightly_orders_scan-shop-orders-recent-row_count", "metricName": "row_count", "value": 5}"#,
             path: "$.metrics[1].identity",
             message: #"duplicate metric identity "metric-nightly_orders_scan-shop-orders-recent-row_count" (also at $.metrics[0])"#),
        // Numbers beyond a Double were stored as infinity (and sent back by the history as no value at all).
        Case(old: #", "metricName": "row_count", "value": 5}"#, new: #", "metricName": "row_count", "value": 1e400}"#,
             path: "$.metrics[0].value", message: "the number 1e400 is beyond the largest value Tally keeps (±1.7976931348623157e308)"),
        Case(old: #""diagnostics": {"blocks": [], "value": 5, "#, new: #""diagnostics": {"blocks": [], "value": -2e308, "#,
             path: "$.checks[0].diagnostics.value",
             message: "the number -2e308 is beyond the largest value Tally keeps (±1.7976931348623157e308)"),
        // NUL characters were cut off by the catalog: "x\u0000y" and "x" became one series.
        Case(old: #"{"identity": "metric-nightly_orders_scan-shop-orders-recent-row_count", "metricName": "row_count", "value": 5}"#,
             new: #"{"identity": "metric-nightly_orders_scan-shop-orders-recent-row_count\u0000x", "metricName": "row_count", "value": 5}"#,
             path: "$.metrics[0].identity",
             message: #"the string has a NUL character (\u0000), which Tally cannot keep in a label or attribute"#),
        Case(old: #""definitionName": "nightly_orders_scan""#, new: #""definitionName": "nightly\u0000orders""#,
             path: "$.definitionName",
             message: #"the string has a NUL character (\u0000), which Tally cannot keep in a label or attribute"#),
        Case(old: #""metrics": ["metric-nightly_orders_scan-shop-orders-recent-row_count"]"#,
             new: #""metrics": ["metric-nightly_orders_scan-shop-orders-recent-row_count\u0000"]"#,
             path: "$.checks[0].metrics[0]",
             message: #"the string has a NUL character (\u0000), which Tally cannot keep in a label or attribute"#),
    ]

    @Test("wrong types, missing keys, bad timestamps: error names the JSON path", arguments: cases)
    func shapeErrors(_ c: Case) throws {
        let error = try Self.error(try Self.richWith(c.old, c.new))
        #expect(error.kind == .invalid)
        #expect(error.path.description == c.path)
        #expect(error.message == c.message)
        #expect(error.line != nil && error.column != nil)
    }

    @Test("not an object, and soda-core 4.x documents")
    func otherDocuments() throws {
        let array = try Self.error("[1, 2]")
        #expect(array.path == .root)
        #expect(array.message == "expected an object; found an array")
        let v4 = try Self.error(try Self.richWith(#""sourceOwner": "soda-core""#, #""sourceOwner": "soda-core", "version": "4""#))
        #expect(v4.kind == .unsupported)
        #expect(v4.path.description == "$.version")
    }

    @Test("schema event counts that overflow a 64-bit integer are an error, not a trap")
    func schemaEventCountOverflow() throws {
        let huge = #"{"valueSeries": {"values": [{"label": "fail", "value": 9223372036854775807}, "#
            + #"{"label": "warn", "value": 1}]}}"#
        let text = try Self.richWith(#""diagnostics": {"blocks": [], "value": 5, "fail": {"lessThanOrEqual": 0.0}}"#,
                                     #""diagnostics": "# + huge)
        let error = try Self.error(text)
        #expect(error.kind == .invalid)
        #expect(error.path.description == "$.checks[0].diagnostics.valueSeries.values[1].value", "\(error)")
        #expect(error.message.contains("beyond what a 64-bit integer holds"))
        // Counts that fit are still added up.
        let fits = try SodaScan.parse(try Self.richWith(#""diagnostics": {"blocks": [], "value": 5, "fail": {"lessThanOrEqual": 0.0}}"#,
            #""diagnostics": {"valueSeries": {"values": [{"label": "fail", "value": 2}, {"label": "warn", "value": 3}]}}"#))
        #expect(fits.checks[0].derived?.value == SodaNumber(5))
    }

    @Test("two metrics whose names differ only in characters a series name cannot have are refused, not merged")
    func metricNamesThatBecomeOneSeries() throws {
        func document(_ second: String) -> String {
            #"{"definitionName": "daily_orders", "defaultDataSource": "hist", "dataTimestamp": "2024-05-01T06:00:00+00:00", "#
                + #""scanStartTimestamp": "2024-05-01T06:00:00+00:00", "scanEndTimestamp": "2024-05-01T06:00:01+00:00", "#
                + #""hasErrors": false, "hasWarnings": false, "hasFailures": false, "checks": [], "metrics": ["#
                + #"{"identity": "metric-daily_orders-hist-orders-x y", "metricName": "x y", "value": 1}, "#
                + #"{"identity": "metric-daily_orders-hist-orders-\#(second)", "metricName": "\#(second)", "value": 2}]}"#
        }
        // `x y` and `x_y` were both the series x_y{dataset="orders", …}: the first point was lost, and the series
        // carried one metric's identity and the other's name.
        let error = try Self.error(document("x_y"))
        #expect(error.kind == .invalid)
        #expect(error.path.description == "$.metrics[1].metricName", "\(error)")
        #expect(error.message.contains("would be the same Tally series") && error.message.contains("$.metrics[0]"), "\(error)")
        // Names that stay apart are two series.
        let scan = try SodaScan.parse(document("x_z"))
        #expect(scan.measurements.map { SodaScan.seriesName($0.metricName) } == ["x_y", "x_z"])
    }
}

