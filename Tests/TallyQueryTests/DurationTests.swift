import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct DurationTests {
    @Test func units() throws {
        #expect(try QueryDuration(parsing: "15ms").milliseconds == 15)
        #expect(try QueryDuration(parsing: "30s").milliseconds == 30_000)
        #expect(try QueryDuration(parsing: "90m").milliseconds == 90 * 60 * 1000)
        #expect(try QueryDuration(parsing: "36h").milliseconds == 36 * 3600 * 1000)
        #expect(try QueryDuration(parsing: "30d").milliseconds == 30 * 86_400_000)
        #expect(try QueryDuration(parsing: "2w").milliseconds == 14 * 86_400_000)
        #expect(try QueryDuration(parsing: "3mo") == QueryDuration(months: 3))
        #expect(try QueryDuration(parsing: "2y") == QueryDuration(months: 24))
        #expect(try QueryDuration(parsing: "1h30m").milliseconds == 5_400_000)
        #expect(try QueryDuration(parsing: "1y6mo") == QueryDuration(months: 18))
    }

    @Test func description() throws {
        #expect(try QueryDuration(parsing: "90m").description == "1h30m")
        #expect(try QueryDuration(parsing: "14mo").description == "1y2mo")
        #expect(QueryDuration().description == "0s")
    }

    @Test func errors() {
        #expect(throws: QueryError.self) { try QueryDuration(parsing: "5") }
        #expect(throws: QueryError.self) { try QueryDuration(parsing: "5min") }
        #expect(throws: QueryError.self) { try QueryDuration(parsing: "d") }
        #expect(throws: QueryError.self) { try QueryDuration(parsing: "99999999999y") }
        do {
            _ = try QueryDuration(parsing: "10q")
            Issue.record("expected an error")
        } catch {
            #expect(error.column == 3)
        }
    }

    /// Adding to or subtracting from a time near the ends of `Int64` milliseconds (which a literal such as
    /// `+292278994-08-17T07:12:55.807Z` can now name) stops at the end instead of trapping or wrapping around.
    @Test func arithmeticPastTheRangeStopsAtItsEnds() throws {
        let month = QueryDuration(months: 1), day = QueryDuration(milliseconds: DAY)
        #expect(month.added(to: .max) == .max)
        #expect(month.subtracted(from: .min) == .min)
        #expect(day.added(to: .max - 1) == .max)
        #expect(day.subtracted(from: .min + 1) == .min)
        #expect(QueryDuration(months: 12, milliseconds: DAY).added(to: .max - DAY) == .max)
        #expect(day.added(to: .max - DAY) == .max)   // exactly at the end
        #expect(try Parser.parseTime("+292278994-08-17T07:12:55.807Z + 1mo").resolve(now: 0) == .max)
        #expect(try Parser.parseTime("-292275055-05-16T16:47:04.192Z - 1y").resolve(now: 0) == .min)
        #expect(try Parser.parseTime("now + 10000y").resolve(now: .max - 1) == .max)
        #expect(try Parser.parseTime("+292278994-07-17T07:12:55.807Z + 1mo").resolve(now: 0) == .max)
    }

    /// A time on its own (an option, a parameter) that stops short says so in its own terms, not a query's.
    @Test func aTimeThatStopsShortSaysTheTimeEnded() {
        for text in ["", "now+", "now -"] {
            #expect(throws: QueryError.self) { try Parser.parseTime(text) }
            do { _ = try Parser.parseTime(text) } catch {
                #expect(error.message.hasSuffix("found the end of the time"), "\(text): \(error.message)")
            }
        }
        // A `%` in a time gets no hint about options' percentages.
        do { _ = try Parser.parseTime("2024-05-01%"); Issue.record("accepted") } catch {
            #expect(error.message == "unexpected character `%` in a time" && error.column == 11, "\(error)")
        }
    }

    @Test func calendarArithmetic() throws {
        let month = try QueryDuration(parsing: "1mo")
        #expect(month.subtracted(from: utc(2024, 3, 31, 12)) == utc(2024, 2, 29, 12))   // leap year
        #expect(month.subtracted(from: utc(2023, 3, 31, 12)) == utc(2023, 2, 28, 12))
        #expect(month.added(to: utc(2024, 12, 15)) == utc(2025, 1, 15))
        let year = try QueryDuration(parsing: "1y")
        #expect(year.subtracted(from: utc(2024, 2, 29)) == utc(2023, 2, 28))
        #expect(year.added(to: utc(2023, 5, 1)) == utc(2024, 5, 1))   // 366 days later, across Feb 29
        #expect(utc(2024, 5, 1) - utc(2023, 5, 1) == 366 * DAY)
        let mixed = try QueryDuration(parsing: "1mo1d")
        #expect(mixed.added(to: utc(2024, 1, 31)) == utc(2024, 3, 1))     // Feb 29, then one day
    }
}
