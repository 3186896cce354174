import Foundation
import Testing
import TallyQuery
@testable import TallyCharts

/// Lines with far more points than pixel columns are drawn as a mean line in a min–max band per interval.
@Suite struct EnvelopeTests {
    /// A year of hourly row counts with a daily cycle of ±300, a rising trend, three days without scans
    /// (days 100–102) and, on day 200, five hours at 50.
    func hourlyYear() -> ResultSeries {
        var times: [Int64] = [], values: [Double] = []
        for h in 0..<(365 * 24) where !(100 * 24..<103 * 24).contains(h) {
            times.append(utc(2025, 1, 1) + Int64(h) * HOUR)
            let cycle = 300 * sin(2 * Double.pi * Double(h % 24) / 24)
            values.append((200 * 24..<200 * 24 + 5).contains(h) ? 50 : 1_000 + cycle + Double(h) * 0.05)
        }
        return ResultSeries(metric: "row_count", labels: ["dataset": "orders"], times: times, values: values)
    }

    @Test func columnsHoldTheCountRangeAndMeanOfTheirInterval() {
        let day = TickInterval.milliseconds(DAY)
        // Day 1: 2, 4, null, 9; day 2: nothing; day 3: 5 at 06:00 and 7 at 08:00.
        let times = [utc(2024, 1, 1, 1), utc(2024, 1, 1, 5), utc(2024, 1, 1, 6), utc(2024, 1, 1, 23),
                     utc(2024, 1, 3, 6), utc(2024, 1, 3, 8)]
        let values: [Double?] = [2, 4, nil, 9, 5, 7]
        let columns = Shaping.envelope(times: times, values: values, expected: [3, 5, 100, .nan, 6, 6],
                                       lower: [1, 0.5, -100, 8, 4, 4], upper: [4, 6, 200, 10, 8, .infinity], interval: day)
        #expect(columns.count == 2, "an interval without points has no column")
        let first = columns[0], last = columns[1]
        #expect(first.start == utc(2024, 1, 1) && first.end == utc(2024, 1, 2))
        #expect(first.count == 3 && first.min == 2 && first.max == 9 && first.mean == 5)
        // Only the points with a value count, and non-finite bounds are left out.
        #expect(first.expected == 4 && first.lower == 0.5 && first.upper == 10)
        #expect(first.time == utc(2024, 1, 1, 12), "drawn at the interval's middle")
        #expect(last.count == 2 && last.mean == 6 && last.upper == 8)
        #expect(last.time == utc(2024, 1, 3, 8), "kept between the interval's first and last point")
    }

    @Test func theIntervalIsTheShortestOfTheLadderAtLeastTwoPixelsLong() {
        let year = (utc(2025, 1, 1), utc(2026, 1, 1))
        #expect(Shaping.envelopeInterval(from: year.0, to: year.1, pixels: 730) == .milliseconds(DAY))
        #expect(Shaping.envelopeInterval(from: year.0, to: year.1, pixels: 700) == .milliseconds(2 * DAY))
        #expect(Shaping.envelopeInterval(from: year.0, to: year.1, pixels: 100) == .milliseconds(14 * DAY))
        // Half a year on 730 pixels: 12 hours would be the shortest, but means of half days of a daily cycle
        // alternate high and low; a day is 4 pixels. So for 30 days on a sparkline's 134 pixels.
        #expect(Shaping.envelopeInterval(from: utc(2025, 1, 1), to: utc(2025, 7, 1), pixels: 730) == .milliseconds(DAY))
        #expect(Shaping.envelopeInterval(from: utc(2025, 1, 1), to: utc(2025, 1, 31), pixels: 134) == .milliseconds(DAY))
        // Under an hour, and where a day would be more than 16 pixels wide, the shortest stays.
        #expect(Shaping.envelopeInterval(from: utc(2025, 1, 1), to: utc(2025, 1, 21), pixels: 730) == .milliseconds(2 * HOUR))
    }

    @Test func halfAYearOfADailyCycleIsDrawnAsDailyMeans() throws {
        let times = (0..<(182 * 24)).map { utc(2025, 1, 1) + Int64($0) * HOUR }
        let s = ResultSeries(metric: "cycle", labels: [:], times: times,
                             values: times.indices.map { 1_000 + 300 * sin(2 * Double.pi * Double($0 % 24) / 24) })
        let line = try #require(Chart(QueryResult(series: [s])).panels.first?.lines.first)
        #expect(line.envelope?.interval == .milliseconds(DAY))
        #expect(line.drawnPoints.compactMap(\.value).allSatisfy { abs($0 - 1_000) < 1 }, "a flat mean, no zigzag")
    }

    @Test func aDenseYearIsDrawnAsDailyMeansInTheirRange() throws {
        let s = hourlyYear()
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 800, height: 320))
        let line = try #require(chart.panels.first?.lines.first)
        let envelope = try #require(line.envelope, "8,688 points on about 700 pixels")
        #expect(envelope.interval == .milliseconds(DAY))
        #expect(envelope.columns.count == 362)
        #expect(envelope.columns.reduce(0) { $0 + $1.count } == s.count)
        // A day's column spans the daily cycle; the day of the drop reaches down to it.
        let ordinary = try #require(envelope.columns.first { $0.start == utc(2025, 3, 1) })
        #expect(ordinary.max - ordinary.min > 590 && abs(ordinary.mean - (1_000 + Double(59 * 24 + 12) * 0.05)) < 1)
        #expect(envelope.columns.contains { $0.start == utc(2025, 7, 20) && $0.min == 50 })
        // The line goes through the means, broken over the days without scans.
        let drawn = line.drawnPoints
        #expect(drawn.count == 363 && drawn.filter { $0.value == nil }.count == 1)
        #expect(drawn.compactMap(\.value) == envelope.columns.map(\.mean))
        // The points are still shaped to the pixels, for JSON and tooltips.
        #expect(line.points.count <= 800 && line.points.count > 300)
        #expect(chart.subtitle.contains("mean and min–max per 1d") && !chart.subtitle.contains("drawn"))
        // The lone series is named in the envelope's item, not in a second item of its own.
        #expect(chart.legend.map(\.label) == ["row_count: mean, min–max per 1d"])
        let svg = chart.svg()
        let band = try #require(svg.split(separator: "\n").first { $0.contains("class=\"envelope\"") })
        #expect(band.filter { $0 == "Z" }.count == 2, "the band breaks over the days without scans")
        #expect(chart.json().contains("\"envelope\": {\"interval\": \"1d\", \"columns\": ["))
    }

    @Test func aLineWithFewPointsPerPixelIsDrawnThroughItsPoints() throws {
        // Six weeks of hourly scans: about one and a half points per pixel column, a readable wave.
        var s = hourlyYear()
        s = ResultSeries(metric: s.metric, labels: s.labels, times: Array(s.times[..<1_000]), values: Array(s.values[..<1_000]))
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 800, height: 320))
        let line = try #require(chart.panels.first?.lines.first)
        #expect(line.envelope == nil)
        #expect(line.drawnPoints == line.points)
        #expect(!chart.svg().contains("class=\"envelope\"") && !chart.json().contains("\"envelope\""))
        #expect(chart.subtitle.contains("drawn"))
    }

    @Test func aDenseForecastIsSummarisedByTheSameInterval() throws {
        // The year, then 30 days of hourly forecast points: no value, an expected value with a daily cycle.
        let history = hourlyYear()
        let last = history.times.last!
        let future = (1...(30 * 24)).map { last + Int64($0) * HOUR }
        var s = ResultSeries(metric: history.metric, labels: history.labels, times: history.times + future,
                             values: history.values + future.map { _ in NULL })
        s.expected = history.values.map { _ in NULL } + future.indices.map { 1_400 + 300 * sin(2 * Double.pi * Double($0 % 24) / 24) }
        s.lower = s.expected!.map { $0.isNaN ? NULL : $0 - 100 }
        s.upper = s.expected!.map { $0.isNaN ? NULL : $0 + 100 }
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 800, height: 320))
        let line = try #require(chart.panels.first?.lines.first)
        let envelope = try #require(line.envelope)
        let forecast = try #require(envelope.forecastColumns)
        #expect(forecast.reduce(0) { $0 + $1.count } == 720)
        #expect(forecast.count < 40 && envelope.columns.reduce(0) { $0 + $1.count } == history.count)
        // Each forecast column is drawn as its mean expected value within the widest range of its interval.
        let drawn = line.drawnPoints.filter(\.forecast)
        #expect(drawn.count == forecast.count && drawn.allSatisfy { $0.value == nil })
        let full = try #require(drawn.dropFirst().first)
        #expect(abs(full.expected! - 1_400) < 1 && full.lower! < 1_000.1 && full.upper! > 1_799.9)
        #expect(line.points.filter(\.forecast).count > forecast.count, "the points keep their own shaping")
    }

    @Test func theExpectedRangeOfADenseLineIsItsWidestPerInterval() throws {
        var s = hourlyYear()
        s.expected = s.values.map { _ in 1_000 }
        s.lower = s.times.indices.map { 600 - Double($0 % 24) }
        s.upper = s.times.indices.map { 1_400 + Double($0 % 24) }
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 800, height: 320))
        let line = try #require(chart.panels.first?.lines.first)
        let envelope = try #require(line.envelope)
        #expect(envelope.columns.allSatisfy { $0.expected == 1_000 })
        #expect(envelope.columns.allSatisfy { $0.lower == 577 && $0.upper == 1_423 })
        #expect(line.drawnPoints.compactMap(\.lower).allSatisfy { $0 == 577 })
    }
}

/// What the first review of envelopes found: partial intervals, local density, marks, the expected range.
@Suite struct EnvelopeEdgeTests {
    /// Hourly values with a daily cycle (±300 around 1,000) from `start`, `hours` of them.
    func cycle(from start: Int64, hours: Int) -> ResultSeries {
        let times = (0..<hours).map { start + Int64($0) * HOUR }
        let values = times.indices.map { 1_000 + 300 * sin(2 * Double.pi * Double(($0 + Int((start / HOUR) % 24)) % 24) / 24) }
        return ResultSeries(metric: "cycle", labels: [:], times: times, values: values)
    }

    @Test func partialIntervalsAtTheEndsAreBandOnly() throws {
        // From 14:00 on the first day to 09:00 on the last: both end days hold part of their cycle.
        let s = cycle(from: utc(2024, 6, 1, 14), hours: 365 * 24 - 5)
        let line = try #require(Chart(QueryResult(series: [s])).panels.first?.lines.first)
        let columns = try #require(line.envelope?.columns)
        #expect(columns.first?.partial == true && columns.last?.partial == true)
        #expect(columns.dropFirst().dropLast().allSatisfy { !$0.partial })
        // The line runs through the whole days only, so neither end shows a jump the daily cycle made.
        let means = line.drawnPoints.compactMap(\.value)
        #expect(means.count == columns.count - 2)
        #expect(means.allSatisfy { abs($0 - 1_000) < 1 })
    }

    @Test func aStretchOfDensePointsMakesTheLineAnEnvelope() throws {
        // Eleven months of one point a day, then a month of hourly points: 1,050 points on about 730 pixels, but
        // the month of hourly points is 24 to a day of two pixels.
        let daily = (0..<335).map { utc(2024, 1, 1, 6) + Int64($0) * DAY }
        let hourly = cycle(from: utc(2024, 1, 1) + 336 * DAY, hours: 30 * 24)
        let s = ResultSeries(metric: "mix", labels: [:], times: daily + hourly.times,
                             values: daily.map { _ in 1_000 } + hourly.values)
        let line = try #require(Chart(QueryResult(series: [s])).panels.first?.lines.first)
        let envelope = try #require(line.envelope)
        // Days of one point make columns without height, and whole: the line goes through the values.
        let dailyColumns = envelope.columns.filter { $0.min == 1_000 && $0.max == 1_000 }
        #expect(dailyColumns.count >= 160 && dailyColumns.allSatisfy { !$0.partial })
        #expect(line.drawnPoints.filter { $0.value == 1_000 }.count == dailyColumns.count)
        // Spread evenly, the same number of points is not dense.
        let even = ResultSeries(metric: "even", labels: [:], times: (0..<1_055).map { utc(2024, 1, 1) + Int64($0) * 8 * HOUR },
                                values: (0..<1_055).map { Double($0 % 7) })
        #expect(Chart(QueryResult(series: [even])).panels.first?.lines.first?.envelope == nil)
    }

    @Test func dataSpanningSecondsIsDrawnThroughItsPoints() throws {
        // 20 seconds of millisecond data: the shortest interval, a second, would be 35 pixels wide.
        let times = (0..<20_000).map { utc(2025, 1, 1) + Int64($0) }
        let s = ResultSeries(metric: "fast", labels: [:], times: times, values: times.indices.map { sin(Double($0) / 100) })
        let line = try #require(Chart(QueryResult(series: [s])).panels.first?.lines.first)
        #expect(line.envelope == nil)
    }

    @Test func everyMarkOfADenseLineIsKept() throws {
        // A check failing about once a week over a year of hourly scans: the marks are what the points are drawn for.
        var s = cycle(from: utc(2024, 1, 1), hours: 365 * 24)
        s.anomaly = s.times.indices.map { $0 % 97 == 0 }
        let line = try #require(Chart(QueryResult(series: [s])).panels.first?.lines.first)
        #expect(line.envelope != nil)
        #expect(line.anomalies.count == s.anomaly!.filter { $0 }.count && line.droppedMarks == 0)
        // Without an envelope, marks beyond a quarter of the pixels are dropped (an even share is kept), and the
        // subtitle says so.
        var sparse = ResultSeries(metric: "m", labels: [:], times: (0..<1_300).map { utc(2020, 1, 1) + Int64($0) * DAY },
                                  values: (0..<1_300).map { Double($0 % 5) })
        sparse.anomaly = (0..<1_300).map { $0 % 2 == 0 }
        let chart = Chart(QueryResult(series: [sparse]))
        let kept = try #require(chart.panels.first?.lines.first)
        #expect(kept.envelope == nil)
        #expect(kept.droppedMarks == 650 - kept.anomalies.count && kept.droppedMarks > 0)
        #expect(chart.subtitle.contains("\(kept.anomalies.count) of 650 marks drawn, spread evenly"))
        // Spread over the whole line, the latest kept: the latest only looked as if problems had just begun.
        let markTimes = kept.anomalies.map(\.time)
        #expect(markTimes.first! < utc(2020, 3, 1) && markTimes.last! == sparse.times[1_298])
    }

    @Test func theBandSpansEachIntervalSoEveryPointLiesInIt() throws {
        let s = cycle(from: utc(2024, 1, 1), hours: 365 * 24)
        let chart = Chart(QueryResult(series: [s]))
        let panel = try #require(chart.panels.first)
        let svg = chart.svg()
        let band = try #require(svg.split(separator: "\n").first { $0.contains("class=\"envelope\"") })
        // Steps: the first column starts at the plot's left edge, each column's top is a horizontal segment.
        #expect(band.contains("d=\"M\(num(panel.plot.x)) "))
        let columns = try #require(panel.lines.first?.envelope?.columns)
        #expect(band.components(separatedBy: "L").count - 1 >= 4 * columns.count - 1)
    }

    @Test func aFlatSeriesWithAHairWideRangeKeepsAPlainAxis() throws {
        var flat = series("m", [42, 42, 42, 42, 42])
        flat.lower = flat.values.map { $0 - 6e-8 }
        flat.upper = flat.values.map { $0 + 6e-8 }
        let axis = try #require(Chart(QueryResult(series: [flat])).panels.first?.yAxis)
        #expect(axis.min <= 38 && axis.max >= 46)
        // Values that change by a hair are a real change: a table of ten billion rows that grew by 50.
        let grown = series("rows", [1e10, 1e10, 1e10 + 50, 1e10 + 50])
        let real = try #require(Chart(QueryResult(series: [grown])).panels.first?.yAxis)
        #expect(real.max - real.min < 1_000)
    }

    @Test func theExpectedRangeOverAnEnvelopeIsDrawnByItsEdges() throws {
        var s = cycle(from: utc(2024, 1, 1), hours: 365 * 24)
        s.lower = s.values.map { $0 - 50 }
        s.upper = s.values.map { $0 + 50 }
        let chart = Chart(QueryResult(series: [s]))
        let svg = chart.svg()
        #expect(svg.contains("<path class=\"band-edges\"") && !svg.contains("<path class=\"band\""))
        #expect(chart.legend.contains { $0.label == "expected range" && $0.symbol == .rangeEdges })
        // Without an envelope, the range is shaded.
        let short = cycle(from: utc(2024, 1, 1), hours: 200)
        var shaded = short
        shaded.lower = short.values.map { $0 - 50 }
        shaded.upper = short.values.map { $0 + 50 }
        #expect(Chart(QueryResult(series: [shaded])).svg().contains("<path class=\"band\""))
    }

    @Test func overlappingEnvelopesArePaler() throws {
        let a = cycle(from: utc(2024, 1, 1), hours: 365 * 24)
        var b = a
        b.labels = ["dataset": "b"]
        let svg = Chart(QueryResult(series: [a, b])).svg()
        #expect(svg.ranges(of: "class=\"envelope\"").count == 2)
        #expect(svg.contains("fill-opacity=\"\(ChartStyle.sharedEnvelopeOpacity)\""))
        #expect(!Chart(QueryResult(series: [a])).svg().contains("fill-opacity=\"\(ChartStyle.sharedEnvelopeOpacity)\""))
    }
}

/// A bucket that had not ended when the query ran is drawn as such.
@Suite struct InProgressChartTests {
    @Test func theLastPointOfALineIsReachedByADashedSegmentAndDrawnHollow() throws {
        var s = series("row_count", start: utc(2024, 4, 1), step: 7 * DAY, [900, 950, 1_000, 980, 310])
        s.labels = ["dataset": "orders"]
        let bucket = InProgressBucket(start: utc(2024, 4, 29), end: utc(2024, 5, 6), width: QueryDuration(milliseconds: 7 * DAY))
        let chart = Chart(QueryResult(series: [s], inProgress: bucket))
        let line = try #require(chart.panels.first?.lines.first)
        #expect(line.points.map(\.inProgress) == [false, false, false, false, true])
        #expect(chart.subtitle.contains("last 1w bucket in progress"))
        // The figures' range is of the whole weeks; the week so far is the last value.
        #expect(line.summary.min == 900 && line.summary.max == 1_000 && line.summary.lastValue == 310)
        let svg = chart.svg()
        let dashed = try #require(svg.split(separator: "\n").first { $0.contains("<path class=\"in-progress\"") })
        #expect(dashed.filter { $0 == "L" }.count == 1, "one segment, from the last whole point")
        #expect(svg.ranges(of: "<circle class=\"in-progress\"").count == 1)
        #expect(chart.json().ranges(of: "\"in_progress\": true").count == 1)
        // Without the bucket, the same line is drawn whole.
        let whole = Chart(QueryResult(series: [s]))
        #expect(!whole.svg().contains("in-progress") && !whole.subtitle.contains("in progress"))
    }

    @Test func aPartialValueStaysOffTheAxisAndIsDrawnAtItsEdge() throws {
        var s = series("row_count", start: utc(2024, 4, 1), step: 7 * DAY, [7_000, 7_050, 6_980, 7_020, 3_000])
        s.labels = ["dataset": "orders"]
        let bucket = InProgressBucket(start: utc(2024, 4, 29), end: utc(2024, 5, 6), width: QueryDuration(milliseconds: 7 * DAY))
        let chart = Chart(QueryResult(series: [s], inProgress: bucket))
        let axis = try #require(chart.panels.first?.yAxis)
        #expect(axis.min > 6_000, "the whole weeks set the axis")
        let svg = chart.svg()
        #expect(svg.contains(">3,000 so far</text>"))
        // Alone, the partial value still sets the axis.
        let lone = Chart(QueryResult(series: [series("m", start: utc(2024, 4, 29), step: DAY, [3_000])], inProgress: bucket))
        #expect(try #require(lone.panels.first?.yAxis).min <= 3_000)
    }

    @Test func aDenseLineKeepsItsPointInProgress() throws {
        // A year of hourly averages; the last hour had not ended.
        let times = (0..<(365 * 24)).map { utc(2024, 1, 1) + Int64($0) * HOUR }
        let s = ResultSeries(metric: "cycle", labels: [:], times: times,
                             values: times.indices.map { 1_000 + 300 * sin(2 * Double.pi * Double($0 % 24) / 24) })
        let bucket = InProgressBucket(start: times.last!, end: times.last! + HOUR, width: QueryDuration(milliseconds: HOUR))
        let chart = Chart(QueryResult(series: [s], inProgress: bucket))
        let line = try #require(chart.panels.first?.lines.first)
        #expect(line.envelope != nil)
        #expect(line.drawnPoints.last?.inProgress == true && line.drawnPoints.last?.time == times.last!)
        #expect(line.envelope!.columns.reduce(0) { $0 + $1.count } == s.count - 1, "the hour in progress is not in a column")
        #expect(chart.svg().contains("<circle class=\"in-progress\""))
    }

    @Test func aBucketCutByTheRangeIsCalledPartial() {
        let s = series("m", start: utc(2024, 4, 1), step: DAY, [5, 5, 2])
        let cut = InProgressBucket(start: utc(2024, 4, 3), end: utc(2024, 4, 4), width: QueryDuration(milliseconds: DAY), endsAtNow: false)
        let chart = Chart(QueryResult(series: [s], inProgress: cut))
        #expect(chart.subtitle.contains("last 1d bucket cut by the range's end"))
        #expect(chart.svg().contains("partial: the range ends inside this bucket"))
        #expect(ChartPage.html(title: "r", charts: [chart]).contains("2 (partial)"))
    }

    @Test func notesTakeASecondLineRatherThanBeingCutOff() throws {
        var s = series("row_count", start: utc(2024, 4, 1), step: 7 * DAY, [7_000, 7_050, 6_980, 7_020, 3_000])
        s.labels = ["dataset": "orders"]
        let bucket = InProgressBucket(start: utc(2024, 4, 29), end: utc(2024, 5, 6), width: QueryDuration(milliseconds: 7 * DAY))
        let wide = Chart(QueryResult(series: [s], inProgress: bucket), spec: ChartSpec(width: 800, height: 320))
        let narrow = Chart(QueryResult(series: [s], inProgress: bucket), spec: ChartSpec(width: 300, height: 320))
        #expect(wide.subtitleLines.count == 1)
        #expect(narrow.subtitleLines == [narrow.subtitleLines[0], "last 1w bucket in progress"])
        #expect(narrow.subtitle == wide.subtitle)
        // Everything under the subtitle moved down a line.
        let plotTop = { (c: Chart) in c.panels[0].plot.y }
        let sameWidth = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 300, height: 320))
        #expect(plotTop(narrow) == plotTop(sameWidth) + Chart.subtitleLineHeight)
        #expect(narrow.svg().contains(">last 1w bucket in progress</text>"))
    }

    /// A first bucket the range's start cut is drawn as a part one too: hollow, reached by a dashed segment, noted,
    /// and left out of the figures' range.
    @Test func aFirstBucketTheRangeStartCutIsDrawnApart() throws {
        let s = series("row_count", start: utc(2024, 4, 1), step: 7 * DAY, [310, 900, 950, 1_000, 980])
        let first = InProgressBucket(start: utc(2024, 4, 1), end: utc(2024, 4, 8), width: QueryDuration(milliseconds: 7 * DAY),
                                     cutAtStart: true)
        let chart = Chart(QueryResult(series: [s], partialFirst: first))
        let line = try #require(chart.panels.first?.lines.first)
        #expect(line.points.map(\.inProgress) == [true, false, false, false, false])
        #expect(chart.subtitle.contains("first 1w bucket cut by the range's start"), "\(chart.subtitle)")
        #expect(line.summary.min == 900)
        let svg = chart.svg()
        #expect(svg.ranges(of: "<circle class=\"in-progress\"").count == 1)
        #expect(svg.contains("partial: the range starts inside this bucket"))
        #expect(chart.json().ranges(of: "\"partial\": true").count == 1)
    }

    /// Two weekly bars, the first cut by the range's start and the last in progress: each is marked by its own
    /// bucket, though a bar centred on its scan reaches back into its neighbour's bucket.
    @Test func eachBarIsMarkedByItsOwnPartBucket() throws {
        let week = 7 * DAY
        let times = [utc(2024, 4, 29), utc(2024, 5, 6)]
        let outcomes = ["fail", "pass"].map { ResultSeries(metric: "outcomes", labels: ["outcome": $0], times: times, values: [1, 2]) }
        let first = InProgressBucket(start: times[0], end: times[1], width: QueryDuration(milliseconds: week), cutAtStart: true)
        let last = InProgressBucket(start: times[1], end: times[1] + week, width: QueryDuration(milliseconds: week))
        let chart = Chart(QueryResult(series: outcomes, inProgress: last, partialFirst: first))
        let bars = try #require(chart.panels.first?.bars?.bars)
        #expect(bars.map(\.partialBucket) == [first, last])
        let json = chart.json()
        #expect(json.ranges(of: "\"partial\": true").count == 1 && json.ranges(of: "\"in_progress\": true").count == 1)
        #expect(chart.svg().contains("partial: the range starts inside this bucket"))
    }

    @Test func aBarOfABucketInProgressIsPaler() throws {
        var outcomes = outcomeSeries()
        let last = try #require(outcomes.first?.times.last)
        let bucket = InProgressBucket(start: last, end: last + DAY, width: QueryDuration(milliseconds: DAY))
        let chart = Chart(QueryResult(series: outcomes, inProgress: bucket))
        let bars = try #require(chart.panels.first?.bars?.bars)
        #expect(bars.filter(\.inProgress).map(\.time) == [last])
        // One bar per scan is centred on its scan, as the line's points above it are.
        #expect(bars.allSatisfy { $0.start < $0.time && $0.time < $0.end && $0.time - $0.start == $0.end - $0.time })
        #expect(chart.json().ranges(of: "\"in_progress\": true").count == 1)
        #expect(chart.svg().ranges(of: "<g class=\"in-progress\" fill-opacity=\"0.45\">").count == 1)
        #expect(chart.subtitle.contains("last 1d bucket in progress"))
        // Vega-Lite: the rows of the bar say so, and an opacity condition makes them paler.
        let vega = chart.vegaLite()
        #expect(vega.ranges(of: "\"in_progress\": true").count == bars.last!.counts.count)
        #expect(vega.contains("\"test\": \"datum.in_progress === true || datum.partial === true || isValid(datum.usual_timestamps)\", \"value\": 0.45"))
        outcomes = outcomes.map { var s = $0; s.times.removeLast(); s.values.removeLast(); return s }
        #expect(!Chart(QueryResult(series: outcomes, inProgress: bucket)).svg().contains("in-progress"),
                "no bar in the bucket, nothing marked")
    }

    /// Summed per week, three years of daily scans from a Wednesday begin and end with weeks the data covers only
    /// part of: those two bars are paler and say how many scans they sum of the usual seven.
    @Test func summedBarsAtTheEndsTheDataCoversInPartArePaler() throws {
        let start = utc(2024, 5, 1, 6)   // a Wednesday
        let times = (0..<1_095).map { start + Int64($0) * DAY }
        let outcomes = ["fail", "pass"].map { outcome in
            ResultSeries(metric: "outcomes", labels: ["outcome": outcome], times: times, values: times.map { _ in outcome == "pass" ? 5 : 0 })
        }
        let chart = Chart(QueryResult(series: outcomes), spec: ChartSpec(width: 400, height: 240))
        let bars = try #require(chart.panels.first?.bars)
        #expect(bars.interval?.description == "1w", "\(String(describing: bars.interval))")
        let short = bars.bars.indices.filter { bars.bars[$0].usualTimestamps != nil }
        #expect(short == [0, bars.bars.count - 1], "\(short)")
        #expect(bars.bars.first!.timestamps < 7 && bars.bars.first!.usualTimestamps == 7)
        #expect(bars.bars.dropFirst().dropLast().allSatisfy { $0.timestamps == 7 && !$0.isPartial })
        let svg = chart.svg()
        #expect(svg.ranges(of: "<g class=\"in-progress\" fill-opacity=\"0.45\">").count == 2)
        #expect(svg.contains("partial: \(bars.bars.last!.timestamps) of the usual 7 timestamps"))
        #expect(chart.subtitleLines.joined(separator: " ").contains("paler: a 1w the data covers only part of"))
        #expect(chart.json().ranges(of: "\"usual_timestamps\": 7").count == 2)
        let vega = chart.vegaLite()
        #expect(vega.contains("isValid(datum.usual_timestamps)") && vega.contains("\"usual_timestamps\": 7"), "Vega-Lite pales them too")
        // One bar per scan: nothing to compare, nothing marked.
        #expect(!Chart(QueryResult(series: outcomeSeries())).svg().contains("in-progress"))
    }
}
