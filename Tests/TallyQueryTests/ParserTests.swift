import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct SelectorParsingTests {
    @Test func metricOnly() throws {
        let q = try Parser.parse("row_count")
        #expect(q.selector == SelectorExpression(metric: "row_count"))
        #expect(q.stages.isEmpty)
        #expect(q.selectorSpan.start.column == 1 && q.selectorSpan.end.column == 10)
    }

    @Test func matchersOnly() throws {
        let q = try Parser.parse(#"{dataset="orders", column!="id", check=~"row.*", table!~'tmp_.*',}"#)
        #expect(q.selector.metric == nil)
        #expect(q.selector.matchers.map(\.name) == ["dataset", "column", "check", "table"])
        #expect(q.selector.matchers.map(\.op) == [.equal, .notEqual, .regexMatch, .regexNotMatch])
        #expect(q.selector.matchers.map(\.value) == ["orders", "id", "row.*", "tmp_.*"])
        #expect(q.selector.matchers[1].span?.start.column == 20)
    }

    @Test func metricAndMatchers() throws {
        let q = try Parser.parse("missing_count{dataset=\"a\"}")
        #expect(q.selector.metric == "missing_count")
        #expect(q.selector.matchers == [MatcherExpression("dataset", .equal, "a", span: q.selector.matchers[0].span)])
        #expect(try Parser.parse("m{}").selector == SelectorExpression(metric: "m"))
    }

    @Test func matchingRules() {
        let s = SelectorExpression(metric: "m", matchers: [MatcherExpression("dataset", .regexMatch, "ord.*"),
                                                 MatcherExpression("env", .notEqual, "dev")])
        #expect(s.matches(metric: "m", labels: ["dataset": "orders"]))
        #expect(!s.matches(metric: "m", labels: ["dataset": "xorders"]))   // anchored at the start
        #expect(!s.matches(metric: "m2", labels: ["dataset": "orders"]))
        #expect(!s.matches(metric: "m", labels: ["dataset": "orders", "env": "dev"]))
        #expect(SelectorExpression(metric: nil, matchers: [MatcherExpression("a", .regexMatch, "x")]).matches(labels: ["a": "x"]))
        #expect(!SelectorExpression(metric: nil, matchers: [MatcherExpression("a", .regexMatch, "x")]).matches(labels: ["a": "xy"]))  // anchored at the end
        #expect(SelectorExpression(metric: nil, matchers: [MatcherExpression("a", .equal, "")]).matches(labels: ["b": "x"]))
        #expect(SelectorExpression(metric: nil, matchers: [MatcherExpression("a", .regexNotMatch, "x|y")]).matches(labels: ["a": "z"]))
        // `__name__` is the metric name, as storage reads it.
        let names = SelectorExpression(metric: nil, matchers: [MatcherExpression("__name__", .regexMatch, "row_count|missing_count")])
        #expect(names.matches(metric: "row_count", labels: ["a": "x"]) && names.matches(metric: "missing_count", labels: [:]))
        #expect(!names.matches(metric: "freshness", labels: ["__name__": "row_count"]))
    }

    /// A regex is compiled once, when the matcher is made (or its operator or value changes): the matcher keeps the
    /// pattern, or the error saying why it does not compile, which the parser reports.
    @Test func regexMatchersKeepTheirPatternOrWhyItDoesNotCompile() {
        let good = MatcherExpression("a", .regexMatch, "ord.*")
        #expect(good.pattern?.source == "ord.*" && good.patternError == nil)
        var bad = MatcherExpression("a", .regexNotMatch, "a(b")
        #expect(bad.pattern == nil)
        #expect(bad.patternError == LabelPatternError("missing \")\" for \"(\" at column 2", column: 2))
        #expect(!bad.matches("a(b") && !bad.matches(""))   // an invalid regex matches nothing
        bad.value = "a|b"
        #expect(bad.pattern?.source == "a|b" && bad.patternError == nil)
        bad.value = "x{1001}"
        #expect(bad.pattern == nil && bad.patternError?.column == 2)
        bad.op = .equal
        #expect(bad.pattern == nil && bad.patternError == nil)
        #expect(MatcherExpression("a", .notEqual, "a(b").patternError == nil)
    }

    /// The parser and the storage matcher word a refused pattern alike.
    @Test func refusedPatternsReadTheSameInQueriesAndStorage() throws {
        for pattern in ["a(b", "x(?=y)", "[z-a]", "\\q", "a{1001}", "\"quoted\"("] {
            var storage: InputError?
            do throws(InputError) {
                _ = try LabelMatcher(name: "a", op: .matchesRegex, value: pattern)
            } catch {
                storage = error
            }
            var query: QueryError?
            do throws(QueryError) {
                _ = try Parser.parse("m{a=~\(quoteLabelValue(pattern))}")
            } catch {
                query = error
            }
            #expect(storage?.field == "a")
            #expect(storage?.message != nil && storage?.message == query?.message, "\(pattern)")
            #expect(query?.message.hasPrefix("invalid regular expression \(quoteLabelValue(pattern)): ") == true)
        }
    }

    @Test func commentsAndLines() throws {
        let q = try Parser.parse("""
            row_count{dataset="orders"}   # the table
              | since 30d                 # a month
              | bucket 1d last
            """)
        #expect(q.stages.count == 2)
        #expect(q.stages[1].span.start.line == 3)
        #expect(q.stages[1].span.start.column == 5)
    }
}

@Suite struct StageParsingTests {
    let week = QueryDuration(milliseconds: 7 * DAY)

    @Test func timeRanges() throws {
        #expect(try stageOf("since 7d") == .since(TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: week)])))
        #expect(try stageOf("since now-7d") == .since(TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: week)])))
        #expect(try stageOf("since 2024-05-01") == .since(TimeExpression(base: .absolute(utc(2024, 5, 1)))))
        #expect(try stageOf("until now") == .until(TimeExpression(base: .now)))
        #expect(try stageOf("until \"2024-05-01T06:00:00Z\"") == .until(TimeExpression(base: .absolute(utc(2024, 5, 1, 6)))))
        #expect(try stageOf("between 2024-05-01 and 2024-06-01") ==
                .between(TimeExpression(base: .absolute(utc(2024, 5, 1))), TimeExpression(base: .absolute(utc(2024, 6, 1)))))
        #expect(try stageOf("between now-2w and now-1w") ==
                .between(TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: QueryDuration(milliseconds: 14 * DAY))]),
                         TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: week)])))
        #expect(try stageOf("last 10") == .last(10))
    }

    /// Times Tally writes with years outside 0000 to 9999 are read wherever a time is, with their arithmetic.
    @Test func timeRangesWithExpandedYears() throws {
        let day = QueryDuration(milliseconds: DAY)
        #expect(try stageOf("since -0044-03-15") == .since(TimeExpression(base: .absolute(utc(-44, 3, 15)))))
        #expect(try stageOf("until +10000-01-01T00:00:00Z") == .until(TimeExpression(base: .absolute(utc(10000, 1, 1)))))
        #expect(try stageOf("until \"+10000-01-01T00:00:00Z\"") == .until(TimeExpression(base: .absolute(utc(10000, 1, 1)))))
        #expect(try stageOf("between -0044-03-15T12:00:00Z and +275760-09-13T00:00:00Z") ==
                .between(TimeExpression(base: .absolute(utc(-44, 3, 15, 12))), TimeExpression(base: .absolute(utc(275760, 9, 13)))))
        #expect(try stageOf("since +10000-01-01-1d") ==
                .since(TimeExpression(base: .absolute(utc(10000, 1, 1)), adjustments: [.init(subtract: true, duration: day)])))
        #expect(try stageOf("since -0044-03-15 + 1mo") ==
                .since(TimeExpression(base: .absolute(utc(-44, 3, 15)), adjustments: [.init(subtract: false, duration: QueryDuration(months: 1))])))
        // In an extension stage's options an expanded year is one value, as a sign and a number are.
        let q = try Parser.parse("m | forecast 14d from=+10000-01-01T00:00:00Z")
        guard case .external(let e) = q.stages[0].kind else { Issue.record("not external"); return }
        #expect(e.arguments.map(\.value) == ["14d", "+10000-01-01T00:00:00Z"])
        #expect(e.arguments[1].span.start.column == 18 && e.arguments[1].span.end.column == 45)
    }

    /// `+` and `-` before a duration or a number mean what they meant before expanded years (this passes before
    /// and after them).
    @Test func signsStayOperators() throws {
        #expect(try stageOf("since 2024-05-01+12h") ==
                .since(TimeExpression(base: .absolute(utc(2024, 5, 1)), adjustments: [.init(subtract: false, duration: QueryDuration(milliseconds: 12 * HOUR))])))
        #expect(try stageOf("until now - 1mo + 1h") ==
                .until(TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: QueryDuration(months: 1)),
                                                                .init(subtract: false, duration: QueryDuration(milliseconds: HOUR))])))
        #expect(try stageOf("where value > -3") == .whereValue(.greater, -3))
        #expect(try stageOf("where value < +2.5") == .whereValue(.less, 2.5))
        // An extension stage's options: a sign written together with what follows joins it (one token now, a
        // sign and a time before), a spaced one stays apart.
        let q = try Parser.parse("m | anomalies threshold=-3 at=-0044-03-15 - 2 -1d")
        guard case .external(let e) = q.stages[0].kind else { Issue.record("not external"); return }
        #expect(e.arguments.map(\.key) == ["threshold", "at", nil, nil, nil])
        #expect(e.arguments.map(\.value) == ["-3", "-0044-03-15", "-", "2", "-1d"])
        #expect(e.options == "threshold=-3 at=-0044-03-15 - 2 -1d")
        #expect(e.arguments[1].span.start.column == 28 && e.arguments[1].span.end.column == 42)
    }

    @Test func bucket() throws {
        #expect(try stageOf("bucket 1d avg") == .bucket(BucketStage(width: QueryDuration(milliseconds: DAY), aggregate: .avg)))
        #expect(try stageOf("bucket 1mo p95 fill linear") ==
                .bucket(BucketStage(width: QueryDuration(months: 1), aggregate: .percentile(95), fill: .linear)))
        #expect(try stageOf("bucket 1w median fill zero") ==
                .bucket(BucketStage(width: QueryDuration(milliseconds: 7 * DAY), aggregate: .percentile(50), fill: .zero)))
        for mode in FillMode.allCases {
            #expect(try stageOf("bucket 1h count fill \(mode.rawValue)") ==
                    .bucket(BucketStage(width: QueryDuration(milliseconds: HOUR), aggregate: .count, fill: mode)))
        }
        for name in Aggregate.names {
            guard case .bucket(let b) = try stageOf("bucket 1h \(name)") else { Issue.record("not a bucket"); continue }
            #expect(b.aggregate == Aggregate(name: name))
        }
        guard case .bucket(let b) = try stageOf("bucket 1h p99.9") else { Issue.record("not a bucket"); return }
        #expect(b.aggregate == .percentile(99.9))
    }

    @Test func change() throws {
        #expect(try stageOf("change") == .change(ChangeStage(baseline: .previous)))
        #expect(try stageOf("change percent") == .change(ChangeStage(baseline: .previous, percent: true)))
        #expect(try stageOf("change avg last 7") == .change(ChangeStage(baseline: .average(7))))
        #expect(try stageOf("change min last 3") == .change(ChangeStage(baseline: .minimum(3))))
        #expect(try stageOf("change max last 3 percent") == .change(ChangeStage(baseline: .maximum(3), percent: true)))
        #expect(try stageOf("change avg last 7 percent") == .change(ChangeStage(baseline: .average(7), percent: true)))
        #expect(try stageOf("change same day last week") == .change(ChangeStage(baseline: .sameDayLastWeek)))
        #expect(try stageOf("change same day last week percent") == .change(ChangeStage(baseline: .sameDayLastWeek, percent: true)))
    }

    @Test func otherStages() throws {
        #expect(try stageOf("diff") == .diff)
        #expect(try stageOf("rolling 5 avg") == .rolling(window: 5, aggregate: .avg))
        #expect(try stageOf("agg sum") == .agg(.sum, by: nil))
        #expect(try stageOf("agg max by (dataset, column)") == .agg(.max, by: ["dataset", "column"]))
        #expect(try stageOf("agg max by dataset") == .agg(.max, by: ["dataset"]))
        #expect(try stageOf("agg max by ()") == .agg(.max, by: []))
        #expect(try stageOf("latest") == .latest)
        #expect(try stageOf("where value > 5") == .whereValue(.greater, 5))
        #expect(try stageOf("where value <= -2.5") == .whereValue(.lessOrEqual, -2.5))
        #expect(try stageOf("where value != 0") == .whereValue(.notEqual, 0))
        #expect(try stageOf("where value = 1e3") == .whereValue(.equal, 1000))
        #expect(try stageOf("where value < 1") == .whereValue(.less, 1))
        #expect(try stageOf("where value >= 1") == .whereValue(.greaterOrEqual, 1))
        #expect(try stageOf("where value is null") == .whereNull(true))
        #expect(try stageOf("where value is not null") == .whereNull(false))
        #expect(try stageOf("where outcome = \"fail\"") == .whereOutcome(equal: true, .fail))
        #expect(try stageOf("where outcome != pass") == .whereOutcome(equal: false, .pass))
        #expect(try stageOf("where outcome = 'not_evaluated'") == .whereOutcome(equal: true, .notEvaluated))
        #expect(try stageOf("top 3 by max") == .top(3, by: .max))
        #expect(try stageOf("bottom 2 by avg") == .bottom(2, by: .avg))
        #expect(try stageOf("outcomes") == .outcomes(by: nil))
        #expect(try stageOf("outcomes by (dataset)") == .outcomes(by: ["dataset"]))
        #expect(try stageOf("downsample 500") == .downsample(500))
    }

    @Test func externalStagesKeepTheirOptions() throws {
        let q = try Parser.parse("m | anomalies method=seasonal  sensitivity=3 # comment\n | forecast 14d | where anomaly")
        guard case .external(let a) = q.stages[0].kind, case .external(let f) = q.stages[1].kind,
              case .external(let w) = q.stages[2].kind else { Issue.record("not external stages"); return }
        #expect(a.name == "anomalies")
        #expect(a.options == "method=seasonal sensitivity=3")
        #expect(a.arguments.map(\.key) == ["method", "sensitivity"])
        #expect(a.arguments.map(\.value) == ["seasonal", "3"])
        #expect(a.arguments[1].span.start.column == 32)
        #expect(a.optionsSpan?.start.column == 15)
        #expect(f.name == "forecast" && f.options == "14d" && f.arguments == [.init(key: nil, value: "14d", span: f.arguments[0].span)])
        #expect(q.stages[1].span.start.line == 2 && q.stages[1].span.start.column == 4)
        #expect(w.name == "where anomaly" && w.options.isEmpty && w.optionsSpan == nil)
        let n = try Parser.parse("m | anomalies threshold=-3 label=\"a b\"")
        guard case .external(let e) = n.stages[0].kind else { Issue.record("not external"); return }
        #expect(e.arguments.map(\.value) == ["-3", "a b"])
    }

    @Test func stageSpans() throws {
        let q = try Parser.parse("m | bucket 1d avg fill zero | latest")
        #expect(q.stages[0].span.start.column == 5)
        #expect(q.stages[0].span.end.column == 28)
        #expect(q.stages[1].span.start.column == 31)
    }
}

@Suite struct ParseErrorTests {
    /// The error's column, and that its message contains `text`.
    func check(_ query: String, column: Int, line: Int = 1, _ text: String, suggestion: String? = nil,
               sourceLocation: SourceLocation = #_sourceLocation) {
        guard let e = parseError(query) else {
            Issue.record("`\(query)` parsed", sourceLocation: sourceLocation)
            return
        }
        #expect(e.column == column, "\(e)", sourceLocation: sourceLocation)
        #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
        #expect(e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
        if let suggestion { #expect(e.suggestion == suggestion, "\(e)", sourceLocation: sourceLocation) }
    }

    @Test func selectorErrors() {
        check("", column: 1, "expected a metric name or `{`")
        check("| latest", column: 1, "expected a metric name or `{`")
        check("{}", column: 1, "needs a metric name or at least one label matcher")
        check("m{dataset}", column: 10, "expected `=`, `!=`, `=~` or `!~`")
        check("m{dataset=orders}", column: 11, "expected a quoted string", suggestion: "\"orders\"")
        check("m{dataset=\"a\" column=\"b\"}", column: 15, "expected `,` or `}`")
        check("m{=\"a\"}", column: 3, "expected a label name")
        check("m{a=~\"(\"}", column: 6, "invalid regular expression \"(\": missing \")\" for \"(\" at column 1")
        // The query language refuses exactly what storage refuses, with the column in the pattern.
        check("m{a=~\"x(?=y)\"}", column: 6, "invalid regular expression \"x(?=y)\": lookahead \"(?=\" at column 2 is not supported")
        check("m{a!~\"(a)\\\\1\"}", column: 6, "invalid regular expression \"(a)\\\\1\": backreference \"\\1\" at column 4")
        check("m{a=~\"a{1001}\"}", column: 6, "repeat count \"{1001}\" at column 2 is over the limit of 1000")
        check("m{a=\"x\"", column: 8, "expected `,` or `}`")
        check("m n", column: 3, "expected `|` or the end of the query after the selector")
    }

    @Test func stageNameErrors() {
        check("m |", column: 4, "expected a stage name")
        check("m | buckt 1d avg", column: 5, "unknown stage `buckt`", suggestion: "bucket")
        check("m | lates", column: 5, "unknown stage", suggestion: "latest")
        check("m | chnage", column: 5, "unknown stage", suggestion: "change")
        check("m | frobnicate", column: 5, "unknown stage `frobnicate`")
        check("m | filter value > 1", column: 5, "unknown stage", suggestion: "where")
        check("m | resampel 1d avg", column: 5, "unknown stage", suggestion: "bucket")
        #expect(parseError("m | frobnicate")?.suggestion == nil)
        check("m | latest latest", column: 12, "expected `|` or the end of the query after the `latest` stage")
        check("m\n| latest\n| 5", column: 3, line: 3, "expected a stage name")
    }

    @Test func timeErrors() {
        check("m | since", column: 10, "expected a duration such as `7d` or a time")
        check("m | since yesterday", column: 11, "found `yesterday`")
        check("m | until 7d", column: 11, "found the duration `7d`", suggestion: "now-7d")
        check("m | since now-", column: 15, "expected a duration such as `7d` after `-`")
        check("m | since now - 5", column: 17, "expected a duration")
        check("m | since 2024-02-30", column: 19, "day 30 is out of range")
        check("m | since \"2024-02-30\"", column: 20, "day 30 is out of range")
        check("m | between now and", column: 20, "expected a time")
        check("m | between now-1d now", column: 20, "expected `and`")
        check("m | between 2024-06-01 and 2024-05-01", column: 5, "first time to be before the second")
        check("m | last", column: 9, "expected the number of points")
        check("m | last 2.5", column: 10, "whole number")
        check("m | last 0", column: 10, "whole number")
    }

    /// A malformed expanded year is an error at the year, in a literal or in quotes; after a time, a sign is
    /// still an operator, so a time there is an error about the missing duration.
    @Test func expandedYearErrors() {
        check("m | since +999-01-01", column: 11, "year `+999` has too few digits")
        check("m | since \"+999-01-01\"", column: 12, "year `+999` has too few digits")
        check("m | between -44-03-15 and now", column: 13, "write `-0044`")
        check("m | since now+10000-01-01", column: 15, "expected a duration such as `7d` after `+`, found `10000-01-01`")
        check("m | between -0044-03-15 -0043-01-01 and now", column: 26, "expected a duration such as `7d` after `-`")
        check("m | where value > -2024-05-01", column: 19, "expected a number, found `-2024-05-01`")
    }

    /// A time minus a time is the error it was before expanded years, word for word and at the same column (this
    /// passes before and after them).
    @Test func aTimeAfterAnOperatorIsStillAnError() {
        check("m | since now-2024-05-01", column: 15, "expected a duration such as `7d` after `-`, found `2024-05-01`")
        check("m | until 2024-06-01 - 2024-05-01", column: 24, "expected a duration such as `7d` after `-`, found `2024-05-01`")
        check("m | since now-7", column: 15, "expected a duration such as `7d` after `-`, found `7`")
    }

    @Test func bucketErrors() {
        check("m | bucket avg", column: 12, "expected a bucket width")
        check("m | bucket 1d", column: 14, "expected an aggregate")
        check("m | bucket 1d avgg", column: 15, "unknown aggregate `avgg`", suggestion: "avg")
        check("m | bucket 1d mean", column: 15, "unknown aggregate", suggestion: "avg")
        check("m | bucket 1d avrage", column: 15, "unknown aggregate", suggestion: "avg")
        check("m | bucket 1d stdev", column: 15, "unknown aggregate", suggestion: "stddev")
        check("m | bucket 1d p101", column: 15, "percentiles run from p0 to p100")
        check("m | bucket 1d p1e2", column: 15, "unknown aggregate `p1e2`")
        check("m | bucket 1mo1d avg", column: 12, "not both")
        check("m | bucket 0s avg", column: 12, "greater than zero")
        check("m | bucket 1d avg fill", column: 23, "expected a fill mode")
        check("m | bucket 1d avg fill zeros", column: 24, "unknown fill mode", suggestion: "zero")
        check("m | bucket 1d avg fil zero", column: 19, "expected `|` or the end of the query after the `bucket` stage", suggestion: "fill")
    }

    @Test func changeErrors() {
        check("m | change avg 7", column: 16, "expected `last` after `change avg`")
        check("m | change avg last", column: 20, "expected the number of earlier points")
        check("m | change same week", column: 17, "expected `day`")
        check("m | change same day last month", column: 26, "expected `week`")
        check("m | change last 7", column: 12, "`avg last N`")
        check("m | change percnt", column: 12, "`avg last N`", suggestion: "percent")
        check("m | change avg last 3 percnt", column: 23, "after the `change` stage", suggestion: "percent")
    }

    @Test func otherStageErrors() {
        check("m | rolling avg", column: 13, "expected the window size")
        check("m | rolling 3", column: 14, "expected an aggregate")
        check("m | agg", column: 8, "expected an aggregate")
        check("m | agg sum by", column: 15, "expected a label name after `by`")
        check("m | agg sum by (a b)", column: 19, "expected `,` or `)`")
        check("m | agg sum bye (a)", column: 13, "after the `agg` stage", suggestion: "by")
        check("m | where", column: 10, "expected `value`, `outcome` or `anomaly`")
        check("m | where valu > 1", column: 11, "expected `value`, `outcome` or `anomaly`", suggestion: "value")
        check("m | where value", column: 16, "expected a comparison")
        check("m | where value >", column: 18, "expected a number")
        check("m | where value > x", column: 19, "expected a number")
        check("m | where value != null", column: 20, "never true", suggestion: "where value is not null")
        check("m | where value is nul", column: 20, "expected `null`", suggestion: "null")
        check("m | where outcome > 1", column: 19, "expected `=` or `!=`")
        check("m | where outcome = \"failed\"", column: 21, "unknown outcome", suggestion: "fail")
        check("m | where outcome = 3", column: 21, "expected an outcome")
        check("m | top by max", column: 9, "expected the number of series")
        check("m | top 3 max", column: 11, "expected `by`")
        check("m | bottom 3 by", column: 16, "expected an aggregate")
        check("m | downsample", column: 15, "expected the maximum number of points")
        check("m | downsample 1", column: 5, "at least 2 points")
        check("m | outcomes by", column: 16, "expected a label name")
    }

    @Test func renderShowsLineAndCaret() {
        let query = "row_count{dataset=\"orders\"}\n  | buckt 1d avg"
        guard let e = parseError(query) else { Issue.record("parsed"); return }
        #expect(e.render(query: query) == """
            query error at 2:5: unknown stage `buckt`; did you mean `bucket`?
              | buckt 1d avg
                ^
            """)
        let tabbed = "m\t| bucket 1d avgg"
        guard let t = parseError(tabbed) else { Issue.record("parsed"); return }
        #expect(t.render(query: tabbed) == "query error at 1:15: unknown aggregate `avgg`; expected one of avg, min, max, sum, count, first, last, median, p50, p90, p95, p99, stddev, or pNN; did you mean `avg`?\nm\t| bucket 1d avgg\n \t            ^")
        let atEnd = "m | since"
        #expect(parseError(atEnd)?.render(query: atEnd).hasSuffix("m | since\n         ^") == true)
        // The caret counts terminal columns: a wide character takes two, a combining mark none (the error's column
        // still counts characters).
        let wide = "row_count{dataset=\"日本\"} | buckt 1d"
        #expect(parseError(wide)?.render(query: wide).hasSuffix("\(wide)\n" + String(repeating: " ", count: 28) + "^") == true,
                "\(parseError(wide)?.render(query: wide) ?? "parsed")")
        let combining = "m{l=\"e\u{301}\u{301}\"} | buckt 1d"
        #expect(parseError(combining)?.render(query: combining).hasSuffix("\n" + String(repeating: " ", count: 11) + "^") == true,
                "\(parseError(combining)?.render(query: combining) ?? "parsed")")
    }

    @Test func editDistance() {
        #expect(Suggestions.editDistance("buckt", "bucket") == 1)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
        #expect(Suggestions.editDistance("", "abc") == 3)
        #expect(Suggestions.nearest(to: "avrg", in: Aggregate.names) == "avg")
        #expect(Suggestions.nearest(to: "zzzzzz", in: Aggregate.names) == nil)
    }
}
