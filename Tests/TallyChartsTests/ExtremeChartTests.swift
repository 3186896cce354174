import Foundation
import TallyEncoding
import TallyQuery
import TallyStorage
import Testing
@testable import TallyCharts

/// Charts of results at the limits: times at the ends of the range of `Int64` milliseconds, values near the largest
/// and smallest doubles, sizes past the documented ones. Every format renders, and every coordinate is a number.
@Suite struct ExtremeChartTests {
    /// The latest time a point can have (`Int64.max` is the end of every range).
    let latest = Int64.max - 1

    /// The numbers of the SVG's coordinates and sizes (attributes and path data); text that is no number (`nan`,
    /// `inf`) comes out as NaN, so the callers' finiteness checks see it.
    func coordinates(_ svg: String) -> [Double] {
        var out: [Double] = []
        for match in svg.matches(of: /\s(?:x|y|x1|x2|y1|y2|cx|cy|width|height)="([^"]*)"/) {
            out.append(Double(match.1) ?? .nan)
        }
        for match in svg.matches(of: /\sd="([^"]*)"/) {
            out += match.1.split(whereSeparator: { "MLZ ".contains($0) }).map { Double($0) ?? .nan }
        }
        return out
    }

    /// Renders every format and checks that the SVG draws inside the figure (`inside`) or at least with finite
    /// numbers, that the JSON formats parse, and that the time ticks are ordered and on the axis.
    @discardableResult
    func render(_ series: [ResultSeries], inside: Bool = true, _ context: String) -> Chart {
        let chart = Chart(QueryResult(series: series), spec: ChartSpec(title: context))
        let svg = chart.svg()
        for v in coordinates(svg) {
            #expect(v.isFinite, "\(context): \(v)")
            if inside { #expect(v >= -1 && v <= Double(max(chart.width, chart.height)) + 1, "\(context): \(v)") }
        }
        #expect(isValidJSON(chart.json()), "\(context)")
        #expect(isValidJSON(chart.vegaLite()), "\(context)")
        #expect(chart.html().contains("<svg"), "\(context)")
        for panel in chart.panels {
            let times = panel.xAxis.ticks.map(\.time)
            #expect(times == times.sorted() && Set(times).count == times.count, "\(context): \(times)")
            #expect(times.allSatisfy { $0 >= panel.xAxis.min && $0 <= panel.xAxis.max }, "\(context)")
            #expect(panel.yAxis.ticks.allSatisfy { $0.value.isFinite }, "\(context)")
        }
        return chart
    }

    func line(_ times: [Int64], _ values: [Double]) -> ResultSeries {
        ResultSeries(metric: "m", labels: Labels(), times: times, values: values)
    }

    func outcomes(_ times: [Int64], _ count: Double = 1) -> [ResultSeries] {
        ["fail", "pass"].map { ResultSeries(metric: "outcomes", labels: ["outcome": $0], times: times,
                                            values: times.map { _ in count }) }
    }

    @Test func linesAtTheEndsOfTheRangeOfTimes() {
        // The axis of a lone point is padded by an hour each way, and a range from Int64.min to Int64.max is
        // wider than an Int64: both trapped.
        render([line([latest], [1])], "the latest time")
        render([line([.min], [1])], "the earliest time")
        render([line([latest - 3 * DAY, latest], [1, 2])], "the last days")
        render([line([.min, .min + 3 * DAY], [1, 2])], "the first days")
        let whole = render([line([.min, 0, 1, latest], [1, NULL, 2, 3])], "the whole range")
        #expect(whole.subtitle.hasPrefix("-292275055-05-16 – +292278994-08-17 UTC"))
        let ticks = whole.panels[0].xAxis.ticks.map(\.label)
        #expect(ticks.count >= 3 && ticks.contains("+100000000"), "\(ticks)")
    }

    @Test func outcomeBarsAtTheEndsOfTheRangeOfTimes() {
        for (times, context) in [([latest], "the latest time"), ([.min, latest], "both ends"),
                                 ([.min, 0, 1, 2, latest], "summed over the whole range")] {
            let chart = render(outcomes(times), context)
            let bars = chart.panels[0].bars!.bars
            #expect(bars.reduce(0) { $0 + $1.counts.reduce(0, +) } == Double(2 * times.count), "\(context)")
            #expect(bars.allSatisfy { $0.start <= $0.end }, "\(context)")
        }
    }

    @Test func valuesNearTheLargestDoubleAreDrawnInsideThePlot() {
        // Ticks rounded out to ±2e308 were infinite, and so were the positions of the points.
        for (low, high) in [(-1.7e308, 1.7e308), (-Double.greatestFiniteMagnitude, Double.greatestFiniteMagnitude),
                            (0, Double.greatestFiniteMagnitude), (1e300, 1.7e308)] {
            let chart = render([line([0, 1000], [low, high])], "\(low)…\(high)")
            let axis = chart.panels[0].yAxis
            #expect(axis.min <= low && axis.max >= high && axis.ticks.count >= 2, "\(axis)")
        }
        var band = line([0, 1000, 2000], [1, 2, 3])
        band.lower = [1, -1e308, 0]
        band.upper = [1e308, 1e308, 5]
        band.expected = [1, 2, 3]
        render([band], "a band of ±1e308")
    }

    @Test func stacksSummedPastTheLargestDoubleDoNotTrap() {
        // Two outcomes of 1e308 stack to infinity, which no axis holds; the bar is drawn off the plot, finitely.
        render(outcomes([0, 1000], 1e308), inside: false, "infinite stacks")
    }

    @Test func tinyValuesGetTickLabelsThatTellThemApart() {
        // Past 12 decimals every label read "0.000000000000".
        for (low, high) in [(2e-14, 3e-14), (1e-20, 5e-20), (5e-324, 1e-323), (-3e-15, 3e-15)] {
            let axis = ValueAxis.nice(low: low, high: high, maxTicks: 6)
            let labels = axis.ticks.map(\.label)
            #expect(Set(labels).count == labels.count && labels.count >= 2, "\(low)…\(high): \(labels)")
            #expect(axis.min <= low && axis.max >= high, "\(low)…\(high)")
        }
        #expect(ValueAxis.nice(low: 2e-14, high: 3e-14, maxTicks: 6).ticks.map(\.label).contains("2.4e-14"))
        render([line([0, 1000], [5e-324, 1e-323])], "subnormal values")
    }

    @Test func yearsOutside0000To9999AreWrittenAsTallyWritesThem() {
        let bc = render([line([TimeText.parse("-0044-03-15T00:00:00Z")!, TimeText.parse("-0043-03-15T00:00:00Z")!], [1, 2])],
                        "45 BC")
        #expect(bc.subtitle.hasPrefix("-0044-03-15 – -0043-03-15 UTC"), "\(bc.subtitle)")   // was -44-03-15
        #expect(bc.panels[0].xAxis.ticks.map(\.label).contains("-0043"))
        let future = render([line([TimeText.parse("+10000-01-01T06:00:00Z")!], [1])], "year 10000")
        #expect(future.subtitle.hasPrefix("+10000-01-01 06:00 UTC"), "\(future.subtitle)")
    }

    @Test func tickIntervalsAtTheEndsOfTime() {
        for interval in TickInterval.ladder {
            // The interval holding the earliest time starts before it; the one after the latest ends past it.
            #expect(interval.floor(.min) == .min, "\(interval)")
            #expect(interval.floor(latest) <= latest, "\(interval)")
            #expect(interval.next(after: interval.floor(latest)) > latest, "\(interval)")
            #expect(interval.next(after: .min) > .min, "\(interval)")
            for (from, to) in [(Int64.min, Int64.min + 400 * DAY), (latest - 400 * DAY, Int64.max)] {
                let ticks = interval.instants(from: from, to: to, limit: 50)
                #expect(ticks.count <= 51 && ticks == ticks.sorted() && Set(ticks).count == ticks.count, "\(interval)")
                #expect(ticks.allSatisfy { $0 >= from && $0 <= to }, "\(interval)")
                #expect(ticks.allSatisfy { interval.floor($0) == $0 }, "\(interval): ticks start their intervals")
            }
        }
        let axis = TimeAxis.fitting(from: .min, to: .max, plotLeft: 60, plotWidth: 720, figureWidth: 800)
        #expect(axis.ticks.count >= 3, "\(axis.interval)")
    }

    @Test func labelsWithCharactersXMLForbidsGiveWellFormedSVG() {
        // U+FFFE and U+FFFF are valid UTF-8 (a label can hold them) but no XML character: the SVG did not parse.
        #expect(ChartText.xml("a\u{FFFF}b\u{FFFE}c\u{01}d\u{FFFD}") == "a b c d\u{FFFD}")
        let s = ResultSeries(metric: "m", labels: ["dataset": "x\u{FFFF}y", "k": "1"], times: [0, DAY], values: [1, 2])
        let t = ResultSeries(metric: "m", labels: ["dataset": "x\u{FFFE}y", "k": "2"], times: [0, DAY], values: [2, 3])
        let chart = Chart(QueryResult(series: [s, t]), spec: ChartSpec(title: "m{dataset=\"x\u{FFFF}\"}"))
        for text in [chart.svg(), chart.html()] {
            #expect(!text.unicodeScalars.contains { $0.value == 0xFFFE || $0.value == 0xFFFF })
        }
    }

    @Test func sizesPastTheDocumentedRangeAreTakenAsItsEnds() {
        // A width of Int.max trapped converting pixels (and would have asked for millions of time ticks).
        let spec = ChartSpec(width: .max, height: .max)
        #expect(spec.width == 10_000 && spec.height == 10_000)
        #expect(ChartSpec(width: 0, height: -5).width == 240 && ChartSpec(width: 0, height: -5).height == 160)
        let chart = Chart(QueryResult(series: [line((0..<1000).map { Int64($0) * DAY }, (0..<1000).map(Double.init))]),
                          spec: spec)
        #expect(chart.width == 10_000 && chart.panels[0].xAxis.ticks.count >= 2)
    }
}
