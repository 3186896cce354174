import Testing

@testable import TallySoda

@Suite("Soda timestamps")
struct TimestampTests {
    @Test("formats seen in Soda output parse to the right instant")
    func formats() throws {
        // 2024-05-10T06:00:00Z = 1715320800 s
        let strict = [
            "2024-05-10T06:00:00+00:00", "2024-05-10T06:00:00Z", "2024-05-10T08:00:00+02:00", "2024-05-10T01:30:00-04:30",
        ]
        for text in strict {
            let t = try #require(SodaTimestamp(text), "\(text)")
            #expect(t.epochMilliseconds == 1_715_320_800_000, "\(text)")
        }
        let micros = try #require(SodaTimestamp("2026-11-29T22:34:27.324772+00:00"))
        #expect(micros.epochSeconds == 1_795_991_667)
        #expect(micros.nanoseconds == 324_772_000)
        #expect(micros.epochMilliseconds == 1_795_991_667_324)
        let millis = try #require(SodaTimestamp("2025-03-01T10:20:30.123+00:00"))
        #expect(millis.epochMilliseconds == 1_740_824_430_123)
    }

    @Test("lenient forms: str(datetime), naive (UTC), bare date; strict rejects them")
    func lenient() throws {
        let cases: [(String, Int64)] = [
            ("2026-11-29 22:34:27.324772+00:00", 1_795_991_667_324),
            ("2024-05-09 12:00:00", 1_715_256_000_000),
            ("2024-05-09T12:00:00", 1_715_256_000_000),
            ("2024-05-09", 1_715_212_800_000),
            ("2024-05-09T12:00:00+0200", 1_715_248_800_000),
        ]
        for (text, ms) in cases {
            #expect(SodaTimestamp(text, mode: .lenient)?.epochMilliseconds == ms, "\(text)")
            #expect(SodaTimestamp(text, mode: .strict) == nil, "\(text)")
        }
    }

    @Test("out-of-range and malformed values are rejected")
    func invalid() {
        for text in [
            "2024-13-10T06:00:00+00:00", "2024-02-30T06:00:00+00:00", "2023-02-29T06:00:00+00:00", "2024-05-10T24:00:00+00:00",
            "2024-05-10T06:60:00+00:00", "2024-05-10T06:00:60+00:00", "2024-05-10T06:00:00+24:00", "2024-05-10T06:00:00.+00:00",
            "2024-05-10T06:00:00.1234567890Z", "24-05-10T06:00:00Z", "2024-05-10T06:00Z", "2024-05-10T06:00:00 +00:00",
            "2024-05-10T06:00:00+00:00 ", "yesterday", "",
        ] {
            #expect(SodaTimestamp(text, mode: .lenient) == nil, "\(text)")
        }
        #expect(SodaTimestamp("2024-02-29T00:00:00Z") != nil)
        #expect(SodaTimestamp("2000-02-29T00:00:00Z") != nil)
        #expect(SodaTimestamp("1900-02-29T00:00:00Z") == nil)
    }

    @Test("Cloud and Soda renderings, epoch-seconds numbers")
    func renderings() throws {
        let t = try #require(SodaTimestamp("2024-05-10T08:00:00+02:00"))
        #expect(t.cloudText == "2024-05-10T06:00:00Z")
        #expect(t.sodaText == "2024-05-10T06:00:00+00:00")
        #expect(t.epochSecondsNumber.literal == "1715320800")
        #expect(t.epochSecondsNumber.isInteger)
        let frac = try #require(SodaTimestamp("1970-01-01T00:00:00.5Z"))
        #expect(frac.epochSecondsNumber.literal == "0.5")
        let before = try #require(SodaTimestamp("1969-12-31T23:59:59.5Z"))
        #expect(before.epochSecondsNumber.literal == "-0.5")
        #expect(before.epochMilliseconds == -500)
        #expect(SodaTimestamp(epochMilliseconds: -500).cloudText == "1969-12-31T23:59:59.500Z")
        #expect(SodaTimestamp(epochMilliseconds: 1_715_320_800_123).cloudText == "2024-05-10T06:00:00.123Z")
    }
}
