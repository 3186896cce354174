import TallyStorage
import TallyEncoding
import Foundation
import Testing
@testable import TallyQuery

@Suite struct JSONOutputTests {
    func parse(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func exactShape() {
        let r = QueryResult(series: [
            ResultSeries(metric: "row_count", labels: ["dataset": "orders"], times: [utc(2024, 5, 1, 6)], values: [100]),
        ])
        #expect(r.json() == #"{"series":[{"metric":"row_count","labels":{"dataset":"orders"},"points":[{"time":"2024-05-01T06:00:00Z","value":100.0}]}]}"#)
        #expect(QueryResult(series: []).json() == #"{"series":[]}"#)
    }

    @Test func prettyShape() {
        let r = QueryResult(series: [
            ResultSeries(metric: "m", labels: [:], times: [0, 1500], values: [1.5, NULL]),
            ResultSeries(metric: "n", labels: ["a": "b", "c": "d"]),
        ])
        #expect(r.json(pretty: true) == """
            {"series": [
              {"metric": "m", "labels": {}, "points": [
                {"time": "1970-01-01T00:00:00Z", "value": 1.5},
                {"time": "1970-01-01T00:00:01.500Z", "value": null, "reason": "no value recorded"}
              ]},
              {"metric": "n", "labels": {"a": "b", "c": "d"}, "points": []}
            ]}
            """)
    }

    @Test func numbersNullsAndSpecialValues() throws {
        let values: [Double] = [0.1, -2, 1e21, .leastNonzeroMagnitude, .nan, .infinity, -.infinity, NULL, 123456789.125, -0.0]
        let r = QueryResult(series: [
            ResultSeries(metric: "m", labels: [:], times: values.indices.map { Int64($0) }, values: values),
        ])
        let text = r.json()
        #expect(text.contains(#""value":0.1}"#))
        #expect(text.contains(#""value":-2.0}"#))
        #expect(text.contains(#""value":"NaN"}"#))
        #expect(text.contains(#""value":"Infinity"}"#))
        #expect(text.contains(#""value":"-Infinity"}"#))
        #expect(text.contains(#""value":null,"reason":"no value recorded"}"#))
        let object = try parse(text)
        let points = try #require(((object["series"] as? [[String: Any]])?.first?["points"]) as? [[String: Any]])
        #expect(points.count == values.count)
        // Finite numbers read back exactly.
        for (i, v) in values.enumerated() where v.isFinite && !isNullBits(v) {
            #expect((points[i]["value"] as? NSNumber)?.doubleValue == v)
        }
        #expect(points[7]["value"] is NSNull)
    }

    @Test func stringsAreEscaped() throws {
        let nasty = "a\"b\\c\nd\te\u{01}é😀"
        let r = QueryResult(series: [ResultSeries(metric: nasty, labels: [nasty: nasty], times: [0], values: [1])])
        let object = try parse(r.json())
        let s = try #require((object["series"] as? [[String: Any]])?.first)
        #expect(s["metric"] as? String == nasty)
        #expect((s["labels"] as? [String: String])?[nasty] == nasty)
        #expect(r.json().contains(#"\u0001"#))
    }

    @Test func checkPointsAndAnnotations() throws {
        var s = ResultSeries(metric: "c", labels: [:], kind: .check, times: [0, 1, 2], values: [1, NULL, 3],
                             outcomes: [3, 4, 0], reasons: [nil, "scan errored", nil])
        s.expected = [1, 2, NULL]
        s.lower = [0, 1, 2]
        s.upper = [2, 3, 4]
        s.score = [0.5, 1, 6]
        s.anomaly = [false, false, true]
        let text = QueryResult(series: [s]).json()
        #expect(text.contains(#"{"time":"1970-01-01T00:00:00Z","value":1.0,"outcome":"fail","expected":1.0,"lower":0.0,"upper":2.0,"score":0.5,"anomaly":false}"#))
        #expect(text.contains(#"{"time":"1970-01-01T00:00:00.001Z","value":null,"reason":"scan errored","outcome":"error","#))
        #expect(text.contains(#""time":"1970-01-01T00:00:00.002Z","value":3.0,"expected":null,"#))
        _ = try parse(text)
    }

    @Test func endToEndChangeReason() throws {
        let src = FakeDataSource()
        src.add("row_count", ["dataset": "orders"], times: [utc(2024, 5, 1, 6)], values: [100])
        let text = try run("row_count | change", src).json()
        #expect(text == #"{"series":[{"metric":"row_count","labels":{"dataset":"orders"},"points":[{"time":"2024-05-01T06:00:00Z","value":null,"reason":"only one data point, nothing earlier to compare with"}]}]}"#)
    }
}

@Suite struct CSVOutputTests {
    @Test func headerLabelsAndQuoting() {
        let r = QueryResult(series: [
            ResultSeries(metric: "m", labels: ["dataset": "a,b", "column": "say \"hi\""], times: [utc(2024, 5, 1)], values: [1]),
            ResultSeries(metric: "m", labels: ["dataset": "line\nbreak", "table": "t"], times: [utc(2024, 5, 2)], values: [2.5]),
        ])
        #expect(r.csv() == #"""
            metric,column,dataset,table,time,value
            m,"say ""hi""","a,b",,2024-05-01T00:00:00Z,1.0
            m,,"line
            break",t,2024-05-02T00:00:00Z,2.5

            """#)
        #expect(r.csv(lineEnding: "\r\n").hasPrefix("metric,column,dataset,table,time,value\r\nm,"))
    }

    @Test func extraColumnsAndNulls() {
        let r = QueryResult(series: [
            ResultSeries(metric: "c", labels: ["value": "x"], kind: .check, times: [0, 1], values: [NULL, .nan], outcomes: [4, 1]),
        ])
        #expect(r.csv() == """
            metric,label:value,time,value,outcome
            c,x,1970-01-01T00:00:00Z,,error
            c,x,1970-01-01T00:00:00.001Z,NaN,pass

            """)
        #expect(QueryResult(series: []).csv() == "metric,time,value\n")
        // An `outcome` label (the `outcomes` stage's too, and a stored series named `outcomes`) is written
        // `label:outcome`, so that `tally ingest csv` reads it back as a label, not as the outcome column.
        let outcomes = QueryResult(series: [ResultSeries(metric: "outcomes", labels: ["outcome": "fail"], times: [0], values: [2])])
        #expect(outcomes.csv() == "metric,label:outcome,time,value\noutcomes,fail,1970-01-01T00:00:00Z,2.0\n")
        let labelled = QueryResult(series: [ResultSeries(metric: "m", labels: ["outcome": "fail"], times: [0], values: [2])])
        #expect(labelled.csv() == "metric,label:outcome,time,value\nm,fail,1970-01-01T00:00:00Z,2.0\n")
    }
}

@Suite struct TableOutputTests {
    @Test func alignedColumns() {
        let r = QueryResult(series: [
            ResultSeries(metric: "row_count", labels: ["dataset": "orders"], times: [utc(2024, 5, 1)], values: [100]),
            ResultSeries(metric: "m", labels: ["dataset": "a"], times: [utc(2024, 5, 1, 6, 0, 0, 5)], values: [NULL]),
        ])
        let expected = [
            "metric     dataset  time                      value",
            "row_count  orders   2024-05-01T00:00:00Z      100.0",
            "m          a        2024-05-01T06:00:00.005Z   null",
        ].joined(separator: "\n") + "\n"
        #expect(r.table() == expected)
        // Every line puts the time column at the same place.
        let lines = r.table().split(separator: "\n")
        #expect(Set(lines.map { $0.range(of: "time")?.lowerBound.utf16Offset(in: $0) ?? $0.range(of: "2024")!.lowerBound.utf16Offset(in: $0) }).count == 1)
        #expect(QueryResult(series: []).table() == "(no series)\n")
        // Series that matched but hold no points say so, instead of a header alone.
        let empty = QueryResult(series: [ResultSeries(metric: "m", labels: [:], times: [], values: [])])
        #expect(empty.table() == "(no points in 1 series)\n")
    }

    /// Wide characters (CJK) take two terminal columns and combining marks none: the columns after them still line
    /// up on screen.
    @Test func alignsByTerminalWidth() {
        let r = QueryResult(series: [
            ResultSeries(metric: "m", labels: ["ds": "日本", "z": "1"], times: [0], values: [1]),
            ResultSeries(metric: "m", labels: ["ds": "e\u{301}te\u{301}", "z": "2"], times: [0], values: [2]),
            ResultSeries(metric: "m", labels: ["ds": "orders", "z": "3"], times: [0], values: [3]),
        ])
        // `日本` takes four columns and `été` (with combining accents) three: the padding after each makes six.
        #expect(r.table() == [
            "metric  ds      z  time                  value",
            "m       日本    1  1970-01-01T00:00:00Z    1.0",
            "m       e\u{301}te\u{301}     2  1970-01-01T00:00:00Z    2.0",
            "m       orders  3  1970-01-01T00:00:00Z    3.0",
        ].joined(separator: "\n") + "\n")
        #expect(TallyQuery.alignedColumns([["a\u{1B}[31mred", "b\u{7F}\u{9B}"], ["\tx", "y\r\n"]])
                == "a\\x1b[31mred  b\\x7f\\x9b\n\\tx           y\\r\\n\n")
        #expect(TableText.width("日本") == 4 && TableText.width("e\u{301}") == 1 && TableText.width("ab") == 2)
    }
}
