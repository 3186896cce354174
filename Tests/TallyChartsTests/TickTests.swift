import TallyStorage
import Testing
@testable import TallyCharts

@Suite struct ValueTickTests {
    /// Whether `step` is 1, 2 or 5 times a power of ten.
    func isNice(_ step: Double) -> Bool {
        var m = step
        while m >= 10 { m /= 10 }
        while m < 1 { m *= 10 }
        return [1.0, 2.0, 5.0].contains { abs(m - $0) < 1e-9 }
    }

    @Test(arguments: [
        (0.0, 1.0), (3.0, 97.0), (12_000.0, 13_240.0), (-4.2, 7.9), (0.0012, 0.0047), (1e9, 3.7e9),
        (84.12, 84.19), (-1e6, -2.0), (150.0, 13_800.0), (0.0, 0.0), (42.0, 42.0), (1e-7, 3e-7),
    ])
    func niceStepsCoverTheData(low: Double, high: Double) {
        for maxTicks in [2, 3, 5, 8, 12] {
            let axis = ValueAxis.nice(low: low, high: high, maxTicks: maxTicks)
            #expect(isNice(axis.step), "step \(axis.step) for \(low)...\(high)")
            #expect(axis.ticks.count >= 2 && axis.ticks.count <= max(3, maxTicks))
            #expect(axis.min <= low && axis.max >= high)
            #expect(axis.min < axis.max)
            // Ticks are evenly spaced by the step and start and end the axis.
            #expect(axis.ticks.first!.value == axis.min && axis.ticks.last!.value == axis.max)
            for (a, b) in zip(axis.ticks, axis.ticks.dropFirst()) {
                #expect(abs((b.value - a.value) - axis.step) <= axis.step * 1e-9)
            }
            // Labels are distinct, so no two ticks read the same.
            #expect(Set(axis.ticks.map(\.label)).count == axis.ticks.count)
        }
    }

    /// A chart's time text splits the earliest time without trapping, as ISO 8601 text does.
    @Test func theEarliestTimeSplitsIntoFields() {
        let t = UTCTime(Int64.min)
        #expect(t.year == -292_275_055 && t.month == 5 && t.day == 16 && t.hour == 16 && t.millisecond == 192)
    }

    @Test func theSmallestNiceStepThatFitsIsChosen() {
        let axis = ValueAxis.nice(low: 0, high: 97, maxTicks: 6)
        #expect(axis.step == 20)
        #expect(axis.ticks.map(\.label) == ["0", "20", "40", "60", "80", "100"])
        let fine = ValueAxis.nice(low: 0, high: 97, maxTicks: 11)
        #expect(fine.step == 10)
    }

    @Test func labelsHaveThousandsSeparatorsAndTheDecimalsTheStepNeeds() {
        let rows = ValueAxis.nice(low: 11_800, high: 13_100, maxTicks: 8)
        #expect(rows.ticks.map(\.label) == ["11,800", "12,000", "12,200", "12,400", "12,600", "12,800", "13,000", "13,200"])
        let amounts = ValueAxis.nice(low: 84.12, high: 84.19, maxTicks: 5)
        #expect(amounts.ticks.map(\.label) == ["84.12", "84.14", "84.16", "84.18", "84.20"])
        #expect(amounts.ticks.last!.value == 84.2)
        let big = ValueAxis.nice(low: 0, high: 3_700_000_000, maxTicks: 5)
        #expect(big.ticks.map(\.label) == ["0", "1,000,000,000", "2,000,000,000", "3,000,000,000", "4,000,000,000"])
        let negative = ValueAxis.nice(low: -1_500, high: 500, maxTicks: 5)
        #expect(negative.ticks.map(\.label) == ["-1,500", "-1,000", "-500", "0", "500"])
    }

    /// Past 1e15 a double no longer holds every digit: an axis that reaches it labels every tick with an exponent
    /// (with the digits its step needs), rather than mixing `950,000,000,000,000` with a raw `1000000000000000.0`.
    @Test func anAxisReachingOneQuadrillionReadsInOneStyle() {
        let axis = ValueAxis.nice(low: 9.1e14, high: 1.04e15, maxTicks: 6)
        #expect(axis.step == 5e13)
        #expect(axis.ticks.map(\.label) == ["9e+14", "9.5e+14", "1e+15", "1.05e+15"])
        let wide = ValueAxis.nice(low: 0, high: 3.2e18, maxTicks: 5)
        #expect(wide.ticks.map(\.label) == ["0", "1e+18", "2e+18", "3e+18", "4e+18"])
        let below = ValueAxis.nice(low: 8.1e14, high: 8.9e14, maxTicks: 5)
        #expect(below.ticks.allSatisfy { !$0.label.contains("e") }, "an axis below 1e15 keeps its digits: \(below.ticks)")
        #expect(ChartText.number(2_000_327_302_672_860) == "2.00033e+15")
        #expect(ChartText.number(-1.5e16) == "-1.5e+16")
        #expect(ChartText.number(999_999_999_999_999) == "999,999,999,999,999")
    }

    @Test func barsStartAtZeroAndFlatSeriesGetARange() {
        let bars = ValueAxis.nice(low: 3, high: 6, maxTicks: 5, includeZero: true)
        #expect(bars.min == 0 && bars.max >= 6)
        let flat = ValueAxis.nice(low: 500, high: 500, maxTicks: 5)
        #expect(flat.min < 500 && flat.max > 500)
    }

    @Test func numbersForPeople() {
        #expect(ChartText.grouped(1_234_567.891, decimals: 2) == "1,234,567.89")
        #expect(ChartText.grouped(-0.004, decimals: 2) == "0.00")
        #expect(ChartText.number(12_000) == "12,000")
        #expect(ChartText.number(84.5) == "84.5")
        #expect(ChartText.number(0.00312) == "0.00312")
        #expect(ChartText.number(-1_500.25) == "-1,500.25")
        #expect(ChartText.coordinate(12.04) == "12")
        #expect(ChartText.coordinate(-3.25) == "-3.3")
        #expect(ChartText.coordinate(7.25) == "7.3")
        #expect(ChartText.coordinate(0.04) == "0")
    }
}

@Suite struct TimeTickTests {
    static let spans: [(name: String, length: Int64)] = [
        ("5 minutes", 5 * MINUTE), ("1 hour", HOUR), ("6 hours", 6 * HOUR), ("1 day", DAY), ("3 days", 3 * DAY),
        ("2 weeks", 14 * DAY), ("3 months", 91 * DAY), ("1 year", 365 * DAY), ("5 years", 5 * 365 * DAY),
        ("40 years", 40 * 365 * DAY),
    ]

    /// Checks that the labels of an axis stay inside the figure and apart.
    func checkFits(_ axis: TimeAxis, plotLeft: Double, plotWidth: Double, figureWidth: Double, context: String) {
        var lastRight = -Double.infinity
        for tick in axis.ticks {
            #expect(tick.time >= axis.min && tick.time <= axis.max, "\(context): tick outside the range")
            let x = plotLeft + axis.fraction(tick.time) * plotWidth
            let w = ChartText.estimatedWidth(tick.label, fontSize: ChartStyle.tickFontSize)
            #expect(x - w / 2 >= 0 && x + w / 2 <= figureWidth, "\(context): label \(tick.label) leaves the figure")
            #expect(x - w / 2 >= lastRight + TimeAxis.labelGap, "\(context): label \(tick.label) overlaps the one before")
            lastRight = x + w / 2
        }
    }

    @Test(arguments: spans)
    func labelsFitWithoutOverlapping(span: (name: String, length: Int64)) {
        let start = utc(2023, 11, 17, 9, 23)
        for width in [240.0, 400.0, 800.0, 1600.0] {
            let plotLeft = 60.0, plotWidth = width - 80
            let axis = TimeAxis.fitting(from: start, to: start + span.length, plotLeft: plotLeft, plotWidth: plotWidth,
                                        figureWidth: width)
            let context = "\(span.name) at \(Int(width)) px"
            checkFits(axis, plotLeft: plotLeft, plotWidth: plotWidth, figureWidth: width, context: context)
            #expect(axis.ticks.count >= 2, "\(context): only \(axis.ticks.count) ticks")
            #expect(TickInterval.ladder.contains(axis.interval))
            // Ticks are at least the minimum spacing apart, and a shorter interval would not have fitted.
            if let index = TickInterval.ladder.firstIndex(of: axis.interval), index > 0 {
                let shorter = TickInterval.ladder[index - 1]
                let instants = shorter.instants(from: axis.min, to: axis.max, limit: 10_000)
                let xs = instants.map { plotLeft + axis.fraction($0) * plotWidth }
                let ws = instants.map { ChartText.estimatedWidth(shorter.label($0), fontSize: ChartStyle.tickFontSize) }
                let inside = zip(xs, ws).filter { $0.0 - $0.1 / 2 >= 0 && $0.0 + $0.1 / 2 <= width }
                let crowded = zip(inside, inside.dropFirst()).contains { a, b in
                    b.0 - b.1 / 2 < a.0 + a.1 / 2 + TimeAxis.labelGap || b.0 - a.0 < TimeAxis.minimumSpacing
                }
                #expect(crowded || inside.count < 1, "\(context): the shorter interval \(shorter) would have fitted")
            }
        }
    }

    @Test func labelFormsFollowTheSpan() {
        func labels(_ from: Int64, _ length: Int64, width: Double = 800) -> [String] {
            TimeAxis.fitting(from: from, to: from + length, plotLeft: 60, plotWidth: width - 80, figureWidth: width)
                .ticks.map(\.label)
        }
        let minutes = labels(utc(2024, 5, 1, 6), 5 * MINUTE)
        #expect(minutes.allSatisfy { $0.count == 8 && $0.filter { $0 == ":" }.count == 2 }, "\(minutes)")   // 06:01:00
        let hours = labels(utc(2024, 5, 1, 6), 6 * HOUR)
        #expect(hours.allSatisfy { $0.count == 5 && $0.contains(":") }, "\(hours)")                         // 07:00
        let days = labels(utc(2024, 5, 1), 14 * DAY)
        #expect(days.allSatisfy { $0.hasPrefix("May ") }, "\(days)")                                          // May 2
        let months = labels(utc(2024, 3, 10), 365 * DAY)
        #expect(months.contains("2025") && months.contains("Jun"), "\(months)")                             // Jun ... 2025
        let years = labels(utc(1990, 3, 1), 30 * 365 * DAY)
        #expect(years.allSatisfy { $0.count == 4 && Int($0) != nil }, "\(years)")                            // 2000
        // A day boundary inside an hourly axis shows the date.
        let overnight = labels(utc(2024, 5, 1, 18), 12 * HOUR)
        #expect(overnight.contains("May 2"), "\(overnight)")
    }

    @Test func ticksAreAlignedInUTC() {
        let weeks = TickInterval.milliseconds(7 * DAY).instants(from: utc(2024, 5, 1), to: utc(2024, 7, 1), limit: 100)
        // Weeks start on Monday: 2024-05-06 is a Monday.
        #expect(weeks.first == utc(2024, 5, 6))
        #expect(weeks.allSatisfy { ($0 - utc(2024, 5, 6)) % (7 * DAY) == 0 })
        let quarters = TickInterval.months(3).instants(from: utc(2023, 2, 14), to: utc(2024, 2, 1), limit: 100)
        #expect(quarters == [utc(2023, 4, 1), utc(2023, 7, 1), utc(2023, 10, 1), utc(2024, 1, 1)])
        let years = TickInterval.years(5).instants(from: utc(2003, 6, 1), to: utc(2021, 1, 1), limit: 100)
        #expect(years == [utc(2005, 1, 1), utc(2010, 1, 1), utc(2015, 1, 1), utc(2020, 1, 1)])
    }

    @Test func utcFieldsRoundTrip() {
        for t in [utc(1970, 1, 1), utc(2000, 2, 29, 23, 59), utc(2024, 12, 31, 12), utc(1969, 12, 31, 1), utc(2100, 3, 1)] {
            let f = UTCTime(t)
            let back = CivilCalendar.days(year: f.year, month: f.month, day: f.day) * DAY + Int64(f.hour) * HOUR + Int64(f.minute) * MINUTE
            #expect(back == t)
        }
    }
}

@Suite struct WholeNumberAxisTests {
    /// Counts get whole-number ticks: no half a check.
    @Test func wholeNumberAxesHaveNoFractionalTicks() {
        let counts = ValueAxis.nice(low: 0, high: 3, maxTicks: 8, includeZero: true, wholeNumbers: true)
        #expect(counts.ticks.map(\.label) == ["0", "1", "2", "3"])
        let flat = ValueAxis.nice(low: 0, high: 0, maxTicks: 6, wholeNumbers: true)
        #expect(flat.ticks.map(\.label) == ["0", "1"])
        #expect(ValueAxis.nice(low: 0, high: 3, maxTicks: 8).ticks.map(\.label).contains("0.5"), "a measured value may have halves")
    }
}

@Suite struct NumberWithUnitTests {
    /// One of a unit written as a plural is singular; other counts and abbreviations are as written.
    @Test func oneOfAPluralUnitIsSingular() {
        #expect(ChartText.number(1, unit: "rows") == "1 row")
        #expect(ChartText.number(-1, unit: "seconds") == "-1 second")
        #expect(ChartText.number(1, unit: "entries") == "1 entry")
        #expect(ChartText.number(2, unit: "rows") == "2 rows")
        #expect(ChartText.number(1.5, unit: "rows") == "1.5 rows")
        #expect(ChartText.number(0, unit: "rows") == "0 rows")
        #expect(ChartText.number(1, unit: "ms") == "1 ms")
        #expect(ChartText.number(1, unit: "%") == "1 %")
        #expect(ChartText.number(1, unit: "status") == "1 status")
        #expect(ChartText.number(1, unit: "mismatches") == "1 mismatch")
        #expect(ChartText.number(0.999_999_9, unit: "rows") == "1 row", "the number as written decides")
        for kept in ["series", "kbps", "iops", "Bytes", "species", "rows per day"] {
            #expect(ChartText.number(1, unit: kept) == "1 " + kept, "an unknown unit is kept as written")
        }
        #expect(ChartText.number(1_200, unit: nil) == "1,200")
        #expect(ChartText.number(1_200, unit: "") == "1,200")
    }
}
