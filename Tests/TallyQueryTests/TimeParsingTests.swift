import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct TimeParsingTests {
    @Test func forms() throws {
        #expect(try TimeLiteral.parse("2024-05-01") == utc(2024, 5, 1))
        #expect(try TimeLiteral.parse("2024-05-01T06:00") == utc(2024, 5, 1, 6))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00Z") == utc(2024, 5, 1, 6))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00") == utc(2024, 5, 1, 6))
        #expect(try TimeLiteral.parse("2024-05-01t06:00:00z") == utc(2024, 5, 1, 6))
    }

    @Test func offsets() throws {
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00+02:00") == utc(2024, 5, 1, 4))
        #expect(try TimeLiteral.parse("2024-05-01T01:00:00+02:00") == utc(2024, 4, 30, 23))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00-0530") == utc(2024, 5, 1, 11, 30))
        #expect(try TimeLiteral.parse("2024-12-31T23:30:00-01:00") == utc(2025, 1, 1, 0, 30))
    }

    @Test func fractionalSecondsAreTruncatedToMilliseconds() throws {
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00.5Z") == utc(2024, 5, 1, 6, 0, 0, 500))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00.123Z") == utc(2024, 5, 1, 6, 0, 0, 123))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00.123999Z") == utc(2024, 5, 1, 6, 0, 0, 123))
        #expect(try TimeLiteral.parse("2024-05-01T06:00:00.999999999+01:00") == utc(2024, 5, 1, 5, 0, 0, 999))
    }

    @Test func leapYears() throws {
        #expect(try TimeLiteral.parse("2024-02-29") == utc(2024, 2, 29))
        #expect(try TimeLiteral.parse("2000-02-29") == utc(2000, 2, 29))
        #expect(throws: QueryError.self) { try TimeLiteral.parse("2023-02-29") }
        #expect(throws: QueryError.self) { try TimeLiteral.parse("1900-02-29") }
        do {
            _ = try TimeLiteral.parse("2023-02-29")
        } catch {
            #expect(error.column == 9)
            #expect(error.message.contains("not a leap year"))
        }
    }

    @Test func errorsPointAtTheComponent() {
        func column(_ s: String) -> Int? {
            do { _ = try TimeLiteral.parse(s); return nil } catch { return error.column }
        }
        #expect(column("2024-00-01") == 6)
        #expect(column("2024-04-31") == 9)
        #expect(column("2024-05-01T24:00") == 12)
        #expect(column("2024-05-01T06:60") == 15)
        #expect(column("2024-05-01T06:00:60") == 18)
        #expect(column("2024-05-01T06:00+25:00") == 18)
        #expect(column("2024-05-01T6:00") == 12)
        #expect(column("2024-05-01T") == 12)
        #expect(column("2024-05-01x") == 11)
    }

    @Test func formatRoundTrips() throws {
        for t in [utc(2024, 5, 1, 6), utc(2024, 2, 29, 23, 59, 59, 1), utc(1969, 7, 20, 20, 17), Int64(0)] {
            #expect(try TimeLiteral.parse(TimeLiteral.format(t)) == t)
        }
    }

    @Test func timeExpressions() throws {
        let now = utc(2024, 5, 10, 12)
        #expect(try Parser.parseTime("now").resolve(now: now) == now)
        #expect(try Parser.parseTime("now-7d").resolve(now: now) == utc(2024, 5, 3, 12))
        #expect(try Parser.parseTime("now - 1mo + 1h").resolve(now: now) == utc(2024, 4, 10, 13))
        #expect(try Parser.parseTime("2024-03-31 - 1mo").resolve(now: now) == utc(2024, 2, 29))
        #expect(try Parser.parseTime("\"2024-05-01T06:00:00+02:00\"").resolve(now: now) == utc(2024, 5, 1, 4))
        #expect(throws: QueryError.self) { try Parser.parseTime("now-") }
        #expect(throws: QueryError.self) { try Parser.parseTime("tomorrow") }
    }
}
