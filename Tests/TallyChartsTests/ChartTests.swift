import Foundation
import Testing
import TallyQuery
import TallyStorage
@testable import TallyCharts

@Suite struct GoldenTests {
    static func smallMultiples() -> QueryResult {
        var all: [ResultSeries] = []
        for k in 0..<8 {
            let values: [Double] = (0..<52).map { w in Double(600 + (w * (k + 5)) % 43 * 60) }
            all.append(series("freshness", Labels(["dataset": "t\(k)"]), start: utc(2024, 1, 1), step: 7 * DAY, values))
        }
        return QueryResult(series: all)
    }

    static let cases: [(name: String, result: QueryResult, spec: ChartSpec)] = [
        ("line-band-anomaly.svg", QueryResult(series: [annotatedRowCounts()]),
         ChartSpec(title: #"row_count{dataset="orders"} | anomalies"#, width: 720, height: 300, units: .single("rows"))),
        ("outcomes.svg", QueryResult(series: outcomeSeries()),
         ChartSpec(title: "check | since 14d | outcomes", width: 640, height: 260)),
        ("three-series.svg", QueryResult(series: threeHourlySeries()),
         ChartSpec(title: "row_count | since 2d", width: 800, height: 320, units: .perSeries(["row_count": "rows"]))),
        ("small-multiples.svg", smallMultiples(),
         ChartSpec(title: "freshness | since 1y", width: 900, height: 300, units: .single("s"))),
        ("forecast-two-series.svg",
         QueryResult(series: [forecastSeries(["dataset": "orders"], base: 1_000, annotatedHistory: true),
                              forecastSeries(["dataset": "payments"], base: 3_000, annotatedHistory: false)]),
         ChartSpec(title: "row_count | since 30d | anomalies | forecast 10d", width: 720, height: 300, units: .single("rows"))),
    ]

    @Test(arguments: cases.indices)
    func svgMatchesTheGoldenFile(index: Int) throws {
        let c = GoldenTests.cases[index]
        let svg = Chart(c.result, spec: c.spec).svg()
        let check = try checkGolden(c.name, svg)
        #expect(check.matches, "\(check.message)")
    }
}

@Suite struct ChartTests {
    let annotated = QueryResult(series: [annotatedRowCounts()])

    @Test func renderingIsDeterministic() {
        let inputs = [annotated, QueryResult(series: outcomeSeries()), QueryResult(series: threeHourlySeries()),
                      QueryResult(series: outcomeSeries(labels: ["dataset": "a"]) + outcomeSeries(labels: ["dataset": "b"]))]
        for result in inputs {
            let spec = ChartSpec(title: "q", width: 700, height: 280, units: .single("rows"))
            let a = Chart(result, spec: spec), b = Chart(result, spec: spec)
            #expect(a == b)
            for format in ChartFormat.allCases {
                #expect(Array(a.render(format).utf8) == Array(b.render(format).utf8), "\(format) differs between runs")
            }
        }
    }

    @Test func htmlHasNoExternalReferences() {
        let page = ChartPage.html(title: "report <&>", charts: [Chart(annotated), Chart(QueryResult(series: outcomeSeries()))],
                                  introduction: "see https://example.com")   // text, escaped, but still a URL
        let single = Chart(annotated, spec: ChartSpec(title: "x")).html()
        for html in [single] {
            let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
            #expect(!withoutNamespace.contains("http://") && !withoutNamespace.contains("https://"))
            #expect(!html.contains("<script") && !html.contains("<link") && !html.contains("src=") && !html.contains("@import"))
            #expect(html.contains("<svg"))
        }
        // The introduction is the caller's text; the page itself adds no references.
        let adds = page.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
            .replacingOccurrences(of: "see https://example.com", with: "")
        #expect(!adds.contains("http://") && !adds.contains("https://"))
        #expect(page.contains("report &lt;&amp;&gt;"))
        #expect(page.components(separatedBy: "<svg").count == 3)
    }

    @Test func nullsBreakTheLine() {
        let s = series("m", [1, 2, 3, NULL, 5, 6, NULL, 8, NULL, NULL, 9, 10])
        let chart = Chart(QueryResult(series: [s]))
        let svg = chart.svg()
        let path = svg.split(separator: "\n").first { $0.hasPrefix("<path d=\"M") }!
        // Three runs of two or more points: three subpaths; the lone 8 is a dot.
        #expect(path.filter { $0 == "M" }.count == 3)
        #expect(svg.contains("<circle cx=") && svg.contains("r=\"2.2\""))
        // Without nulls, one subpath.
        let whole = Chart(QueryResult(series: [series("m", [1, 2, 3, 4])])).svg()
        #expect(whole.split(separator: "\n").first { $0.hasPrefix("<path d=\"M") }!.filter { $0 == "M" }.count == 1)
        // The JSON keeps the gaps as null values.
        #expect(chart.json().contains("\"value\": null"))
    }

    @Test func bandAndAnomalyMarkersAppearWithAnnotations() {
        let chart = Chart(annotated, spec: ChartSpec(title: "orders", units: .single("rows")))
        let svg = chart.svg()
        #expect(svg.contains("class=\"band\""))
        #expect(svg.contains("class=\"expected\""))
        #expect(svg.contains("class=\"anomalies\""))
        let tooltip = svg.components(separatedBy: "class=\"anomalies\"")[1].components(separatedBy: "</g>")[0]
        #expect(tooltip.components(separatedBy: "<circle").count == 2)   // one anomaly
        #expect(tooltip.contains("2024-04-10 06:00 UTC"))
        #expect(tooltip.contains("value: 150 rows"))
        #expect(tooltip.contains("expected: 9,800 rows"))
        #expect(tooltip.contains("expected range: 8,900–10,700 rows"), "as the reason writes a range")
        #expect(tooltip.contains("reason: value below the expected range"))
        #expect(chart.legend.map(\.label) == ["row_count", "expected", "expected range", "anomaly"])
        #expect(chart.panels[0].lines[0].name == #"row_count{dataset="orders"}"#)
        // Without annotations: none of them.
        let plain = Chart(QueryResult(series: [series("m", [1, 2, 3])])).svg()
        #expect(!plain.contains("class=\"band\"") && !plain.contains("class=\"anomalies\"") && !plain.contains("class=\"expected\""))
        // A model still in its cold start has its columns but nothing in them: no legend items for them, and the
        // subtitle says why.
        var cold = series("m", [1, 2, 3])
        let null = columnValue(nil)
        cold.expected = [null, null, null]; cold.lower = cold.expected; cold.upper = cold.expected
        cold.anomaly = [false, false, false]
        cold.reasons = ["needs 5 more points", "needs 4 more points", "needs 3 more points"]
        let coldChart = Chart(QueryResult(series: [cold]))
        #expect(!coldChart.legend.map(\.label).contains("expected") && !coldChart.legend.map(\.label).contains("expected range"),
                "\(coldChart.legend.map(\.label))")
        #expect(coldChart.subtitleLines.joined(separator: " ").contains("no expected range yet: needs 3 more points"), "\(coldChart.subtitleLines)")
        #expect(!chart.subtitleLines.joined().contains("no expected range"))
        // Beside a series that has one, the legend's expected symbols take only that series' colour.
        var judged = series("n", [5, 6, 7])
        judged.expected = [5, 6, 7]; judged.lower = [4, 5, 6]; judged.upper = [6, 7, 8]; judged.anomaly = [false, false, false]
        let mixed = Chart(QueryResult(series: [cold, judged]))
        #expect(mixed.legend.first { $0.label == "expected" }?.colors == [ChartStyle.palette[1]], "\(mixed.legend)")
        #expect(mixed.legend.first { $0.label == "expected range" }?.colors == [ChartStyle.palette[1]])
        // Integer values over a short range: whole-number ticks.
        #expect(coldChart.panels[0].yAxis.ticks.allSatisfy { $0.value == $0.value.rounded() }, "\(coldChart.panels[0].yAxis.ticks)")
        // The JSON carries the annotation columns.
        let json = chart.json()
        #expect(json.contains("\"lower\": 11300.0") && json.contains("\"anomaly\": true") && json.contains("\"expected\": 12200.0"))
        #expect(isValidJSON(json))
    }

    /// A check series' line marks the scans that warned, failed or errored, in the outcome's colour, with a legend
    /// entry and the outcome in the JSON; passes are plain points, and a measurement series has no such marks. The
    /// marks survive the shaping of a long history.
    @Test func checkProblemsAreMarkedOnALine() {
        var check = series("check", ["check": "rows > 0"], Array(repeating: 1, count: 3_000))
        check.outcomes = [UInt8](repeating: Outcome.pass.rawValue, count: 3_000)
        check.outcomes![1_234] = Outcome.fail.rawValue
        check.outcomes![2_000] = Outcome.warn.rawValue
        let chart = Chart(QueryResult(series: [check]), spec: ChartSpec(title: "a check"))
        let svg = chart.svg()
        let marks = svg.components(separatedBy: "class=\"check-outcomes\"")[1].components(separatedBy: "</g>")[0]
        #expect(marks.components(separatedBy: "<rect").count == 3, "\(marks)")
        #expect(marks.contains("class=\"fail\"") && marks.contains(ChartStyle.outcomeColors["fail"]!))
        #expect(marks.contains("class=\"warn\"") && marks.contains("Check fail in"))
        #expect(chart.legend.map(\.label).contains("check fail") && chart.legend.map(\.label).contains("check warn"))
        #expect(chart.legend.first { $0.label == "check fail" }?.symbol == .bar, "a square, as the marks on the line")
        #expect(!chart.legend.map(\.label).contains("check error"))
        #expect(chart.json().contains("\"outcome\": \"fail\"") && isValidJSON(chart.json()))
        #expect(!Chart(QueryResult(series: [series("m", [1, 2, 3])])).svg().contains("check-outcomes"))
    }

    /// A scan that errored usually has no value (Soda sends none): the line has a gap there, and the error is still
    /// marked, on the plot's floor, in a short history and after the shaping of a long one, also as the latest scan.
    @Test func erroredScansWithoutAValueAreMarkedOnTheFloor() {
        for count in [12, 3_000] {
            var check = series("check", ["check": "rows > 0"], (0..<count).map { Double($0 % 5) })
            check.outcomes = [UInt8](repeating: Outcome.pass.rawValue, count: count)
            for i in [count / 3, count / 3 + 1, count - 1] {
                check.values[i] = NULL
                check.outcomes![i] = Outcome.error.rawValue
            }
            let chart = Chart(QueryResult(series: [check]), spec: ChartSpec(title: "a check"))
            let marks = chart.svg().components(separatedBy: "class=\"check-outcomes\"")[1].components(separatedBy: "</g>")[0]
            let rects = marks.components(separatedBy: "<rect").dropFirst()
            #expect(rects.count == 3, "\(count) points: \(marks)")
            let panel = chart.panels[0]
            // Each square's top is 8 px above the floor: inside the plot, on its bottom edge.
            let floorY = ChartText.coordinate(panel.plot.maxY - 8)
            #expect(rects.allSatisfy { $0.contains("class=\"error\"") && $0.contains("y=\"\(floorY)\"") && $0.contains("value: none") },
                    "\(count) points: \(marks)")
            #expect(chart.legend.map(\.label).contains("check error"))
            #expect(panel.lines[0].droppedMarks == 0)
        }
    }

    /// A short span gives both ends to the precision either needs, so that they never look equal or differ in form.
    @Test func shortSpansShowBothEndsToOnePrecision() {
        let start = utc(2026, 3, 1, 23) + 50 * MINUTE
        #expect(Chart.spanText(start, start + 343) == "2026-03-01 23:50:00.000 – 23:50:00.343 UTC")
        #expect(Chart.spanText(start, start + 49_000) == "2026-03-01 23:50:00 – 23:50:49 UTC")
        #expect(Chart.spanText(start, start + 20 * MINUTE) == "2026-03-01 23:50 – 2026-03-02 00:10 UTC")
        #expect(Chart.spanText(start + 7, start + 7) == "2026-03-01 23:50:00.007 UTC")
        #expect(Chart.spanText(start, start + 3 * DAY) == "2026-03-01 – 2026-03-04 UTC")
    }

    @Test func anomaliesSurviveShapingOfLongHistories() {
        var s = series("m", start: utc(2020, 1, 1), step: HOUR, (0..<50_000).map { Double($0 % 24) * 10 + 100 })
        s.anomaly = (0..<50_000).map { $0 == 12_345 || $0 == 40_000 }
        let chart = Chart(QueryResult(series: [s]), spec: ChartSpec(width: 600))
        let line = chart.panels[0].lines[0]
        #expect(line.points.count <= Int(chart.panels[0].plot.width))
        #expect(line.anomalies.map(\.time) == [s.times[12_345], s.times[40_000]])
    }

    @Test func outcomeBarsStackToTheCounts() throws {
        let result = QueryResult(series: outcomeSeries())
        let chart = Chart(result, spec: ChartSpec(title: "checks", width: 640, height: 260))
        #expect(chart.kind == .outcomes && chart.layout == .single)
        let panel = chart.panels[0]
        let bars = try #require(panel.bars)
        #expect(bars.outcomes == ["fail", "error", "warn", "pass"])
        #expect(bars.bars.count == 14)
        #expect(bars.bars.allSatisfy { $0.total == 6 })
        #expect(bars.bars[9].counts == [1, 0, 2, 3])
        // In the SVG, the rectangles of each bar stack without gaps or overlaps from the baseline, and their
        // heights are the counts on the axis' scale.
        let rects = barRects(chart.svg())
        #expect(rects.count == bars.bars.reduce(0) { $0 + $1.counts.filter { $0 > 0 }.count })
        let pixelsPerCheck = panel.plot.height / (panel.yAxis.max - panel.yAxis.min)
        var index = 0
        for bar in bars.bars {
            var bottom = panel.y(0)
            var sum = 0.0
            for (k, count) in bar.counts.enumerated() where count > 0 {
                let r = rects[index]
                index += 1
                #expect(r.outcome == bars.outcomes[k] && r.count == count)
                #expect(abs((r.y + r.height) - bottom) <= 0.11)
                bottom = r.y
                sum += r.height
            }
            #expect(abs(sum - bar.total * pixelsPerCheck) <= 0.15, "stack height \(sum) for \(bar.total) checks")
        }
    }

    @Test func outcomeBarsAreSummedPerPixelForLongHistories() throws {
        let times = (0..<5_000).map { utc(2023, 1, 1) + Int64($0) * HOUR }
        let pass = ResultSeries(metric: "outcomes", labels: ["outcome": "pass"], times: times, values: times.map { _ in 3 })
        let fail = ResultSeries(metric: "outcomes", labels: ["outcome": "fail"], times: times,
                                values: times.indices.map { $0 % 100 == 0 ? 2 : 0 })
        let chart = Chart(QueryResult(series: [fail, pass]), spec: ChartSpec(width: 500))
        let bars = try #require(chart.panels[0].bars)
        #expect(bars.bars.count <= Int(chart.panels[0].plot.width))
        #expect(bars.aggregated)
        #expect(bars.bars.reduce(0) { $0 + $1.counts[0] } == 100)
        #expect(bars.bars.reduce(0) { $0 + $1.counts[1] } == 15_000)
        #expect(bars.bars.reduce(0) { $0 + $1.timestamps } == 5_000)
        // The axis holds the tallest summed bar.
        #expect(chart.panels[0].yAxis.max >= bars.bars.map(\.total).max()!)
        #expect(chart.subtitle.contains("summed per 1d into"))
        #expect(bars.interval == .milliseconds(DAY))
        // Summed, a bar counts a day's checks, and the axis says so.
        #expect(chart.panels[0].yAxis.unit == "checks per 1d", "\(String(describing: chart.panels[0].yAxis.unit))")
    }

    /// One failure among a thousand passes is less than a pixel of its bar: it is drawn 2 px tall in its colour, and
    /// a failure that is tall enough is drawn as it is.
    @Test func aFailureTooSmallToSeeIsDrawnTwoPixelsTall() {
        let times = (0..<10).map { utc(2024, 5, 1) + Int64($0) * DAY }
        let pass = ResultSeries(metric: "outcomes", labels: ["outcome": "pass"], times: times, values: times.map { _ in 1_000 })
        let fail = ResultSeries(metric: "outcomes", labels: ["outcome": "fail"], times: times,
                                values: times.indices.map { $0 == 3 ? 1 : ($0 == 6 ? 400 : 0) })
        let svg = Chart(QueryResult(series: [fail, pass]), spec: ChartSpec(width: 600)).svg()
        let marks = svg.components(separatedBy: "class=\"small-outcome\"").count - 1
        #expect(marks == 1, "\(marks)")
        #expect(svg.contains("height=\"2\" fill=\"\(ChartStyle.outcomeColors["fail"]!)\" class=\"small-outcome\""))
    }

    /// Legends name series by the fewest labels that tell them apart; a label with texts (a Soda check's name for
    /// its identity hash) is shown by its text, and its values are written out where two texts are the same.
    @Test func legendsUseLabelTextsAndTheFewestLabels() {
        func check(_ hash: String, _ dataset: String, column: String?) -> ResultSeries {
            var labels = ["check": hash, "dataset": dataset, "datasource": "warehouse"]
            if let column { labels["column"] = column }
            return series("check", Labels(labels), [1, 2, 3])
        }
        let checks = [check("a1", "orders", column: nil), check("b2", "orders", column: "id"),
                      check("c3", "payments", column: nil), check("d4", "payments", column: "id")]
        let texts = ["check": ["a1": "row_count > 0", "b2": "missing_count < 25", "c3": "row_count > 0", "d4": "missing_count < 25"]]
        let named = Chart(QueryResult(series: checks), spec: ChartSpec(labelTexts: texts))
        #expect(named.legend.map(\.label).prefix(4) == ["row_count > 0, dataset=orders", "missing_count < 25, dataset=orders",
                                                        "row_count > 0, dataset=payments", "missing_count < 25, dataset=payments"])
        // The HTML figures table gives the chart's name beside each key, so a row finds its line.
        #expect(named.html().contains("<span class=\"name\">row_count &gt; 0, dataset=orders</span>"))
        // Without texts the hash alone tells them apart.
        #expect(Chart(QueryResult(series: checks)).legend.map(\.label).prefix(4) == ["check=a1", "check=b2", "check=c3", "check=d4"])
        // Two checks with one name and nothing else to tell them apart: the hashes are shown.
        let same = [check("a1", "orders", column: nil), check("e5", "orders", column: nil)]
        let clash = Chart(QueryResult(series: same), spec: ChartSpec(labelTexts: ["check": ["a1": "row_count > 0", "e5": "row_count > 0"]]))
        #expect(clash.legend.map(\.label).prefix(2) == ["check=a1", "check=e5"])
    }

    /// Small multiples share one room for tick labels, so their plots and time axes line up, whatever each
    /// panel's numbers (a count in millions beside one in single digits).
    @Test func smallMultiplesLineUp() {
        let magnitudes: [Double] = [3, 12_345_678, 0.004, 250, 7, 99_999, 1, 42]
        let all = magnitudes.enumerated().map { k, m in series("m", Labels(["k": "\(k)"]), (0..<30).map { m * (1 + Double($0 % 5) / 10) }) }
        let chart = Chart(QueryResult(series: all), spec: ChartSpec(width: 900))
        #expect(chart.layout == .smallMultiples && chart.panels.count == 8)
        let columns = Int(900 / 300)
        func rounded(_ v: Double) -> Double { (v * 100).rounded() / 100 }
        let offsets = chart.panels.enumerated().map { k, p in rounded(p.plot.x - Double(k % columns) * 300) }
        #expect(Set(offsets).count == 1, "\(offsets)")
        #expect(Set(chart.panels.map { rounded($0.plot.width) }).count == 1)
        #expect(Set(chart.panels.map { $0.xAxis.ticks.map(\.label) }).count == 1)
    }

    /// Charts stacked on a page (the dashboard's dataset page) line up once laid out with their shared alignment:
    /// the same plot edge and time span, whatever their numbers and however far each series reaches; an outcome
    /// chart lines up with the line charts.
    @Test func chartsLaidOutWithOneAlignmentLineUp() throws {
        let small = series("a", start: utc(2024, 5, 3), step: DAY, [1, 2, 3, 2, 1])
        let large = series("b", start: utc(2024, 5, 1), step: DAY, [12_345_678, 12_000_000, 13_000_000, 12_500_000])
        let outcomes = QueryResult(series: outcomeSeries())
        let first = [Chart(QueryResult(series: [small])), Chart(QueryResult(series: [large])), Chart(outcomes)]
        #expect(Set(first.map { $0.panels[0].plot.x }).count > 1, "they differ on their own")
        let alignment = try #require(Chart.alignment(of: first))
        let again = [Chart(QueryResult(series: [small]), spec: ChartSpec(alignment: alignment)),
                     Chart(QueryResult(series: [large]), spec: ChartSpec(alignment: alignment)),
                     Chart(outcomes, spec: ChartSpec(alignment: alignment))]
        #expect(Set(again.map { $0.panels[0].plot.x }).count == 1, "\(again.map { $0.panels[0].plot.x })")
        #expect(Set(again.map { $0.panels[0].xAxis.min }).count == 1 && Set(again.map { $0.panels[0].xAxis.max }).count == 1)
        #expect(Chart.alignment(of: [first[0]]) == nil, "one chart has nothing to line up with")
        // The subtitle gives each chart's own points' span, not the shared axis'.
        #expect(again[0].subtitle.hasPrefix("2024-05-03 – 2024-05-07 UTC"), "\(again[0].subtitle)")
        #expect(again[1].subtitle.hasPrefix("2024-05-01 – 2024-05-04 UTC"), "\(again[1].subtitle)")
    }

    /// `outcomes by (dataset)` panels line up too, whatever each group's counts.
    @Test func outcomePanelsLineUp() {
        let times = (0..<10).map { utc(2024, 5, 1) + Int64($0) * DAY }
        func group(_ dataset: String, _ count: Double) -> [ResultSeries] {
            ["pass", "fail"].map { outcome in
                ResultSeries(metric: "outcomes", labels: ["dataset": dataset, "outcome": outcome], times: times,
                             values: times.map { _ in outcome == "pass" ? count : 0 })
            }
        }
        let chart = Chart(QueryResult(series: group("small", 3) + group("large", 3_000_000)), spec: ChartSpec(width: 900))
        #expect(chart.kind == .outcomes && chart.panels.count == 2)
        let columns = 2, panelWidth = 900.0 / Double(columns)   // as many columns as groups, at most width / 300
        let offsets = chart.panels.enumerated().map { k, p in ((p.plot.x - Double(k % columns) * panelWidth) * 100).rounded() }
        #expect(Set(offsets).count == 1, "\(offsets)")
    }

    @Test func severalSeriesShareALegendUpToSixThenSmallMultiples() {
        let six = (0..<6).map { series("m", Labels(["k": "\($0)"]), [1, 2, 3]) }
        let legend = Chart(QueryResult(series: six))
        #expect(legend.kind == .line && legend.layout == .single && legend.panels.count == 1)
        #expect(legend.legend.map(\.label) == (0..<6).map { "k=\($0)" })
        #expect(Set(legend.panels[0].lines.map(\.color)).count == 6)
        let seven = (0..<7).map { series("m", Labels(["k": "\($0)"]), [1, 2, 3]) }
        let multiples = Chart(QueryResult(series: seven), spec: ChartSpec(width: 900))
        #expect(multiples.layout == .smallMultiples && multiples.panels.count == 7)
        #expect(multiples.panels.map(\.title) == (0..<7).map { "k=\($0)" })
        // Panels share the time axis and do not overlap.
        #expect(Set(multiples.panels.map(\.xAxis.min)).count == 1)
        for (a, b) in zip(multiples.panels, multiples.panels.dropFirst()) {
            #expect(a.plot.maxX <= b.plot.x || a.plot.maxY <= b.plot.y)
        }
        #expect(multiples.panels.allSatisfy { $0.plot.maxY <= Double(multiples.height) && $0.plot.maxX <= Double(multiples.width) })
        // Different units never share an axis.
        let mixed = Chart(QueryResult(series: [series("a", [1, 2]), series("b", [3, 4])]),
                          spec: ChartSpec(units: .perSeries(["a": "rows", "b": "seconds"])))
        #expect(mixed.layout == .smallMultiples)
        #expect(mixed.panels.map(\.yAxis.unit) == ["rows", "seconds"])
    }

    @Test func groupedOutcomesBecomeSmallMultiples() {
        let result = QueryResult(series: outcomeSeries(labels: ["dataset": "orders"]) + outcomeSeries(labels: ["dataset": "payments"]))
        let chart = Chart(result)
        #expect(chart.kind == .outcomes && chart.layout == .smallMultiples)
        #expect(chart.panels.map(\.title) == ["dataset=orders", "dataset=payments"])
    }

    @Test func unitsAndTitle() {
        let s = series("row_count", ["dataset": "orders"], [12_000, 12_500, 13_100])
        let byKey = Chart(QueryResult(series: [s]), spec: ChartSpec(title: "orders", units: .perSeries([#"row_count{dataset="orders"}"#: "rows"])))
        #expect(byKey.panels[0].yAxis.unit == "rows")
        #expect(byKey.panels[0].yAxis.ticks.contains { $0.label == "12,400" })
        let svg = byKey.svg()
        #expect(svg.contains(">rows</text>") && svg.contains("<title>orders</title>") && svg.contains(">12,400</text>"))
        let none = Chart(QueryResult(series: [s]))
        #expect(none.panels[0].yAxis.unit == nil)
    }

    @Test func emptyResults() {
        let chart = Chart(QueryResult(series: [ResultSeries(metric: "m", labels: [:])]), spec: ChartSpec(title: "nothing"))
        #expect(chart.kind == .empty && chart.panels.isEmpty)
        #expect(chart.svg().contains("No data"))
        for format in ChartFormat.allCases where format != .svg && format != .html { #expect(isValidJSON(chart.render(format))) }
    }

    @Test func jsonAndVegaLiteAreValidJSON() throws {
        let inputs = [annotated, QueryResult(series: outcomeSeries()), QueryResult(series: threeHourlySeries()),
                      QueryResult(series: (0..<8).map { series("m", Labels(["k": "\($0)"]), [1, NULL, 3]) })]
        for result in inputs {
            let chart = Chart(result, spec: ChartSpec(title: "a \"quoted\" </script> title", units: .single("rows")))
            #expect(isValidJSON(chart.json()))
            let vl = chart.vegaLite()
            #expect(isValidJSON(vl))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(vl.utf8)) as? [String: Any])
            #expect(object["$schema"] as? String == "https://vega.github.io/schema/vega-lite/v5.json")
            let values = try #require((object["data"] as? [String: Any])?["values"] as? [[String: Any]])
            #expect(!values.isEmpty)
        }
        // Vega-Lite breaks lines at gaps through the segment field.
        let vl = Chart(QueryResult(series: [series("m", [1, 2, NULL, 4, 5])])).vegaLite()
        #expect(vl.contains("\"segment\": 0") && vl.contains("\"segment\": 1"))
    }

    @Test func formatsFollowTheExtension() {
        #expect(ChartFormat(path: "out/chart.svg") == .svg)
        #expect(ChartFormat(path: "report.HTML") == .html)
        #expect(ChartFormat(path: "a.json") == .json)
        #expect(ChartFormat(path: "a.vl.json") == .vegaLite)
        #expect(ChartFormat(path: "a.png") == nil)
        #expect(ChartFormat(path: "svg") == nil)
        #expect(ChartFormat(path: ".svg") == nil)
        #expect(ChartFormat(path: "dir.svg/chart") == nil)
    }

    @Test func textIsEscaped() {
        let s = series("m", ["dataset": "<b>&\"x\""], [1, 2])
        let svg = Chart(QueryResult(series: [s]), spec: ChartSpec(title: "a < b & c")).svg()
        #expect(svg.contains("a &lt; b &amp; c"))
        #expect(!svg.contains("<b>"))
        #expect(svg.contains("&lt;b&gt;&amp;"))
    }
}

/// With an `alert` column (a refractory period or the likelihood gate), flags that raise an alert are drawn
/// filled and the silenced ones hollow, in every format.
@Suite struct AlertMarkerTests {
    /// Row counts with three flagged days in a row: only the first raises an alert.
    static func silencedRun() -> ResultSeries {
        var s = annotatedRowCounts()
        s.anomaly = (0..<60).map { (40...42).contains($0) }
        s.alert = (0..<60).map { $0 == 40 }
        s.values[41] = 160
        s.values[42] = 170
        return s
    }

    @Test func anomalyDotsOfSeveralSeriesAreRingedInTheirSeriesColour() throws {
        var other = annotatedRowCounts()
        other.labels = ["dataset": "payments"]
        other.anomaly = (0..<60).map { $0 == 10 || $0 == 40 }
        let chart = Chart(QueryResult(series: [annotatedRowCounts(), other]), spec: ChartSpec(width: 720, height: 300))
        let lines = try #require(chart.panels.first?.lines)
        #expect(lines.count == 2 && lines[0].color != lines[1].color)
        let svg = chart.svg()
        for (line, dots) in zip(lines, [1, 2]) {
            let ring = try #require(svg.range(of: "<g class=\"anomaly-rings\" fill=\"\(line.color)\">"))
            let group = String(svg[ring.lowerBound...]).components(separatedBy: "</g>")[0]
            #expect(group.components(separatedBy: "<circle").count - 1 == dots)
        }
        // A lone series needs no ring: its dots are its own.
        #expect(!Chart(QueryResult(series: [annotatedRowCounts()])).svg().contains("anomaly-rings"))
    }

    @Test func alertsAreFilledAndSilencedFlagsHollow() throws {
        let chart = Chart(QueryResult(series: [Self.silencedRun()]), spec: ChartSpec(title: "q", width: 720, height: 300))
        let line = try #require(chart.panels.first?.lines.first)
        #expect(line.hasAlertColumn)
        #expect(line.anomalies.count == 3)
        #expect(line.anomalies.filter(\.isSilencedAnomaly).count == 2)
        #expect(line.summary.anomalies == 3 && line.summary.alerts == 1)
        let svg = chart.svg()
        let silencedGroup = try #require(svg.range(of: "<g class=\"anomalies-silenced\""))
        let alertGroup = try #require(svg.range(of: "<g class=\"anomalies\""))
        #expect(silencedGroup.lowerBound < alertGroup.lowerBound, "hollow markers are drawn under the filled ones")
        let halos = try #require(svg.range(of: "<g class=\"anomaly-halos\""))
        #expect(halos.lowerBound < alertGroup.lowerBound, "white halos under all the dots, so close dots stay filled")
        let silencedPart = svg[silencedGroup.lowerBound..<halos.lowerBound]
        #expect(silencedPart.components(separatedBy: "<circle").count - 1 == 2)
        #expect(silencedPart.contains("Anomaly (no alert) in"))
        let alertPart = String(svg[alertGroup.lowerBound...]).components(separatedBy: "</g>")[0]
        #expect(alertPart.components(separatedBy: "<circle").count - 1 == 1)
        #expect(!alertPart.contains("stroke"), "a filled dot has no outline to cut into its neighbour")
        #expect(chart.legend.map(\.label).contains("anomaly, no alert"))
        #expect(chart.legend.contains { $0.symbol == .hollowMarker })
        // JSON and Vega-Lite carry the alert column; the HTML table counts the alerts.
        let json = chart.render(.json)
        #expect(json.components(separatedBy: "\"alert\": true").count - 1 == 1)
        #expect(json.components(separatedBy: "\"alert\": false").count - 1 == 59)
        let vega = chart.render(.vegaLite)
        #expect(vega.contains("datum.alert === false"))
        #expect(vega.components(separatedBy: "\"alert\": false").count - 1 == 59)
        // Both marker layers, hollow and filled, have the anomaly tooltip.
        let layers = vega.components(separatedBy: "\"transform\": [{\"filter\": \"datum.anomaly === true").dropFirst()
        #expect(layers.count == 2 && layers.allSatisfy { $0.prefix(while: { $0 != "\n" }).contains("\"tooltip\": [") })
        #expect(chart.html().contains("<th>alerts</th>"))
    }

    /// Without an `alert` column nothing changes: every flag is an alert, drawn filled, and no hollow legend item.
    @Test func withoutAnAlertColumnEveryFlagIsFilled() {
        let chart = Chart(QueryResult(series: [annotatedRowCounts()]), spec: ChartSpec(title: "q", width: 720, height: 300))
        let svg = chart.svg()
        #expect(!svg.contains("anomalies-silenced"))
        #expect(!chart.legend.contains { $0.symbol == .hollowMarker })
        #expect(chart.legend.map(\.label).contains("anomaly"))
        #expect(!chart.render(.json).contains("\"alert\""))
        #expect(!chart.render(.vegaLite).contains("\"alert\":"))
    }
}
