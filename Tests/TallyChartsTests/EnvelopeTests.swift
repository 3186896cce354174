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
        #expect(chart.legend.contains { $0.symbol == .envelope && $0.label == "mean, min–max per 1d" })
        let svg = chart.svg()
        let band = try #require(svg.split(separator: "\n").first { $0.contains("class=\"envelope\"") })
        #expect(band.filter { $0 == "Z" }.count == 2, "the band breaks over the days without scans")
        #expect(chart.json().contains("\"envelope\": {\"interval\": \"1d\", \"columns\": ["))
    }

    @Test func aLineWithFewPointsPerPixelIsDrawnThroughItsPoints() throws {
        // Three months of hourly scans: about three points per pixel column, still a readable wave.
        var s = hourlyYear()
        s = ResultSeries(metric: s.metric, labels: s.labels, times: Array(s.times[..<2_000]), values: Array(s.values[..<2_000]))
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
        let svg = chart.svg()
        let dashed = try #require(svg.split(separator: "\n").first { $0.contains("<path class=\"in-progress\"") })
        #expect(dashed.filter { $0 == "L" }.count == 1, "one segment, from the last whole point")
        #expect(svg.ranges(of: "<circle class=\"in-progress\"").count == 1)
        #expect(chart.json().ranges(of: "\"in_progress\": true").count == 1)
        // Without the bucket, the same line is drawn whole.
        let whole = Chart(QueryResult(series: [s]))
        #expect(!whole.svg().contains("in-progress") && !whole.subtitle.contains("in progress"))
    }

    @Test func aBarOfABucketInProgressIsPaler() throws {
        var outcomes = outcomeSeries()
        let last = try #require(outcomes.first?.times.last)
        let bucket = InProgressBucket(start: last, end: last + DAY, width: QueryDuration(milliseconds: DAY))
        let chart = Chart(QueryResult(series: outcomes, inProgress: bucket))
        let bars = try #require(chart.panels.first?.bars?.bars)
        #expect(bars.filter(\.inProgress).map(\.start) == [last])
        #expect(chart.json().ranges(of: "\"in_progress\": true").count == 1)
        #expect(chart.svg().ranges(of: "<g class=\"in-progress\" fill-opacity=\"0.45\">").count == 1)
        #expect(chart.subtitle.contains("last 1d bucket in progress"))
        outcomes = outcomes.map { var s = $0; s.times.removeLast(); s.values.removeLast(); return s }
        #expect(!Chart(QueryResult(series: outcomes, inProgress: bucket)).svg().contains("in-progress"),
                "no bar in the bucket, nothing marked")
    }
}
