import TallyStorage

/// Reads query text into a `Query`.
///
/// ```
/// query     = selector { "|" stage }
/// selector  = [metric] [ "{" matcher { "," matcher } [","] "}" ]      -- at least one of the two
/// matcher   = label ( "=" | "!=" | "=~" | "!~" ) string
/// ```
/// The stages are listed in docs/query-language.md.
public struct Parser {
    private var tokens: [Token]
    private var index = 0
    private var lastEnd: SourcePosition
    private let source: String
    /// How "found …" names the end of the text: a query's, or (for a time on its own) the time's.
    private var endOfText = "the end of the query"

    /// The stage names, for messages and suggestions.
    public static let stageNames = ["since", "until", "between", "last", "bucket", "change", "diff", "rolling", "agg",
                                    "latest", "where", "top", "bottom", "outcomes", "downsample", "anomalies",
                                    "forecast"]

    private init(_ text: String, context: Lexer.Context = .query) throws(QueryError) {
        tokens = try Lexer.tokenize(text, context: context)
        lastEnd = tokens[0].span.start
        source = text
    }

    /// Parses a whole query.
    ///
    /// - Throws: `QueryError` with the line and column of the first problem and what was expected there.
    public static func parse(_ text: String) throws(QueryError) -> Query {
        var parser = try Parser(text)
        return try parser.query()
    }

    /// Parses a time expression on its own: `now`, `now-7d`, `2024-05-01`, `2024-05-01T06:00:00+02:00 - 1mo`.
    ///
    /// Useful for command-line options such as `--now`.
    public static func parseTime(_ text: String) throws(QueryError) -> TimeExpression {
        var parser = try Parser(text, context: .time)
        parser.endOfText = "the end of the time"
        let t = try parser.timeExpression(after: nil)
        try parser.expectEnd(after: "the time")
        return t
    }

    // MARK: - Token helpers

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        lastEnd = t.span.end
        return t
    }

    private func error(_ message: String, at token: Token, suggestion: String? = nil) -> QueryError {
        QueryError(.syntax, message, at: token.span, suggestion: suggestion)
    }

    private func expected(_ what: String, suggestion: String? = nil) -> QueryError {
        error("expected \(what), found \(found)", at: current, suggestion: suggestion)
    }

    /// The current token as "found …" names it.
    private var found: String {
        if case .end = current.kind { return endOfText }
        return current.described
    }

    private var currentIdentifier: String? {
        if case .identifier(let s) = current.kind { return s }
        return nil
    }

    private mutating func keyword(_ word: String, _ what: String) throws(QueryError) {
        guard currentIdentifier == word else {
            let found = currentIdentifier.flatMap { Suggestions.nearest(to: $0, in: [word]) }
            throw expected(what, suggestion: found)
        }
        _ = advance()
    }

    private mutating func expectEnd(after what: String) throws(QueryError) {
        guard case .end = current.kind else { throw expected("the end of the query after \(what)") }
    }

    private func span(from start: SourcePosition) -> SourceSpan { SourceSpan(start: start, end: lastEnd) }

    // MARK: - Query and selector

    private mutating func query() throws(QueryError) -> Query {
        let (selector, selectorSpan) = try self.selector()
        var stages: [Stage] = []
        while true {
            if case .end = current.kind { break }
            guard case .pipe = current.kind else {
                let after = stages.isEmpty ? "the selector" : "the `\(stageName(stages.last!))` stage"
                let suggestion = currentIdentifier.flatMap { word in
                    stages.last.flatMap { Suggestions.nearest(to: word, in: optionalWords(after: $0)) }
                }
                throw expected("`|` or the end of the query after \(after)", suggestion: suggestion)
            }
            _ = advance()
            stages.append(try stage())
        }
        return Query(selector: selector, selectorSpan: selectorSpan, stages: stages, source: source)
    }

    private func stageName(_ stage: Stage) -> String {
        switch stage.kind {
        case .since: return "since"
        case .until: return "until"
        case .between: return "between"
        case .last: return "last"
        case .bucket: return "bucket"
        case .change: return "change"
        case .diff: return "diff"
        case .rolling: return "rolling"
        case .agg: return "agg"
        case .latest: return "latest"
        case .whereValue, .whereNull, .whereOutcome: return "where"
        case .top: return "top"
        case .bottom: return "bottom"
        case .outcomes: return "outcomes"
        case .downsample: return "downsample"
        case .external(let e): return e.name
        }
    }

    /// Words that may follow a complete stage, for suggestions on typos (`fil` → `fill`).
    private func optionalWords(after stage: Stage) -> [String] {
        switch stage.kind {
        case .bucket(let b): return b.fill == nil ? ["fill"] : []
        case .change(let c): return c.percent ? [] : ["percent"]
        case .agg(_, let by), .outcomes(let by): return by == nil ? ["by"] : []
        default: return []
        }
    }

    private mutating func selector() throws(QueryError) -> (SelectorExpression, SourceSpan) {
        let start = current.span.start
        var metric: String?
        if let name = currentIdentifier {
            metric = name
            _ = advance()
        }
        var matchers: [MatcherExpression] = []
        if case .leftBrace = current.kind {
            let brace = advance()
            while true {
                if case .rightBrace = current.kind { break }
                matchers.append(try matcher())
                if case .comma = current.kind { _ = advance(); continue }
                guard case .rightBrace = current.kind else { throw expected("`,` or `}` after the label matcher") }
            }
            _ = advance()
            if metric == nil && matchers.isEmpty {
                throw error("a selector needs a metric name or at least one label matcher", at: brace)
            }
        } else if metric == nil {
            throw expected("a metric name or `{` to start the selector")
        }
        return (SelectorExpression(metric: metric, matchers: matchers), span(from: start))
    }

    private mutating func matcher() throws(QueryError) -> MatcherExpression {
        guard let name = currentIdentifier else { throw expected("a label name") }
        let start = advance().span.start
        let op: MatcherExpression.Operator
        switch current.kind {
        case .equal: op = .equal
        case .notEqual: op = .notEqual
        case .regexMatch: op = .regexMatch
        case .regexNotMatch: op = .regexNotMatch
        default: throw expected("`=`, `!=`, `=~` or `!~` after the label name")
        }
        _ = advance()
        guard case .string(let value) = current.kind else {
            if case .identifier(let word) = current.kind {
                throw error("expected a quoted string after `\(op.rawValue)`, found `\(word)`; label values are quoted",
                            at: current, suggestion: "\"\(word)\"")
            }
            throw expected("a quoted string after `\(op.rawValue)`")
        }
        let valueToken = current
        _ = advance()
        let matcher = MatcherExpression(name, op, value, span: span(from: start))
        if let error = matcher.patternError {
            throw QueryError(.invalid, error.describing(pattern: value), at: valueToken.span)
        }
        return matcher
    }

    // MARK: - Stages

    private mutating func stage() throws(QueryError) -> Stage {
        guard let name = currentIdentifier else { throw expected("a stage name after `|`") }
        let keywordToken = advance()
        let start = keywordToken.span.start
        let kind: StageKind
        switch name {
        case "since":
            if case .duration(let d) = current.kind {
                _ = advance()
                kind = .since(TimeExpression(base: .now, adjustments: [.init(subtract: true, duration: d)]))
            } else {
                kind = .since(try timeExpression(after: "`since`", allowDuration: true))
            }
        case "until":
            kind = .until(try timeExpression(after: "`until`"))
        case "between":
            let from = try timeExpression(after: "`between`")
            try keyword("and", "`and` between the two times")
            let to = try timeExpression(after: "`and`")
            if case .absolute = from.base, case .absolute = to.base, from.adjustments.isEmpty, to.adjustments.isEmpty,
               from.resolve(now: 0) >= to.resolve(now: 0) {
                throw QueryError(.invalid, "`between` needs the first time to be before the second", at: span(from: start))
            }
            kind = .between(from, to)
        case "last":
            kind = .last(try count("the number of points after `last`"))
        case "bucket":
            kind = .bucket(try bucket())
        case "change":
            kind = .change(try change())
        case "diff":
            kind = .diff
        case "rolling":
            let n = try count("the window size (a number of points) after `rolling`")
            kind = .rolling(window: n, aggregate: try aggregate())
        case "agg":
            let a = try aggregate()
            kind = .agg(a, by: try groupBy())
        case "latest":
            kind = .latest
        case "where":
            kind = try whereStage(start: start)
        case "top", "bottom":
            let n = try count("the number of series after `\(name)`")
            try keyword("by", "`by` after the number of series")
            let a = try aggregate()
            kind = name == "top" ? .top(n, by: a) : .bottom(n, by: a)
        case "outcomes":
            let by = try groupBy()
            // The stage adds `outcome` to every group: grouping by it too made two series with one key.
            if by?.contains("outcome") == true {
                throw QueryError(.invalid, "`outcomes by (outcome)`: outcome is the label the stage adds to each group; "
                                 + "group by other labels", at: span(from: start))
            }
            kind = .outcomes(by: by)
        case "downsample":
            let n = try count("the maximum number of points after `downsample`")
            guard n >= 2 else {
                throw QueryError(.invalid, "`downsample` keeps at least 2 points (the first and the last)", at: span(from: start))
            }
            kind = .downsample(n)
        case "anomalies", "forecast":
            kind = .external(externalStage(name))
        default:
            throw error("unknown stage `\(name)`", at: keywordToken,
                        suggestion: Suggestions.nearest(to: name, in: Self.stageNames, aliases: Suggestions.stageAliases))
        }
        return Stage(kind, span: span(from: start))
    }

    /// A whole number of at least 1.
    private mutating func count(_ what: String) throws(QueryError) -> Int {
        guard case .number(let v) = current.kind, current.text.unicodeScalars.allSatisfy({ QueryDuration.digitValue($0) != nil }),
              v >= 1, v <= Double(StageKind.maxCount) else {
            if case .number = current.kind {
                throw error("expected \(what): a whole number from 1 to \(StageKind.maxCount), found \(found)", at: current)
            }
            throw expected(what)
        }
        _ = advance()
        return Int(v)
    }

    private mutating func aggregate() throws(QueryError) -> Aggregate {
        let list = Aggregate.names.joined(separator: ", ")
        guard let name = currentIdentifier else { throw expected("an aggregate (\(list))") }
        guard let a = Aggregate(name: name) else {
            if let p = Aggregate.percentile(named: name), p > 100 {
                throw error("percentile `\(name)` is out of range: percentiles run from p0 to p100 (p99.9 works too)", at: current)
            }
            throw error("unknown aggregate `\(name)`; expected one of \(list), or pNN", at: current,
                        suggestion: Suggestions.nearest(to: name, in: Aggregate.names, aliases: Suggestions.aggregateAliases))
        }
        _ = advance()
        return a
    }

    /// `[by (label, ...)]` or `[by label, ...]`.
    private mutating func groupBy() throws(QueryError) -> [String]? {
        guard currentIdentifier == "by" else { return nil }
        _ = advance()
        var labels: [String] = []
        let parenthesized: Bool
        if case .leftParen = current.kind { _ = advance(); parenthesized = true } else { parenthesized = false }
        while true {
            if parenthesized, case .rightParen = current.kind, labels.isEmpty { break }
            guard let label = currentIdentifier else { throw expected("a label name after `by`") }
            _ = advance()
            labels.append(label)
            if case .comma = current.kind { _ = advance(); continue }
            break
        }
        if parenthesized {
            guard case .rightParen = current.kind else { throw expected("`,` or `)` after the label name") }
            _ = advance()
        }
        return labels
    }

    private mutating func bucket() throws(QueryError) -> BucketStage {
        guard case .duration(let width) = current.kind else {
            throw expected("a bucket width such as `1h`, `1d`, `1w` or `1mo` after `bucket`")
        }
        let widthToken = advance()
        guard Bucketing(width: width) != nil else {
            let message = width.isZero ? "a bucket width must be greater than zero"
                : "a bucket width is either calendar months/years (`1mo`, `1y`) or a fixed length (`1d`), not both"
            throw QueryError(.invalid, message, at: widthToken.span)
        }
        let aggregate = try aggregate()
        var fill: FillMode?
        if currentIdentifier == "fill" {
            _ = advance()
            let modes = FillMode.allCases.map(\.rawValue)
            guard let word = currentIdentifier else { throw expected("a fill mode (zero, previous, linear, null) after `fill`") }
            guard let mode = FillMode(rawValue: word) else {
                throw error("unknown fill mode `\(word)`; expected one of zero, previous, linear, null", at: current,
                            suggestion: Suggestions.nearest(to: word, in: modes))
            }
            _ = advance()
            fill = mode
        }
        return BucketStage(width: width, aggregate: aggregate, fill: fill)
    }

    private mutating func change() throws(QueryError) -> ChangeStage {
        var baseline = ChangeStage.Baseline.previous
        switch currentIdentifier {
        case "avg", "min", "max":
            let word = advance().text
            try keyword("last", "`last` after `change \(word)`")
            let n = try count("the number of earlier points after `last`")
            baseline = word == "avg" ? .average(n) : word == "min" ? .minimum(n) : .maximum(n)
        case "same":
            _ = advance()
            try keyword("day", "`day` in `change same day last week`")
            try keyword("last", "`last` in `change same day last week`")
            try keyword("week", "`week` in `change same day last week`")
            baseline = .sameDayLastWeek
        default:
            break
        }
        var percent = false
        if currentIdentifier == "percent" {
            _ = advance()
            percent = true
        }
        if baseline == .previous, !percent, let word = currentIdentifier {
            throw expected("`avg last N`, `min last N`, `max last N`, `same day last week`, `percent`, `|` or the end of the query after `change`",
                           suggestion: Suggestions.nearest(to: word, in: ["avg", "min", "max", "same", "percent"]))
        }
        return ChangeStage(baseline: baseline, percent: percent)
    }

    private mutating func whereStage(start: SourcePosition) throws(QueryError) -> StageKind {
        guard let subject = currentIdentifier else { throw expected("`value`, `outcome` or `anomaly` after `where`") }
        let subjectToken = advance()
        switch subject {
        case "value":
            if currentIdentifier == "is" {
                _ = advance()
                var isNull = true
                if currentIdentifier == "not" { _ = advance(); isNull = false }
                try keyword("null", "`null` after `is`")
                return .whereNull(isNull)
            }
            let op: Comparison
            switch current.kind {
            case .less: op = .less
            case .lessOrEqual: op = .lessOrEqual
            case .greater: op = .greater
            case .greaterOrEqual: op = .greaterOrEqual
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            default: throw expected("a comparison (`<`, `<=`, `>`, `>=`, `=`, `!=`) or `is null` after `where value`")
            }
            _ = advance()
            if currentIdentifier == "null" {
                throw error("a comparison with null is never true; use `where value is null` or `where value is not null`",
                            at: current, suggestion: op == .notEqual ? "where value is not null" : "where value is null")
            }
            return .whereValue(op, try signedNumber())
        case "outcome":
            let equal: Bool
            switch current.kind {
            case .equal: equal = true
            case .notEqual: equal = false
            default: throw expected("`=` or `!=` after `where outcome`")
            }
            _ = advance()
            let names = CheckOutcome.allCases.map(\.name)
            let word: String
            switch current.kind {
            case .string(let s), .identifier(let s): word = s
            default: throw expected("an outcome (\(names.joined(separator: ", ")))")
            }
            guard let outcome = CheckOutcome(name: word) else {
                throw error("unknown outcome `\(word)`; expected one of \(names.joined(separator: ", "))", at: current,
                            suggestion: Suggestions.nearest(to: word, in: names))
            }
            _ = advance()
            return .whereOutcome(equal: equal, outcome)
        case "anomaly":
            var stage = externalStage("where anomaly")
            stage.name = "where anomaly"
            return .external(stage)
        default:
            throw error("expected `value`, `outcome` or `anomaly` after `where`, found `\(subject)`", at: subjectToken,
                        suggestion: Suggestions.nearest(to: subject, in: ["value", "outcome", "anomaly"]))
        }
    }

    private mutating func signedNumber() throws(QueryError) -> Double {
        var sign = 1.0
        if case .minus = current.kind { _ = advance(); sign = -1 } else if case .plus = current.kind { _ = advance() }
        guard case .number(let v) = current.kind else { throw expected("a number") }
        _ = advance()
        return sign * v
    }

    /// Collects the tokens up to the next `|` as the options of an extension stage.
    private mutating func externalStage(_ name: String) -> ExternalStage {
        var text = ""
        var optionTokens: [Token] = []
        while true {
            switch current.kind {
            case .pipe, .end: break
            default:
                let t = advance()
                if !optionTokens.isEmpty && t.spaceBefore { text += " " }
                text += t.text
                optionTokens.append(t)
                continue
            }
            break
        }
        var arguments: [ExternalStage.Argument] = []
        var k = 0
        func value(_ t: Token) -> String {
            if case .string(let s) = t.kind { return s }
            return t.text
        }
        /// A value token, joining a sign written right before a number or duration (`-3`).
        func valueAt(_ k: inout Int) -> (String, SourceSpan) {
            let t = optionTokens[k]
            if (t.kind == .minus || t.kind == .plus), k + 1 < optionTokens.count, !optionTokens[k + 1].spaceBefore {
                let n = optionTokens[k + 1]
                k += 2
                return (t.text + n.text, t.span.merged(with: n.span))
            }
            k += 1
            return (value(t), t.span)
        }
        while k < optionTokens.count {
            let t = optionTokens[k]
            if case .identifier(let key) = t.kind, k + 2 < optionTokens.count, optionTokens[k + 1].kind == .equal {
                k += 2
                let (v, vSpan) = valueAt(&k)
                arguments.append(.init(key: key, value: v, span: t.span.merged(with: vSpan)))
            } else {
                let (v, vSpan) = valueAt(&k)
                arguments.append(.init(key: nil, value: v, span: vSpan))
            }
        }
        let optionsSpan = optionTokens.isEmpty ? nil
            : optionTokens.first!.span.merged(with: optionTokens.last!.span)
        return ExternalStage(name: name, options: text, optionsSpan: optionsSpan, arguments: arguments)
    }

    // MARK: - Times

    /// `now`, a time literal or a quoted time, followed by any number of `+ DURATION` / `- DURATION`.
    /// - Parameter what: The word the expression follows, for messages (nil when the text is only a time).
    private mutating func timeExpression(after what: String?, allowDuration: Bool = false) throws(QueryError) -> TimeExpression {
        let place = what.map { " after \($0)" } ?? ""
        let expectation = allowDuration
            ? "a duration such as `7d` or a time such as `now-7d` or `2024-05-01`\(place)"
            : "a time such as `now`, `now-7d` or `2024-05-01`\(place)"
        var expression: TimeExpression
        switch current.kind {
        case .identifier("now"):
            expression = TimeExpression(base: .now)
        case .time(let t):
            expression = TimeExpression(base: .absolute(t))
        case .string(let s):
            do {
                expression = TimeExpression(base: .absolute(try TimeLiteral.parse(s)))
            } catch {
                // Point into the string: the literal starts one column after the quote.
                var e = error
                if let inner = e.span {
                    let start = current.span.start
                    let column = start.column + inner.start.column
                    let position = SourcePosition(offset: start.offset + inner.start.column, line: start.line, column: column)
                    e.span = SourceSpan(start: position, end: SourcePosition(offset: position.offset + 1, line: start.line, column: column + 1))
                }
                throw e
            }
        case .duration:
            throw error("expected \(expectation), found the duration `\(current.text)`", at: current,
                        suggestion: "now-\(current.text)")
        case .identifier(let word):
            throw error("expected \(expectation), found `\(word)`", at: current,
                        suggestion: Suggestions.nearest(to: word, in: ["now"]))
        case .number where index + 1 < tokens.count:
            // `since 2 days`: a number and a unit apart.
            if case .identifier(let word) = tokens[index + 1].kind, let unit = QueryDuration.unit(spelled: word),
               current.text.unicodeScalars.allSatisfy({ QueryDuration.digitValue($0) != nil }) {
                throw error("expected \(expectation), found `\(current.text) \(word)`: a duration is written `\(current.text)\(unit)`",
                            at: current)
            }
            throw expected(expectation)
        default:
            throw expected(expectation)
        }
        _ = advance()
        while true {
            let subtract: Bool
            switch current.kind {
            case .minus: subtract = true
            case .plus: subtract = false
            case .time where current.text.hasPrefix("-") || current.text.hasPrefix("+"):
                // `now-2024-05-01`: the lexer read the sign of a year, but after a time a sign is an operator, and
                // a time is no duration. The error is the one `now - 2024-05-01` gets, at the time after the sign.
                var span = current.span
                span.start = SourcePosition(offset: span.start.offset + 1, line: span.start.line,
                                            column: span.start.column + 1)
                throw QueryError(.syntax, "expected a duration such as `7d` after `\(current.text.prefix(1))`, "
                                 + "found `\(current.text.dropFirst())`", at: span)
            default: return expression
            }
            _ = advance()
            guard case .duration(let d) = current.kind else {
                throw expected("a duration such as `7d` after `\(subtract ? "-" : "+")`")
            }
            _ = advance()
            expression.adjustments.append(.init(subtract: subtract, duration: d))
        }
    }
}
