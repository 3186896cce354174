import Testing
import TallyQuery
import TallyTestSupport

/// Seeded random queries — mutations of valid ones and soups of the language's words — never crash the parser;
/// every rejection is a `QueryError` with a message and, for text problems, a position inside the text (or just
/// past its end) that
/// `render` can point at. Inputs are at most 512 bytes, so the time is bounded by the count.
@Suite("Query parser: seeded random input")
struct ParserFuzzTests {
    static let seeds = [
        "row_count",
        #"row_count{dataset="orders"} | since 30d | bucket 1d last fill previous"#,
        #"check{dataset=~"sales_.*"} | since 7d | outcomes | bucket 1d sum          # failed checks per day"#,
        #"missing_count{column="email"} | change avg last 7 percent"#,
        "row_count | since 90d | top 5 by max",
        "row_count | since 90d | bucket 1d avg | anomalies method=seasonal sensitivity=3 direction=down",
        "missing_count | since 7d | anomalies | where anomaly",
        #"{dataset="orders", column!="id", check=~"row.*", table!~'tmp_.*',}"#,
        "m | anomalies method=seasonal  sensitivity=3 # comment\n | forecast 14d | where anomaly",
        #"m | anomalies threshold=-3 label="a b""#,
        "m | bucket 1d avg fill zero | latest",
        "m | between 2024-05-01 and 2024-06-01T06:00:00+02:00 | rolling 3 avg | diff",
        "m | since now-7d | until now - 1mo | last 10 | downsample 100",
        "m | agg sum by (dataset, column) | bottom 3 by min | where value > 1.5e3",
        "m | where outcome = fail | outcomes by dataset | change same day last week",
        "m | where value is not null | bucket 1h p95 | change avg last 3",
    ]
    static let words = [
        "|", "{", "}", "(", ")", ",", "=", "!=", "=~", "!~", ">", ">=", "<", "<=", "-", "+", "#", "\n", "\"", "'",
        "\\", "since", "until", "between", "and", "last", "bucket", "change", "diff", "rolling", "agg", "latest",
        "where", "top", "bottom", "outcomes", "downsample", "anomalies", "forecast", "by", "fill", "zero",
        "previous", "null", "value", "outcome", "anomaly", "is", "not", "percent", "same", "day", "week", "avg",
        "sum", "min", "max", "count", "p99", "stddev", "now", "now-7d", "1d", "30d", "1mo", "1y", "0s", "7",
        "-3", "2.5", "1e308", "99999999999999999999", "2024-02-29", "2024-05-01T06:00:00Z", "T", "Z", "+02:00",
        "\"a\\\"b\"", "'x'", "dataset", "row_count", "é", "\u{0}", "\u{FEFF}", "🙂", "\r\n", "method=seasonal",
        "sensitivity=", "direction=down", "label=",
    ]

    /// Checks one input; returns whether it parsed.
    static func check(_ text: String, failures: inout [String]) -> Bool {
        do throws(QueryError) {
            _ = try Parser.parse(text)
            return true
        } catch {
            let scalars = text.unicodeScalars.count
            let lines = text.unicodeScalars.split(separator: "\n", omittingEmptySubsequences: false).count
            if error.message.isEmpty { failures.append("no message for \(text.debugDescription)") }
            if let span = error.span {
                // A problem at the end of the text (something missing) points just past it.
                if !(0 <= span.start.offset && span.start.offset <= scalars && span.start.offset <= span.end.offset
                     && span.end.offset <= scalars + 1)
                    || span.start.line < 1 || span.start.line > lines || span.start.column < 1 {
                    failures.append("span \(span) outside \(text.debugDescription)")
                }
                let rendered = error.render(query: text)
                if !rendered.contains("^") || !rendered.hasPrefix("query error at \(error.line):\(error.column): ") {
                    failures.append("render of \(text.debugDescription): \(rendered.debugDescription)")
                }
            } else if error.kind == .syntax {
                failures.append("syntax error without a position for \(text.debugDescription): \(error)")
            }
            return false
        }
    }

    @Test func mutatedAndGeneratedQueriesAreParsedOrRejectedWithAPosition() {
        var mutator = Mutator(seed: 0x7A11_0001, tokens: ParserFuzzTests.words, maximumLength: 512)
        let seeds = ParserFuzzTests.seeds.map { Array($0.utf8) }
        var failures: [String] = []
        var accepted = 0
        var rejected = 0
        let mutations = 20_000
        let soups = 5_000
        for n in 0..<(mutations + soups) {
            let input: [UInt8]
            if n < mutations {
                input = mutator.mutate(seeds[n % seeds.count], splicingWith: seeds[mutator.int(0..<seeds.count)])
            } else {
                input = mutator.tokenSoup(count: mutator.int(1..<30), separators: [" ", "", " | ", "\n"])
            }
            let text = String(decoding: input, as: UTF8.self)
            if ParserFuzzTests.check(text, failures: &failures) { accepted += 1 } else { rejected += 1 }
            if failures.count > 10 { break }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(accepted + rejected == mutations + soups)
        // The mutations stay close enough to the language to reach past the first token, and far enough to fail.
        #expect(accepted > 1_000, "only \(accepted) of the inputs parsed")
        #expect(rejected > 10_000, "only \(rejected) of the inputs were rejected")
    }

    /// Found by the test above: `render` split the text on Characters, and "\r\n" is one, so an error after a CRLF
    /// line end lost its caret line.
    @Test func renderPointsIntoLinesEndedByCRLF() throws {
        let text = "row_count\r\n  | buckt 1d avg"
        let error = try #require(#expect(throws: QueryError.self) { _ = try Parser.parse(text) })
        #expect(error.line == 2 && error.column == 5)
        #expect(error.render(query: text) == "\(error.description)\n  | buckt 1d avg\n    ^")
    }

    @Test func timeExpressionsAreParsedOrRejectedWithAPosition() {
        var mutator = Mutator(seed: 0x7A11_0002, tokens: ["now", "-", "+", "7d", "1mo", "T", "Z", ":", "2024-05-01", "06:00:00", ".123", "+02:00"],
                              maximumLength: 64)
        let seeds = ["now", "now-7d", "2024-05-01", "2024-05-01T06:00:00+02:00 - 1mo", "2024-02-29T23:59:59.999Z"].map { Array($0.utf8) }
        var failures: [String] = []
        for n in 0..<5_000 {
            let text = String(decoding: mutator.mutate(seeds[n % seeds.count], splicingWith: seeds[0]), as: UTF8.self)
            do throws(QueryError) { _ = try Parser.parseTime(text) } catch {
                if error.message.isEmpty || (error.kind == .syntax && error.span == nil) {
                    failures.append("\(text.debugDescription): \(error)")
                }
                _ = error.render(query: text)
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
    }

    /// Time expressions with expanded years, at and near the ends of `Int64` milliseconds, are parsed or rejected
    /// with a position, and the ones that parse resolve without trapping at any `now`.
    @Test func expandedYearTimeExpressionsAreParsedOrRejectedWithAPosition() {
        var mutator = Mutator(seed: 0x7A11_0003,
                              tokens: ["now", "-", "+", " ", "0", "9", "-0044-03-15", "+10000-01-01", "+999-01-01",
                                       "+292278994-08-17T07:12:55.807Z", "-292275055-05-16T16:47:04.192Z", "1mo",
                                       "10000y", "1ms", "T", "Z", ":", "-01", "+02:00", "\""],
                              maximumLength: 64)
        let seeds = ["-0044-03-15T12:00:00Z", "+10000-01-01 - 1d", "+292278994-08-17T07:12:55.807Z + 1mo",
                     "-292275055-05-16T16:47:04.192Z-10000y", "now + 10000y"].map { Array($0.utf8) }
        var failures: [String] = []
        var parsed = 0
        for n in 0..<5_000 {
            let text = String(decoding: mutator.mutate(seeds[n % seeds.count], splicingWith: seeds[0]), as: UTF8.self)
            do throws(QueryError) {
                let expression = try Parser.parseTime(text)
                for now in [0, Int64.max, Int64.min] { _ = expression.resolve(now: now) }
                parsed += 1
            } catch {
                if error.message.isEmpty || (error.kind == .syntax && error.span == nil) {
                    failures.append("\(text.debugDescription): \(error)")
                }
                _ = error.render(query: text)
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(10))")
        #expect(parsed > 100, "only \(parsed) of the inputs parsed")
    }
}
