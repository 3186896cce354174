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

    @Test func timeLiterals() throws {
        #expect(try kinds("2024-05-01 2024-05-01T06:00:00Z") == [.time(utc(2024, 5, 1)), .time(utc(2024, 5, 1, 6)), .end])
        // a minus after a time is an operator, not an offset
        #expect(try kinds("2024-05-01T06:00:00Z-7d") == [.time(utc(2024, 5, 1, 6)), .minus,
                                                          .duration(QueryDuration(milliseconds: 7 * DAY)), .end])
        #expect(try kinds("2024-05-01T06:00-07:00") == [.time(utc(2024, 5, 1, 13)), .end])
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
        #expect(err("since 1.5h")?.message.contains("whole numbers") == true)
        #expect(err("2024-13-01")?.column == 6)
        #expect(err("\n  2024-02-30")?.line == 2)
        #expect(err("\n  2024-02-30")?.column == 11)
    }
}
