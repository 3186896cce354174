import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct LexerTests {
    func kinds(_ text: String) throws -> [TokenKind] {
        try Lexer.tokenize(text).map(\.kind)
    }

    @Test func punctuationAndOperators() throws {
        #expect(try kinds("| { } ( ) , = == != =~ !~ < <= > >= + -") == [
            .pipe, .leftBrace, .rightBrace, .leftParen, .rightParen, .comma, .equal, .equal, .notEqual,
            .regexMatch, .regexNotMatch, .less, .lessOrEqual, .greater, .greaterOrEqual, .plus, .minus, .end,
        ])
    }

    @Test func identifiersAllowDotsAndUnderscores() throws {
        #expect(try kinds("_a.b_c9 p99.9") == [.identifier("_a.b_c9"), .identifier("p99.9"), .end])
    }

    @Test func numbersAndDurations() throws {
        #expect(try kinds("7 2.5 .5 1e3 2E-2") == [.number(7), .number(2.5), .number(0.5), .number(1000), .number(0.02), .end])
        #expect(try kinds("90m 1mo 2w 1h30m 15ms 1y") == [
            .duration(QueryDuration(milliseconds: 90 * 60_000)), .duration(QueryDuration(months: 1)),
            .duration(QueryDuration(milliseconds: 14 * DAY)),
            .duration(QueryDuration(milliseconds: 90 * 60_000)), .duration(QueryDuration(milliseconds: 15)),
            .duration(QueryDuration(months: 12)), .end,
        ])
    }

    /// `500p` is a point count (stage options: `training=500p`), not a duration with an unknown unit; `5pm` and
    /// `p99` stay what they were.
    @Test func pointCounts() throws {
        #expect(try kinds("training=500p refractory=100p") == [
            .identifier("training"), .equal, .pointCount(500), .identifier("refractory"), .equal, .pointCount(100), .end,
        ])
        #expect(try kinds("p99 p99.9") == [.identifier("p99"), .identifier("p99.9"), .end])
        #expect(throws: QueryError.self) { try kinds("5pm") }
        let huge = #expect(throws: QueryError.self) { try kinds("99999999999999999999p") }
        #expect(huge?.message == "point count `99999999999999999999p` is too large: at most 9223372036854775807p")
    }

    @Test func timeLiterals() throws {
        #expect(try kinds("2024-05-01 2024-05-01T06:00:00Z") == [.time(utc(2024, 5, 1)), .time(utc(2024, 5, 1, 6)), .end])
        // a minus after a time is an operator, not an offset
        #expect(try kinds("2024-05-01T06:00:00Z-7d") == [.time(utc(2024, 5, 1, 6)), .minus,
                                                          .duration(QueryDuration(milliseconds: 7 * DAY)), .end])
        #expect(try kinds("2024-05-01T06:00-07:00") == [.time(utc(2024, 5, 1, 13)), .end])
    }

    /// A sign directly before digits, a dash and a digit is a year's: the whole is one time token.
    @Test func expandedYearsAreTimeLiterals() throws {
        let tokens = try Lexer.tokenize("m | between -0044-03-15T12:00:00Z and +275760-09-13T00:00:00Z")
        #expect(tokens.map(\.kind) == [.identifier("m"), .pipe, .identifier("between"), .time(utc(-44, 3, 15, 12)),
                                        .identifier("and"), .time(utc(275760, 9, 13)), .end])
        #expect(tokens[3].text == "-0044-03-15T12:00:00Z")
        #expect(tokens[3].span.start.column == 13 && tokens[3].span.end.column == 34)
        #expect(tokens[5].text == "+275760-09-13T00:00:00Z")
        #expect(tokens[5].span.start.column == 39)
        #expect(try kinds("+292278994-08-17T07:12:55.807Z -292275055-05-16T16:47:04.192Z -0001-12-31") == [
            .time(Int64.max), .time(Int64.min), .time(utc(0, 1, 1) - DAY), .end,
        ])
        // Written together after `(` or `,` or `=`, and with an offset.
        #expect(try kinds("(+10000-01-01,-0044-03-15)") == [.leftParen, .time(utc(10000, 1, 1)), .comma,
                                                            .time(utc(-44, 3, 15)), .rightParen, .end])
        #expect(try kinds("x=-0044-03-15T12:00+01:00") == [.identifier("x"), .equal, .time(utc(-44, 3, 15, 11)), .end])
        #expect(try kinds("-0044-03-15T06:00-0530") == [.time(utc(-44, 3, 15, 11, 30)), .end])
        // A time followed by arithmetic: the sign before the duration is an operator.
        #expect(try kinds("+10000-01-01-1d") == [.time(utc(10000, 1, 1)), .minus,
                                                 .duration(QueryDuration(milliseconds: DAY)), .end])
    }

    /// Before a duration or a number, `+` and `-` are operators as they always were (this passes before and after
    /// expanded years).
    @Test func signsBeforeDurationsAndNumbersStayOperators() throws {
        let day = TokenKind.duration(QueryDuration(milliseconds: DAY))
        #expect(try kinds("now-7d") == [.identifier("now"), .minus, .duration(QueryDuration(milliseconds: 7 * DAY)), .end])
        #expect(try kinds("now - 1mo + 1h") == [.identifier("now"), .minus, .duration(QueryDuration(months: 1)), .plus,
                                                .duration(QueryDuration(milliseconds: HOUR)), .end])
        #expect(try kinds("2024-05-01+1d") == [.time(utc(2024, 5, 1)), .plus, day, .end])
        #expect(try kinds("2024-05-01T06:00:00Z-1d") == [.time(utc(2024, 5, 1, 6)), .minus, day, .end])
        #expect(try kinds("2024-05-01T06:00-1d") == [.time(utc(2024, 5, 1, 6)), .minus, day, .end])
        #expect(try kinds("-3 +2.5 -.5 -1e-3 - 2024-05-01 -x") == [
            .minus, .number(3), .plus, .number(2.5), .minus, .number(0.5), .minus, .number(0.001),
            .minus, .time(utc(2024, 5, 1)), .minus, .identifier("x"), .end,
        ])
        // A UTC offset stays part of its time.
        #expect(try kinds("2024-05-01T06:00-0530 2024-05-01T06:00+02:00") == [
            .time(utc(2024, 5, 1, 11, 30)), .time(utc(2024, 5, 1, 4)), .end,
        ])
    }

    /// A malformed expanded year is an error at its sign, on the line it is on.
    @Test func malformedExpandedYearsAreErrorsAtTheYear() {
        func err(_ s: String) -> QueryError? {
            do { _ = try Lexer.tokenize(s); return nil } catch { return error }
        }
        #expect(err("m | since +999-01-01")?.column == 11)
        #expect(err("m | since +999-01-01")?.message.hasPrefix("year `+999` has too few digits") == true)
        #expect(err("m | since +2024-05-01")?.message.contains("write `2024`") == true)
        #expect(err("m\n  | since -44-03-15")?.line == 2)
        #expect(err("m\n  | since -44-03-15")?.column == 11)
        #expect(err("m\n  | since -44-03-15")?.message.contains("write `-0044`") == true)
        #expect(err("m | since +010000-01-01")?.message.contains("leading zero") == true)
        #expect(err("m | since -0000-01-01")?.message == "year `-0000` is written `0000`, without a sign")
        #expect(err("m | since +10000-02-30")?.column == 21)
        #expect(err("m | since +10000-02-30")?.message.hasPrefix("day 30 is out of range for +10000-02") == true)
        #expect(err("m | until +292278994-08-17T07:12:55.808Z")?.column == 11)
        #expect(err("m | until +292278994-08-17T07:12:55.808Z")?.message.hasPrefix("the time is out of range") == true)
    }

    @Test func stringsAndEscapes() throws {
        #expect(try kinds(#""a\"b\\c\nd\te" 'it\'s'"#) == [.string("a\"b\\c\nd\te"), .string("it's"), .end])
    }

    @Test func commentsAndPositions() throws {
        let tokens = try Lexer.tokenize("a # comment | b\n  | c")
        #expect(tokens.map(\.kind) == [.identifier("a"), .pipe, .identifier("c"), .end])
        #expect(tokens[1].span.start == SourcePosition(offset: 18, line: 2, column: 3))
        #expect(tokens[2].span.start.line == 2 && tokens[2].span.start.column == 5)
    }

    @Test func errorsCarryPositions() {
        func err(_ s: String) -> QueryError? {
            do { _ = try Lexer.tokenize(s); return nil } catch { return error }
        }
        #expect(err("a @")?.column == 3)
        #expect(err("a ! b")?.column == 3)
        #expect(err("x \"abc")?.message.contains("unterminated string") == true)
        #expect(err("x \"abc")?.column == 3)
        #expect(err(#"x "a\qb""#)?.column == 5)
        #expect(err("since 7x")?.column == 8)
        #expect(err("since 7x")?.message.contains("unknown duration unit `x`") == true)
        #expect(err("since 1.5h")?.message.contains("whole numbers; write `90m` for 1.5h") == true)
        #expect(err("since 1.5d")?.message.contains("write `36h` for 1.5d") == true)
        #expect(err("since 1.5y")?.message.contains("write `18mo` for 1.5y") == true)
        #expect(err("since 2.5mo")?.message.contains("months have no fixed length") == true)
        #expect(err("since 1.1ms")?.message.contains("a millisecond is the smallest unit") == true)
        #expect(err("since 7D")?.message.contains("(units are lowercase: `d`)") == true)
        // A whole number written with an exponent is not a fraction: the message says what to write instead.
        #expect(err("since 5e2d")?.message.hasPrefix("durations are written without an exponent") == true)
        #expect(err("since 5e2d")?.column == 8)
        #expect(err("since 1e309d")?.message.contains("without an exponent") == true)
        #expect(err("where value > 5e2")?.message == nil)
        #expect(err("2024-13-01")?.column == 6)
        #expect(err("\n  2024-02-30")?.line == 2)
        #expect(err("\n  2024-02-30")?.column == 11)
    }
}
