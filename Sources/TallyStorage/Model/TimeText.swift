/// ISO 8601 text for epoch-millisecond times, read and written without Foundation.
public enum TimeText {
    /// `2024-05-01T06:00:00Z`, with `.123` only when the milliseconds are not zero. Years before 0 are written
    /// `-0044`, years after 9999 in ISO 8601's expanded form `+10000`; ``parse(_:)`` reads every text this writes
    /// back to the same time, for every `Int64` (years −292,275,055 to +292,278,994).
    public static func format(_ millis: Int64) -> String {
        let days = CivilCalendar.day(ofMillis: millis)
        let msOfDay = Int(CivilCalendar.millisOfDay(millis))
        let (civilYear, month, day) = CivilCalendar.date(days: days)
        var s = dateText(year: civilYear, month: month, day: day) + "T"
        s += pad(msOfDay / 3_600_000, 2) + ":" + pad(msOfDay / 60_000 % 60, 2) + ":" + pad(msOfDay / 1000 % 60, 2)
        if msOfDay % 1000 != 0 { s += "." + pad(msOfDay % 1000, 3) }
        return s + "Z"
    }

    /// A year as ``format(_:)`` writes it: `0000` to `9999`, `-0044` before year 0, `+10000` after 9999.
    public static func yearText(_ year: Int64) -> String {
        (year > 9999 ? "+" : "") + pad(Int(year), 4)
    }

    /// A date as ``format(_:)`` writes it, without the time of day: `2024-05-01`, `-0044-03-15`, `+10000-01-01`.
    public static func dateText(year: Int64, month: Int, day: Int) -> String {
        yearText(year) + "-" + pad(month, 2) + "-" + pad(day, 2)
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(abs(value))
        let padded = String(repeating: "0", count: max(0, width - digits.count)) + digits
        return value < 0 ? "-" + padded : padded
    }

    /// Parses `YYYY-MM-DDTHH:MM[:SS[.fff…]](Z|±HH:MM|±HHMM)` (a space may stand for `T`; digits past
    /// milliseconds are truncated).
    ///
    /// The year is four digits (`0000` to `9999`), or ISO 8601's expanded form exactly as ``format(_:)`` writes
    /// it: `+` and five or more digits for years after 9999 (`+10000`), `-` and four or more digits for years
    /// before 0 (`-0044`, `-10000`), no leading zero beyond four digits, and at most nine digits.
    ///
    /// - Returns: Epoch milliseconds; nil when the text is not of that form, names no real date (`2023-02-29`), or
    ///   names a time outside the range of `Int64` milliseconds (past `+292278994-08-17T07:12:55.807Z` or before
    ///   `-292275055-05-16T16:47:04.192Z`).
    public static func parse(_ text: some StringProtocol) -> Int64? {
        var copy = String(text)
        return copy.withUTF8 { parse(bytes: $0) }
    }

    /// ``parse(_:)`` on UTF-8 bytes.
    public static func parse(bytes s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= s.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = s[i + k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < s.count && s[i] == c else { return false }
            i += 1
            return true
        }
        guard case .success(let (year, yearEnd)) = scanYear(s, from: 0) else { return nil }
        i = yearEnd
        guard expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2) else { return nil }
        guard month >= 1 && month <= 12 && day >= 1 && day <= CivilCalendar.daysInMonth(year: year, month: month) else { return nil }
        guard i < s.count && (s[i] == 0x54 || s[i] == 0x74 || s[i] == 0x20) else { return nil }
        i += 1
        guard let hour = digits(2), expect(0x3A), let minute = digits(2) else { return nil }
        var second = 0, fraction = 0
        if expect(0x3A) {
            guard let sec = digits(2) else { return nil }
            second = sec
            if i < s.count && (s[i] == 0x2E || s[i] == 0x2C) {
                i += 1
                var scale = 100, any = false
                while i < s.count && s[i] >= 0x30 && s[i] <= 0x39 {
                    fraction += Int(s[i] - 0x30) * scale
                    scale /= 10
                    any = true
                    i += 1
                }
                guard any else { return nil }
            }
        }
        guard hour <= 23 && minute <= 59 && second <= 60 else { return nil }
        var offsetMinutes = 0
        guard i < s.count else { return nil }
        if s[i] == 0x5A || s[i] == 0x7A {
            i += 1
        } else if s[i] == 0x2B || s[i] == 0x2D {
            let sign = s[i] == 0x2D ? -1 : 1
            i += 1
            guard let oh = digits(2) else { return nil }
            _ = expect(0x3A)
            guard let om = digits(2), oh <= 23, om <= 59 else { return nil }
            offsetMinutes = sign * (oh * 60 + om)
        } else {
            return nil
        }
        guard i == s.count else { return nil }
        return millis(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                      millisecond: fraction, offsetMinutes: offsetMinutes)
    }

    /// Epoch milliseconds of a date and time of day written at a UTC offset (minutes east of UTC: `+02:00` is 120).
    ///
    /// The fields must be in range (`month` 1...12, `day` within the month, `hour` 0...23, `minute` 0...59,
    /// `second` 0...60, `millisecond` 0...999, an offset under a day); the year may be any `Int64`.
    ///
    /// - Returns: Epoch milliseconds; nil when the time is outside the range of `Int64` milliseconds (years
    ///   −292,275,055 to +292,278,994).
    public static func millis(year: Int64, month: Int, day: Int, hour: Int, minute: Int, second: Int,
                              millisecond: Int, offsetMinutes: Int = 0) -> Int64? {
        // Within nine digits the seconds fit easily; the milliseconds may not.
        guard year.magnitude <= 999_999_999 else { return nil }
        let days = CivilCalendar.days(year: year, month: month, day: day)
        var seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second) - Int64(offsetMinutes * 60)
        var fraction = Int64(millisecond)
        // `seconds * 1000` alone is below `Int64.min` in the earliest second: borrow it from the fraction.
        if seconds < 0 && fraction > 0 {
            seconds += 1
            fraction -= 1000
        }
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        let (time, carry) = whole.addingReportingOverflow(fraction)
        return overflow || carry ? nil : time
    }

    /// Why a year is not one ``format(_:)`` writes; see ``scanYear(_:from:)``.
    public enum YearError: Error, Sendable, Equatable {
        /// No digit where the year's digits should be.
        case missing
        /// A year without a sign that is not four digits (`202`, or `10000`: years after 9999 take a `+`).
        case notFourDigits
        /// Fewer than five digits after `+` (`+999`, `+2024`: years 0000 to 9999 take no sign).
        case tooShortAfterPlus
        /// Fewer than four digits after `-` (`-44`: a year before 0 has at least four, `-0044`).
        case tooShortAfterMinus
        /// A `0` leading a year of more than four digits (`+010000`, `-00044`).
        case leadingZero
        /// More than nine digits: past the years of `Int64` milliseconds.
        case tooManyDigits
        /// `-0000`: year 0 is written `0000`.
        case minusZero
    }

    /// The most digits of an expanded year: `Int64` milliseconds span years −292,275,055 to +292,278,994.
    public static let maxYearDigits = 9

    /// Reads the year at `start` as ``format(_:)`` writes it: four digits (`0000` to `9999`), or ISO 8601's expanded
    /// form, `+` and five or more digits after 9999 (`+10000`), `-` and four or more digits before 0 (`-0044`,
    /// `-10000`), with no leading zero beyond four digits and at most nine digits.
    ///
    /// The one reader of years for ``parse(_:)`` and the query language's time literals.
    ///
    /// - Parameters:
    ///   - text: Code units of ASCII text (UTF-8 bytes, or Unicode scalar values).
    ///   - start: Where the year (or its sign) starts.
    /// - Returns: The year and the index just past its last digit, or what is wrong with the year (its sign and
    ///   the digits after it).
    public static func scanYear<Text: RandomAccessCollection>(
        _ text: Text, from start: Int
    ) -> Result<(year: Int64, end: Int), YearError> where Text.Index == Int, Text.Element: BinaryInteger {
        func isDigit(_ k: Int) -> Bool { k < text.endIndex && text[k] >= 0x30 && text[k] <= 0x39 }
        guard start < text.endIndex else { return .failure(.missing) }
        let sign = text[start]
        let first = sign == 0x2B || sign == 0x2D ? start + 1 : start
        var end = first
        while isDigit(end) { end += 1 }
        let count = end - first
        guard count > 0 else { return .failure(.missing) }
        switch sign {
        case 0x2B:
            guard count >= 5 else { return .failure(.tooShortAfterPlus) }   // +10000 and later
        case 0x2D:
            guard count >= 4 else { return .failure(.tooShortAfterMinus) }  // -0001 and earlier
        default:
            guard count == 4 else { return .failure(.notFourDigits) }
        }
        guard count == 4 || text[first] != 0x30 else { return .failure(.leadingZero) }
        guard count <= maxYearDigits else { return .failure(.tooManyDigits) }
        var year: Int64 = 0
        for k in first..<end { year = year * 10 + Int64(text[k] - 0x30) }
        if sign == 0x2D {
            guard year > 0 else { return .failure(.minusZero) }   // year 0 is 0000
            year = -year
        }
        return .success((year, end))
    }
}
