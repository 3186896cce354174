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

    /// Times `TimeText.format` writes with a year outside 0000 to 9999 (`-0044`, `+10000`), up to the first and
    /// last `Int64` milliseconds, and the four-digit years' ends.
    static let expandedYearTexts: [(Int64, String)] = [
        (utc(-44, 3, 15, 12), "-0044-03-15T12:00:00Z"),
        (utc(0, 1, 1), "0000-01-01T00:00:00Z"),
        (utc(0, 1, 1) - 1, "-0001-12-31T23:59:59.999Z"),
        (utc(-9999, 1, 1), "-9999-01-01T00:00:00Z"),
        (utc(-9999, 1, 1) - 1, "-10000-12-31T23:59:59.999Z"),
        (utc(9999, 12, 31, 23, 59, 59, 999), "9999-12-31T23:59:59.999Z"),
        (utc(10000, 1, 1), "+10000-01-01T00:00:00Z"),
        (utc(275760, 9, 13), "+275760-09-13T00:00:00Z"),          // JavaScript's last Date
        (utc(-271821, 4, 20), "-271821-04-20T00:00:00Z"),         // and its first
        (Int64.max, "+292278994-08-17T07:12:55.807Z"),
        (Int64.max - 807, "+292278994-08-17T07:12:55Z"),
        (Int64.min, "-292275055-05-16T16:47:04.192Z"),
        (Int64.min + 808, "-292275055-05-16T16:47:05Z"),
    ]

    /// Every time `TimeText.format` writes reads back to the same time: as a literal, in quotes, and as a whole
    /// time expression (the command-line options' and the HTTP API's path).
    @Test func formattedTimesReadBackWithExpandedYears() throws {
        for (time, text) in Self.expandedYearTexts {
            #expect(TimeText.format(time) == text)
            #expect(try TimeLiteral.parse(text) == time, "\(text)")
            #expect(try Parser.parseTime(text).resolve(now: 0) == time, "\(text)")
            #expect(try Parser.parseTime("\"\(text)\"").resolve(now: 0) == time, "\(text)")
        }
        var times: [Int64] = [0, -1, 1, Int64.max - 1, Int64.min + 1, Int64.min + 999, Int64.min + 1_000]
        for k in 1...2_000 {
            // Spread over every `Int64` (a Weyl sequence), and over ±280,000 years.
            let t = Int64(bitPattern: UInt64(k) &* 0x9E37_79B9_7F4A_7C15)
            times += [t, t >> 20]
        }
        let failures = times.filter { t in
            let text = TimeText.format(t)
            return (try? TimeLiteral.parse(text)) != t || (try? Parser.parseTime(text).resolve(now: 0)) != t
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).map { ($0, TimeText.format($0)) })")
    }

    /// A time literal takes exactly the years `TimeText.parse` takes (the ones `TimeText.format` writes), and
    /// gives the same time.
    @Test func yearsAreTheOnesTimeTextReads() {
        let digits = ["", "0", "44", "999", "0000", "0044", "0999", "2024", "9999", "00044", "10000", "010000",
                      "275760", "292275055", "292275056", "292278994", "292278995", "999999999", "1000000000"]
        var checked = 0
        for sign in ["", "+", "-"] {
            for year in digits {
                for rest in ["-01-01T00:00:00Z", "-05-16T16:47:04.192Z", "-08-17T07:12:55.807Z", "-08-17T07:12:55.808Z"] {
                    let text = sign + year + rest
                    let literal = try? TimeLiteral.parse(text)
                    #expect(literal == TimeText.parse(text), "\(text)")
                    checked += literal == nil ? 0 : 1
                }
            }
        }
        #expect(checked == 66)   // 5 × 4 years without a sign, 19 with `+`, 27 with `-`
    }

    /// A malformed year is an error at the year (its sign) that names it and gives the spelling Tally writes.
    @Test func expandedYearErrorsSayWhatAndWhere() throws {
        func error(_ s: String) -> QueryError? {
            do { _ = try TimeLiteral.parse(s); return nil } catch { return error }
        }
        let cases: [(String, Int, String)] = [
            ("+999-01-01", 1, "year `+999` has too few digits: a year after `+` has at least 5 (ISO 8601's "
                + "expanded years, for years after 9999); write `0999`"),
            ("+2024-05-01", 1, "year `+2024` has too few digits: a year after `+` has at least 5 (ISO 8601's "
                + "expanded years, for years after 9999); write `2024`"),
            ("-44-03-15", 1, "year `-44` has too few digits: a year after `-` has at least 4; write `-0044`"),
            ("+010000-01-01", 1, "year `+010000` has a leading zero: a year of more than 4 digits starts with 1 to 9; "
                + "write `+10000`"),
            ("-00044-03-15", 1, "year `-00044` has a leading zero: a year of more than 4 digits starts with 1 to 9; "
                + "write `-0044`"),
            ("-0000-01-01", 1, "year `-0000` is written `0000`, without a sign"),
            ("10000-01-01", 1, "expected a 4-digit year, found `10000`; a year after 9999 is written with `+`; "
                + "write `+10000`"),
            ("+1000000000-01-01", 1, "year `+1000000000` has more than 9 digits: times run from "
                + "-292275055-05-16T16:47:04.192Z to +292278994-08-17T07:12:55.807Z"),
            ("+-01-01", 1, "expected the digits of a year after `+`"),
            ("+292278994-08-17T07:12:55.808Z", 1, "the time is out of range: times run from "
                + "-292275055-05-16T16:47:04.192Z to +292278994-08-17T07:12:55.807Z"),
            ("-292275055-05-16T16:47:04.191Z", 1, "the time is out of range"),
            ("+999999999-12-31", 1, "the time is out of range"),
            ("-0045-02-29", 10, "day 29 is out of range for -0045-02, which has 28 days (-0045 is not a leap year)"),
            ("+10000-13-01", 8, "month 13 is out of range (01-12)"),
            ("-0044-03-15T24:00", 13, "hour 24 is out of range"),
            ("+10000", 7, "expected `-` after the year"),
        ]
        for (text, column, message) in cases {
            let e = error(text)
            #expect(e?.column == column, "\(text): \(String(describing: e))")
            #expect(e?.message.hasPrefix(message) == true, "\(text): \(String(describing: e))")
        }
        #expect(try TimeLiteral.parse("-0044-02-29") == utc(-44, 2, 29))   // -44 is a leap year (45 BC)
    }

    @Test func timeExpressions() throws {
        let now = utc(2024, 5, 10, 12)
        #expect(try Parser.parseTime("now").resolve(now: now) == now)
        #expect(try Parser.parseTime("now-7d").resolve(now: now) == utc(2024, 5, 3, 12))
        #expect(try Parser.parseTime("now - 1mo + 1h").resolve(now: now) == utc(2024, 4, 10, 13))
        #expect(try Parser.parseTime("2024-03-31 - 1mo").resolve(now: now) == utc(2024, 2, 29))
        #expect(try Parser.parseTime("\"2024-05-01T06:00:00+02:00\"").resolve(now: now) == utc(2024, 5, 1, 4))
        #expect(throws: QueryError.self) { try Parser.parseTime("now-") }
        // A time on its own (`--now`, `now=`) follows nothing: the message does not say it follows something.
        let word = #expect(throws: QueryError.self) { try Parser.parseTime("tomorrow") }
        #expect(word?.message == "expected a time such as `now`, `now-7d` or `2024-05-01`, found `tomorrow`",
                "\(String(describing: word))")
        #expect(word?.column == 1)
    }
}
