import Foundation
import Testing
import TallyQuery
@testable import TallyCharts

/// `count` daily values and then `horizon` forecast points (null values with an expected value and range), as
/// `| forecast` appends them; with `annotatedHistory` the history has expected values and ranges too (as after
/// `| anomalies`).
func forecastSeries(_ labels: Labels, base: Double, count: Int = 30, horizon: Int = 10, annotatedHistory: Bool) -> ResultSeries {
    let history: [Double] = (0..<count).map { base + Double($0) * 20 + Double(($0 * 7) % 5) * 30 }
    let total = count + horizon
    var s = series("row_count", labels, history + [Double](repeating: NULL, count: horizon))
    let expected: [Double] = (0..<total).map { base + Double($0) * 20 + 60 }
    let spread: [Double] = (0..<total).map { $0 < count ? 150 : 150 + Double($0 - count) * 25 }
    s.expected = (0..<total).map { annotatedHistory || $0 >= count ? expected[$0] : NULL }
    s.lower = (0..<total).map { annotatedHistory || $0 >= count ? expected[$0] - spread[$0] : NULL }
    s.upper = (0..<total).map { annotatedHistory || $0 >= count ? expected[$0] + spread[$0] : NULL }
    s.reasons = (0..<total).map { $0 >= count ? "forecast; trend" : nil }
    return s
}

@Suite struct ForecastTests {
    @Test func forecastPointsAreDrawnAfterTheLastValue() {
        let s = forecastSeries(["dataset": "orders"], base: 1_000, annotatedHistory: false)
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 800))
        let line = chart.panels[0].lines[0]
        // Every forecast point survives shaping, marked as such, after the history.
        let forecast = line.points.filter(\.forecast)
        #expect(forecast.map(\.time) == Array(s.times[30...]))
        #expect(forecast.allSatisfy { $0.value == nil && $0.expected != nil && $0.lower != nil && $0.upper != nil })
        #expect(line.points.prefix { !$0.forecast }.count == 30)
        #expect(line.hasForecast)
        // The figures describe the series' own points; the subtitle counts the forecast apart.
        #expect(line.summary.points == 30 && line.summary.missing == 0 && line.summary.forecastPoints == 10)
        #expect(line.summary.lastTime == s.times[29] && line.summary.lastValue == s.values[29])
        #expect(chart.subtitle.hasSuffix("30 points · 10 forecast points"))
        // The time axis reaches the last forecast point.
        #expect(chart.panels[0].xAxis.max >= s.times.last!)

        let svg = chart.svg()
        let band = try! #require(svg.split(separator: "\n").first { $0.hasPrefix("<path class=\"band\"") })
        // The band covers the 10 forecast points: its upper edge (M + 9 L), then the lower edge back (10 L) and Z.
        #expect(band.filter { $0 == "L" }.count == 19)
        let expected = try! #require(svg.split(separator: "\n").first { $0.hasPrefix("<path class=\"expected\"") })
        // The dashed line starts at the last value (the history has no expected values) and runs through the forecast.
        let panel = chart.panels[0]
        let start = "M" + ChartText.coordinate(panel.x(s.times[29])) + " " + ChartText.coordinate(panel.y(s.values[29]))
        #expect(expected.contains("d=\"" + start + "L"))
        #expect(expected.filter { $0 == "L" }.count == 10)
        // A dotted line at the first forecast point marks where the prediction begins.
        let marker = try! #require(svg.split(separator: "\n").first { $0.hasPrefix("<g class=\"forecast-start\"") })
        #expect(marker.contains("x1=\"" + ChartText.coordinate(panel.x(s.times[30])) + "\"") && marker.contains(">forecast</text>"))
        #expect(!Chart(QueryResult(series: [series("m", [1, 2, 3])])).svg().contains("forecast-start"))
        // The legend explains both.
        #expect(chart.legend.map(\.label) == ["row_count", "expected", "expected range"])
        // The JSON marks the forecast points.
        let json = chart.json()
        #expect(json.components(separatedBy: "\"forecast\": true").count - 1 == 10)
        #expect(isValidJSON(json))
    }

    @Test func aLongForecastIsThinnedWithTheHistory() {
        var s = forecastSeries(["dataset": "orders"], base: 1_000, count: 2_000, horizon: 1_000, annotatedHistory: true)
        s.anomaly = (0..<3_000).map { $0 == 1_500 }
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 600))
        let line = chart.panels[0].lines[0]
        let pixels = Int(chart.panels[0].plot.width)
        #expect(line.points.count <= pixels)
        let forecast = line.points.filter(\.forecast)
        // A third of the points, a third of the budget (within rounding); its first and last points kept.
        #expect(abs(forecast.count - pixels / 3) <= 2)
        #expect(forecast.first?.time == s.times[2_000] && forecast.last?.time == s.times[2_999])
        #expect(line.anomalies.map(\.time) == [s.times[1_500]])
    }

    @Test func aSeriesWithoutValuesIsNotAForecast() {
        var s = series("m", [NULL, NULL, NULL])
        s.expected = [1, 2, 3]
        #expect(Chart.forecastStart(s) == 3)
        #expect(Chart.forecastStart(series("m", [1, 2, NULL])) == 3)   // a trailing gap without expectations
    }
}

@Suite struct LegendColourTests {
    @Test func theBandSwatchHasTheBandsColours() {
        let a = forecastSeries(["dataset": "orders"], base: 1_000, annotatedHistory: true)
        let b = forecastSeries(["dataset": "payments"], base: 3_000, annotatedHistory: true)
        let plain = series("row_count", ["dataset": "refunds"], (0..<40).map { 500 + Double($0) })
        let chart = Chart(QueryResult(series: [a, plain, b]))
        let lines = chart.panels[0].lines
        let band = try! #require(chart.legend.first { $0.symbol == .band })
        // The bands are drawn in their series' colours, and so is the swatch: no grey.
        let withBands = lines.filter(\.hasBand).map(\.color)
        #expect(withBands == [ChartStyle.palette[0], ChartStyle.palette[2]])
        #expect(band.colors == withBands && band.color == withBands[0])
        #expect(chart.legend.first { $0.symbol == .dashed }?.colors == withBands)
        let svg = chart.svg()
        let legend = svg.components(separatedBy: "<g class=\"legend\"")[1].components(separatedBy: "</g>")[0]
        let swatch = legend.split(separator: "\n").first { $0.hasSuffix(">expected range</text>") }!
        #expect(swatch.components(separatedBy: "<rect").count - 1 == 2)
        for color in withBands { #expect(swatch.contains("fill=\"\(color)\"")) }
        #expect(!svg.contains("#7f7f7f"))
        #expect(chart.json().contains("\"colors\": [\"\(withBands[0])\", \"\(withBands[1])\"]"))
        // A lone series: one swatch in its colour.
        let single = Chart(QueryResult(series: [a]))
        #expect(single.legend.first { $0.symbol == .band }?.colors == [ChartStyle.palette[0]])
    }
}
