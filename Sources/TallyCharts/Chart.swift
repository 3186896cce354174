import TallyQuery
import TallyStorage

/// A chart of a query result, laid out and shaped for its pixel size: what every output format draws.
///
/// ```swift
/// let result = try store.query(#"row_count{dataset="orders"} | since 90d"#)
/// let chart = Chart(result, spec: ChartSpec(title: "orders", width: 800, height: 320, units: .single("rows")))
/// let svg = chart.svg()
/// ```
/// The kind follows from the result: when every series is an `outcomes` series (from the `outcomes` stage), stacked
/// bars of outcomes per scan; otherwise lines, with the expected range shaded and anomalies marked when the series
/// have those columns. Up to ``ChartSpec/maxLegendSeries`` line series sharing a unit share one panel with a
/// legend; more (or mixed units) get one panel each (small multiples), sharing the time axis.
public struct Chart: Sendable, Equatable {
    /// The title.
    public var title: String
    /// The line under the title: the time span (UTC), the number of series and points, and notes on what the
    /// drawing summarises or leaves out.
    public var subtitle: String
    /// The subtitle as drawn: one line, or, when it does not fit the width, the figures and then the notes.
    public var subtitleLines: [String] = []
    /// The result's bucket that had not ended (``QueryResult/inProgress``), whose points and bars are drawn apart.
    public var inProgress: InProgressBucket?
    /// The result's first bucket, when the range's start cut it (``QueryResult/partialFirst``): drawn apart too.
    public var partialFirst: InProgressBucket?
    /// Both: the buckets whose points and bars hold only part of their time.
    public var partialBuckets: PartialBuckets { PartialBuckets(first: partialFirst, last: inProgress) }
    /// Line, outcomes or empty.
    public var kind: ChartKind
    /// One panel or small multiples.
    public var layout: ChartLayout
    /// The figure's width in pixels.
    public var width: Int
    /// The figure's height in pixels.
    public var height: Int
    /// The panels (none for an empty chart).
    public var panels: [ChartPanel]
    /// The legend, placed under the subtitle.
    public var legend: [LegendItem]

    /// The height of the title, subtitle and legend above the panels (before the legend rows).
    static let headerHeight = 50.0
    static let legendRowHeight = 18.0
    static let rightMargin = 22.0
    static let xLabelHeight = 28.0

    /// Lays out `result` as a chart.
    public init(_ result: QueryResult, spec: ChartSpec = ChartSpec()) {
        title = spec.title ?? ""
        width = spec.width
        height = spec.height
        panels = []
        legend = []
        inProgress = result.inProgress
        partialFirst = result.partialFirst
        let withPoints = result.series.filter { $0.count > 0 }
        if withPoints.isEmpty {
            kind = .empty
            layout = .single
            subtitle = "no points"
            subtitleLines = [subtitle]
            return
        }
        let outcomeSeries = withPoints.allSatisfy {
            $0.metric == "outcomes" && $0.labels["outcome"].map { ChartStyle.outcomeOrder.contains($0) } == true
        }
        if outcomeSeries {
            kind = .outcomes
            layout = .single
            subtitle = ""
            buildOutcomes(withPoints, spec: spec)
        } else {
            kind = .line
            layout = .single
            subtitle = ""
            buildLines(withPoints, spec: spec)
        }
    }

    // MARK: Lines

    private mutating func buildLines(_ series: [ResultSeries], spec: ChartSpec) {
        let inProgress = partialBuckets
        let names = Chart.distinguishingNames(series.map { ($0.metric, $0.labels) }, labelTexts: spec.labelTexts)
        let units = series.map { spec.units.unit(metric: $0.metric, labels: $0.labels) }
        let sharedUnit = Set(units.map { $0 ?? "" }).count == 1
        layout = series.count <= spec.maxLegendSeries && sharedUnit ? .single : .smallMultiples
        // The points' own span (the subtitle says it), and the axis': that, or wider to line up with other charts.
        var first = Int64.max, last = Int64.min
        for s in series { first = min(first, s.times.first!); last = max(last, s.times.last!) }
        var from = min(first, spec.alignment?.from ?? .max), to = max(last, spec.alignment?.to ?? .min)
        // A lone bucket in progress spans its bucket, not the hour either side of one instant.
        if from == to, let bucket = inProgress.bucket(holding: from) { to = Swift.max(to, bucket.end - 1) }
        // Annotation columns count when they hold something to draw (a cold start has them all null).
        func drawable(_ column: [Double]?) -> Bool { column?.contains { Chart.finite($0) != nil } ?? false }
        let hasBand = series.contains { drawable($0.lower) || drawable($0.upper) }
        let hasExpected = series.contains { drawable($0.expected) }
        // A model that has not judged yet says why, rather than leaving the chart to look like one without a model.
        let unjudged = series.filter { $0.expected != nil && !drawable($0.expected) && !drawable($0.lower) && !drawable($0.upper) }
        let hasAnomalies = series.contains { s in s.anomaly?.contains(true) == true }
        // Flags that the alert rules (refractory period, likelihood gate, recurrence check) silenced are drawn hollow.
        let hasSilenced = series.contains { s in
            guard let anomaly = s.anomaly, let alert = s.alert else { return false }
            return zip(anomaly, alert).contains { $0 && !$1 }
        }
        let single = layout == .single
        let columns = single ? 1 : max(1, min(series.count, width / 300))
        // A line with far more points than pixel columns is drawn as its mean per interval in a min–max band. The
        // plots' widths are known only once the legend is placed; this decides on the width of a panel less a
        // typical value axis, and every dense line of the chart uses one interval.
        let pixels = max(40, width / columns - 70)
        let envelopeInterval = Shaping.envelopeInterval(from: from, to: to, pixels: pixels)
        let envelopes: [[EnvelopeColumn]?] = series.map { s in
            let columns = Chart.envelopeColumns(s, interval: envelopeInterval, inProgress: inProgress)
            return Shaping.isDense(columns, interval: envelopeInterval, from: from, to: to, pixels: pixels) ? columns : nil
        }
        let dense = envelopes.map { $0 != nil }

        // Legend: series (when several share a panel), then the annotation symbols.
        var items: [(String, [String], LegendSymbol)] = []
        // A lone series drawn as an envelope is named in the envelope's item.
        let loneEnvelope = series.count == 1 && dense[0]
        if single && (series.count > 1 || hasBand || hasExpected || hasAnomalies) && !loneEnvelope {
            // A lone series is named by its metric here (its whole key can be long, and the title says the rest).
            let labels = series.count == 1 ? [series[0].metric] : names
            for (k, name) in labels.enumerated() { items.append((name, [ChartStyle.palette[k % ChartStyle.palette.count]], .line)) }
        }
        // Each series draws its band and expected line in its own colour; the symbols show those colours (small
        // multiples draw every series in the first colour).
        func annotationColors(_ has: (ResultSeries) -> Bool) -> [String] {
            guard single else { return [ChartStyle.palette[0]] }
            return series.indices.filter { has(series[$0]) }.map { ChartStyle.palette[$0 % ChartStyle.palette.count] }
        }
        if dense.contains(true) {
            let colors = single ? series.indices.filter { dense[$0] }.map { ChartStyle.palette[$0 % ChartStyle.palette.count] }
                                : [ChartStyle.palette[0]]
            items.append(((loneEnvelope ? series[0].metric + ": " : "") + "mean, min–max per \(envelopeInterval)", colors, .envelope))
        }
        if hasExpected { items.append(("expected", annotationColors { drawable($0.expected) }, .dashed)) }
        // Over an envelope, the expected range is drawn as its edges (a second shaded band would not be told apart);
        // a panel with both kinds of line has an item for each.
        if hasBand {
            let banded = series.indices.filter { drawable(series[$0].lower) || drawable(series[$0].upper) }
            for (edges, symbol) in [(false, LegendSymbol.band), (true, .rangeEdges)] {
                let members = banded.filter { dense[$0] == edges }
                guard !members.isEmpty else { continue }
                let colors = single ? members.map { ChartStyle.palette[$0 % ChartStyle.palette.count] } : [ChartStyle.palette[0]]
                items.append(("expected range", colors, symbol))
            }
        }
        if hasAnomalies { items.append((hasSilenced ? "anomaly, alert" : "anomaly", [ChartStyle.anomalyColor], .marker)) }
        if hasSilenced { items.append(("anomaly, no alert", [ChartStyle.anomalyColor], .hollowMarker)) }
        for outcome in ChartPoint.problemOutcomes where series.contains(where: { s in
            s.outcomes?.contains { $0 != 0 && NumberFormat.outcomeName($0) == outcome } == true
        }) {
            items.append(("check \(outcome)", [ChartStyle.outcomeColors[outcome]!], .bar))   // squares, as on the line
        }
        let legendBottom = placeLegend(items)

        var totalIn = 0, totalDrawn = 0, forecastPoints = 0
        if single {
            let plotTop = legendBottom + 6
            let plotHeight = max(60, Double(height) - plotTop - Chart.xLabelHeight)
            height = Int((plotTop + plotHeight + Chart.xLabelHeight).rounded(.up))
            let panel = Chart.linePanel(series, names: names, units: units, title: nil,
                                        frame: ChartRect(x: 0, y: plotTop, width: Double(width), height: plotHeight + Chart.xLabelHeight),
                                        from: from, to: to, figureWidth: Double(width), distinctColors: true,
                                        gutter: spec.alignment?.plotLeft, envelopes: envelopes.map { $0.map { (envelopeInterval, $0) } },
                                        inProgress: inProgress)
            panels = [panel]
        } else {
            let panelWidth = Double(width) / Double(columns)
            let panelHeight = max(150, (Double(height) - legendBottom) / 2).rounded()
            let rows = (series.count + columns - 1) / columns
            func frame(_ k: Int) -> ChartRect {
                ChartRect(x: Double(k % columns) * panelWidth, y: legendBottom + Double(k / columns) * panelHeight,
                          width: panelWidth, height: panelHeight)
            }
            // One gutter for every panel, the widest they need: the plots, and so the time axes, line up.
            let plotHeight = Chart.plotHeight(in: frame(0), titled: true)
            let axes = series.indices.map {
                Chart.valueAxis([series[$0]], unit: units[$0], plotHeight: plotHeight, inProgress: inProgress)
            }
            let gutter = (axes.map(\.gutter) + [spec.alignment?.plotLeft ?? 0]).max()
            for (k, s) in series.enumerated() {
                panels.append(Chart.linePanel([s], names: [names[k]], units: [units[k]],
                                              title: names[k], frame: frame(k), from: from, to: to,
                                              figureWidth: Double(width), distinctColors: false, gutter: gutter,
                                              envelopes: [envelopes[k].map { (envelopeInterval, $0) }], inProgress: inProgress,
                                              valueAxis: axes[k]))
            }
            height = Int((legendBottom + Double(rows) * panelHeight + 6).rounded(.up))
        }
        for p in panels {
            for l in p.lines {
                totalIn += l.summary.points
                forecastPoints += l.summary.forecastPoints
                totalDrawn += l.points.filter { $0.value != nil }.count
            }
        }
        var parts = [Chart.spanText(first, last)], notes: [String] = []
        if series.count > 1 { parts.append("\(series.count) series" + (single ? "" : ", one panel each")) }
        parts.append(ChartText.grouped(Double(totalIn), decimals: 0) + (totalIn == 1 ? " point" : " points"))
        let drawableIn = series.reduce(0) { n, s in n + (0..<s.count).filter { Chart.finite(s.values[$0]) != nil }.count }
        // Points without a value are gaps in the line: the subtitle counts them, so a gap is not a mystery.
        if totalIn > drawableIn { parts.append(ChartText.grouped(Double(totalIn - drawableIn), decimals: 0) + " without a value") }
        // Marked points (an anomaly that is also a failed check is one mark).
        let marks = panels.reduce(0) { n, p in n + p.lines.reduce(0) { m, l in m + l.points.filter { ($0.value != nil && $0.anomaly == true) || $0.isCheckProblem }.count } }
        let dropped = panels.reduce(0) { n, p in n + p.lines.reduce(0) { $0 + $1.droppedMarks } }
        if dropped > 0 {
            notes.append("\(ChartText.grouped(Double(marks), decimals: 0)) of \(ChartText.grouped(Double(marks + dropped), decimals: 0)) marks drawn, spread evenly")
        }
        if dense.contains(true) {
            notes.append("mean and min–max per \(envelopeInterval)")
        } else if totalDrawn < drawableIn {
            parts.append(ChartText.grouped(Double(totalDrawn), decimals: 0) + " drawn")
        }
        if forecastPoints > 0 {
            parts.append(ChartText.grouped(Double(forecastPoints), decimals: 0) + (forecastPoints == 1 ? " forecast point" : " forecast points"))
        }
        for bucket in inProgress.all
        where panels.contains(where: { $0.lines.contains { $0.points.contains { $0.inProgress && bucket.contains($0.time) } } }) {
            notes.append(Chart.inProgressText(bucket))
        }
        if !unjudged.isEmpty {
            // Its last point's reason says how much more history it needs (`needs 3 more points`).
            let reasons = Set(unjudged.compactMap { s in s.reasons?.last { $0?.hasPrefix("needs ") == true } ?? nil })
            let why = reasons.count == 1 ? ": " + reasons.first! : ""
            notes.append((unjudged.count == series.count ? "no expected range yet" : "\(unjudged.count) of \(series.count) series without an expected range yet") + why)
        }
        finishSubtitle(parts: parts, notes: notes)
    }

    /// A panel's value axis and the width its tick labels and unit take left of the plot.
    private static func valueAxis(_ series: [ResultSeries], unit: String?, plotHeight: Double,
                                  inProgress: PartialBuckets) -> (axis: ValueAxis, gutter: Double) {
        // The value range covers the values and the expected range; not the value of a bucket in progress (a week's
        // sum on a Wednesday would stretch the axis and flatten the whole weeks: it is drawn at the edge instead).
        func range(leavingOut open: PartialBuckets?) -> (low: Double, high: Double) {
            var low = Double.infinity, high = -Double.infinity
            for s in series {
                for (k, column) in [s.values, s.lower ?? [], s.upper ?? [], s.expected ?? []].enumerated() {
                    for (i, v) in column.enumerated() where k > 0 || open?.contains(s.times[i]) != true {
                        if let v = finite(v) { low = min(low, v); high = max(high, v) }
                    }
                }
            }
            return (low, high)
        }
        var (low, high) = range(leavingOut: inProgress)
        if low > high { (low, high) = range(leavingOut: nil) }   // nothing but the bucket in progress
        // A flat series with a model's range or forecast around it a hair wide (42 ± 1e-7: arithmetic, not
        // uncertainty) keeps the axis of a flat series, not one zoomed onto that hair.
        var valueLow = Double.infinity, valueHigh = -Double.infinity
        for s in series {
            for (i, v) in s.values.enumerated() where !inProgress.contains(s.times[i]) {
                if let v = finite(v) { valueLow = min(valueLow, v); valueHigh = max(valueHigh, v) }
            }
        }
        if valueLow == valueHigh, high - low <= abs(valueLow) * 1e-6 { (low, high) = (valueLow, valueHigh) }
        // The expected range and the forecast widen the axis by at most the values' own span (or a twentieth of their
        // level) on each side: a warm-up band or a forecast's widening range would flatten the values; beyond, the
        // band is cut at the plot's edge.
        if valueLow <= valueHigh {
            let room = Swift.max(valueHigh - valueLow, Swift.max(abs(valueLow), abs(valueHigh)) / 20)
            low = Swift.max(low, valueLow - room)
            high = Swift.min(high, valueHigh + room)
        }
        if low > high { low = 0; high = 1 }
        // Whole-number values (counts) over a short range get whole-number ticks: 0, 1, 2 rows, not 0.5.
        let wholeNumbers = series.allSatisfy { s in s.values.allSatisfy { v in finite(v).map { $0 == $0.rounded() } ?? true } }
        let axis = ValueAxis.nice(low: low, high: high, maxTicks: max(2, Int(plotHeight / 34) + 1), wholeNumbers: wholeNumbers,
                                  unit: unit)
        return (axis, gutter(for: axis))
    }

    /// The room left of a plot for `axis`: its tick labels, the unit written along it, and the margins. Line and
    /// bar panels use this one rule, so that charts and panels laid out with a shared gutter line up.
    private static func gutter(for axis: ValueAxis) -> Double {
        let labelWidth = axis.ticks.map { ChartText.estimatedWidth($0.label, fontSize: ChartStyle.tickFontSize) }.max() ?? 0
        return 10 + (axis.unit == nil ? 0.0 : 18.0) + labelWidth + 8
    }

    /// Where a panel's plot starts in `frame`: under its title, if it has one.
    private static func plotTop(in frame: ChartRect, titled: Bool) -> Double { frame.y + (titled ? 20.0 : 0.0) + 6 }

    /// The height of a panel's plot in `frame`.
    private static func plotHeight(in frame: ChartRect, titled: Bool) -> Double {
        max(40, frame.maxY - Chart.xLabelHeight - plotTop(in: frame, titled: titled))
    }

    /// A panel of lines in `frame` (the panel's whole area, title and axis labels included). `gutter`: the room
    /// left of the plot, when panels share one so that their plots (and time axes) line up. `envelopes[k]`: the
    /// interval series `k` is summarised by and its columns, when it is drawn as an envelope. `inProgress`: the
    /// result's bucket that had not ended. `valueAxis`: the panel's axis, when the caller has made it already.
    private static func linePanel(_ series: [ResultSeries], names: [String], units: [String?],
                                  title: String?, frame: ChartRect, from: Int64, to: Int64, figureWidth: Double,
                                  distinctColors: Bool, gutter: Double? = nil, envelopes: [(TickInterval, [EnvelopeColumn])?],
                                  inProgress: PartialBuckets, valueAxis made: (axis: ValueAxis, gutter: Double)? = nil) -> ChartPanel {
        let plotTop = Chart.plotTop(in: frame, titled: title != nil)
        let plotHeight = Chart.plotHeight(in: frame, titled: title != nil)
        let (yAxis, ownGutter) = made ?? valueAxis(series, unit: units.first ?? nil, plotHeight: plotHeight, inProgress: inProgress)
        let plotLeft = frame.x + max(gutter ?? 0, ownGutter)
        let plotWidth = max(40, frame.maxX - Chart.rightMargin - plotLeft)
        let plot = ChartRect(x: plotLeft, y: plotTop, width: plotWidth, height: plotHeight)
        let xAxis = TimeAxis.fitting(from: from, to: to, plotLeft: plotLeft, plotWidth: plotWidth, figureWidth: figureWidth)
        let pixels = Int(plotWidth.rounded(.down))
        var lines: [ChartLine] = []
        for (k, s) in series.enumerated() {
            let color = distinctColors ? ChartStyle.palette[k % ChartStyle.palette.count] : ChartStyle.palette[0]
            lines.append(shapedLine(s, name: names[k], unit: units[k], color: color, pixels: pixels, envelope: envelopes[k],
                                    inProgress: inProgress))
        }
        return ChartPanel(title: title, plot: plot, xAxis: xAxis, yAxis: yAxis, lines: lines, bars: nil)
    }

    /// The series as a line shaped to `pixels` columns; with `envelope`, its history summarised per that interval
    /// into those columns (``ChartLine/envelope``); the points of `inProgress` marked as such.
    static func shapedLine(_ s: ResultSeries, name: String, unit: String?, color: String, pixels: Int,
                           envelope: (interval: TickInterval, columns: [EnvelopeColumn])? = nil,
                           inProgress: PartialBuckets = PartialBuckets()) -> ChartLine {
        let values = s.values.map(finite)
        // The forecast (the trailing points without a value but with an expected value or range) gets a share of
        // the pixels proportional to its length; the history is shaped into the rest.
        let forecastStart = forecastStart(s)
        let forecastCount = s.count - forecastStart
        // Kept whatever the shaping: anomalies, and check points that warned, failed or errored.
        let problem: [Bool]? = s.outcomes.map { codes in
            codes.map { $0 != 0 && ChartPoint.problemOutcomes.contains(NumberFormat.outcomeName($0)) }
        }
        let marked: [Bool]? = switch (s.anomaly, problem) {
        case (nil, nil): nil
        case (let a?, nil): a
        case (nil, let b?): b
        case (let a?, let b?): zip(a, b).map { $0 || $1 }
        }
        // And the points of a bucket in progress, drawn on their own.
        var pinned = marked
        if s.times[..<forecastStart].contains(where: inProgress.contains) {
            let open = s.times.indices.map { $0 < forecastStart && inProgress.contains(s.times[$0]) }
            pinned = pinned.map { zip($0, open).map { $0 || $1 } } ?? open
        }
        // Over an envelope the points are drawn only as marks: every mark may take a pixel column.
        let maxPinned = envelope != nil ? pixels : nil
        var kept: [Int]
        if forecastCount == 0 {
            kept = Shaping.lineIndices(times: s.times, values: values, pinned: pinned, maxPoints: pixels, maxPinned: maxPinned)
        } else {
            let forecastBudget = min(forecastCount, max(2, pixels * forecastCount / max(1, s.count)))
            kept = Shaping.lineIndices(times: Array(s.times[..<forecastStart]), values: Array(values[..<forecastStart]),
                                       pinned: pinned.map { Array($0[..<forecastStart]) },
                                       maxPoints: max(4, pixels - forecastBudget), maxPinned: maxPinned)
            kept += evenlySpaced(forecastStart..<s.count, count: forecastBudget)
        }
        // Marks the shaping had no room for (more than a quarter of the pixels, or than all of them): the chart says so.
        var droppedMarks = 0
        if let marked {
            let keptSet = Set(kept)
            droppedMarks = (0..<forecastStart).reduce(0) { n, i in n + (marked[i] && (values[i] != nil || problem?[i] == true) && !keptSet.contains(i) ? 1 : 0) }
        }
        let points = kept.map { i in
            ChartPoint(time: s.times[i], value: values[i],
                       expected: s.expected.flatMap { finite($0[i]) }, lower: s.lower.flatMap { finite($0[i]) },
                       upper: s.upper.flatMap { finite($0[i]) }, score: s.score.flatMap { finite($0[i]) },
                       anomaly: s.anomaly?[i], alert: s.alert?[i], reason: s.reason(at: i), forecast: i >= forecastStart,
                       outcome: s.outcomes.flatMap { $0[i] == 0 ? nil : NumberFormat.outcomeName($0[i]) },
                       inProgress: i < forecastStart && inProgress.contains(s.times[i]))
        }
        let own = values[..<forecastStart]
        let drawable = own.compactMap { $0 }
        // The range of values leaves out a bucket in progress: the week so far is not the smallest week.
        let whole = own.indices.compactMap { i in inProgress.contains(s.times[i]) ? nil : own[i] }
        let anomalies = s.anomaly?.filter { $0 }.count ?? 0
        // Every alert is a flagged point (the detector's alert column is a thinning of its flags).
        let summary = LineSummary(points: own.count, missing: own.count - drawable.count, min: whole.min(),
                                  max: whole.max(), lastTime: s.times[..<forecastStart].last, lastValue: own.last ?? nil,
                                  anomalies: anomalies, alerts: s.alert?.filter { $0 }.count ?? anomalies,
                                  forecastPoints: forecastCount)
        // A dense line's forecast is as dense: it is summarised by the same interval, its expected values as values.
        func columns(_ part: Range<Int>, values: [Double?], interval: TickInterval) -> [EnvelopeColumn] {
            Shaping.envelope(times: Array(s.times[part]), values: values, expected: s.expected.map { Array($0[part]) },
                             lower: s.lower.map { Array($0[part]) }, upper: s.upper.map { Array($0[part]) }, interval: interval)
        }
        let future = forecastStart..<s.count
        let envelope = envelope.map { envelope in
            LineEnvelope(interval: envelope.interval, columns: envelope.columns,
                         forecastColumns: future.isEmpty ? nil : columns(future, values: future.map { i in
                             s.expected.flatMap { finite($0[i]) } ?? s.lower.flatMap { l in s.upper.flatMap { u in finite((l[i] + u[i]) / 2) } }
                         }, interval: envelope.interval))
        }
        return ChartLine(name: name, key: seriesKeyText(metric: s.metric, labels: s.labels), metric: s.metric,
                         labels: s.labels, unit: unit, color: color, points: points, inputCount: s.count,
                         hasExpected: s.expected != nil, hasBand: s.lower != nil && s.upper != nil,
                         hasAnomalyColumn: s.anomaly != nil, hasAlertColumn: s.alert != nil, summary: summary,
                         envelope: envelope, droppedMarks: droppedMarks)
    }

    /// The series' history summarised per `interval` (``Shaping/envelope(times:values:expected:lower:upper:interval:)``),
    /// without the points of a bucket in progress, which are drawn on their own.
    static func envelopeColumns(_ s: ResultSeries, interval: TickInterval, inProgress: PartialBuckets) -> [EnvelopeColumn] {
        let history = 0..<forecastStart(s)
        let values = history.map { i in inProgress.contains(s.times[i]) ? nil : finite(s.values[i]) }
        return Shaping.envelope(times: Array(s.times[history]), values: values, expected: s.expected.map { Array($0[history]) },
                                lower: s.lower.map { Array($0[history]) }, upper: s.upper.map { Array($0[history]) },
                                interval: interval)
    }

    /// Where the series' forecast starts: the first of the trailing points that have no value but an expected value
    /// or an expected range (what the `forecast` stage appends); `s.count` when there is none. A series made only of
    /// such points has no history to continue, and is not treated as a forecast.
    static func forecastStart(_ s: ResultSeries) -> Int {
        func isForecast(_ i: Int) -> Bool {
            finite(s.values[i]) == nil
                && (s.expected.flatMap { finite($0[i]) } != nil
                    || (s.lower.flatMap { finite($0[i]) } != nil && s.upper.flatMap { finite($0[i]) } != nil))
        }
        var start = s.count
        while start > 0 && isForecast(start - 1) { start -= 1 }
        return start == 0 ? s.count : start
    }

    /// `count` indices of `range`, evenly spaced, the first and last included.
    static func evenlySpaced(_ range: Range<Int>, count: Int) -> [Int] {
        guard count < range.count else { return Array(range) }
        guard count > 1 else { return [range.upperBound - 1] }
        let step = Double(range.count - 1) / Double(count - 1)
        return (0..<count).map { range.lowerBound + Int((Double($0) * step).rounded()) }
    }

    /// A value that can be drawn: not null, not NaN, not infinite.
    static func finite(_ v: Double) -> Double? { v.isFinite ? v : nil }

    // MARK: Outcomes

    private mutating func buildOutcomes(_ series: [ResultSeries], spec: ChartSpec) {
        let inProgress = partialBuckets
        // Groups: the labels other than `outcome` (one group without `outcomes by`).
        var groupKeys: [Labels] = []
        var groups: [Labels: [ResultSeries]] = [:]
        for s in series {
            var key = s.labels
            key["outcome"] = nil
            if groups[key] == nil { groupKeys.append(key) }
            groups[key, default: []].append(s)
        }
        groupKeys.sort()
        let present = Set(series.compactMap { $0.labels["outcome"] })
        let outcomes = ChartStyle.outcomeOrder.filter { present.contains($0) }
        // The legend names the outcomes that occur (the stage gives every outcome, mostly zeros).
        let occurring = Set(series.filter { s in s.values.contains { Chart.finite($0).map { $0 != 0 } == true } }
                                  .compactMap { $0.labels["outcome"] })
        let legendOutcomes = outcomes.filter { occurring.contains($0) }
        layout = groupKeys.count == 1 ? .single : .smallMultiples
        let legendBottom = placeLegend((legendOutcomes.isEmpty ? outcomes : legendOutcomes).reversed()
                                        .map { ($0, [ChartStyle.outcomeColors[$0]!], .bar) })
        let unit = spec.units.unit(metric: "outcomes", labels: Labels()) ?? "checks"

        var allTimes = Set<Int64>()
        for s in series { allTimes.formUnion(s.times) }
        let allStarts = allTimes.sorted()
        let columns = layout == .single ? 1 : max(1, min(groupKeys.count, width / 300))
        let panelWidth = Double(width) / Double(columns)
        let panelHeight = layout == .single ? Double(height) - legendBottom
            : max(150, (Double(height) - legendBottom) / 2).rounded()
        let names = Chart.distinguishingNames(groupKeys.map { ("outcomes", $0) }, labelTexts: spec.labelTexts)

        // Every group's times and counts per outcome.
        let tables: [(times: [Int64], rows: [[Double]])] = groupKeys.map { key in
            let members = groups[key]!
            var times = Set<Int64>()
            for s in members { times.formUnion(s.times) }
            let sortedTimes = times.sorted()
            var index: [Int64: Int] = [:]
            for (k, t) in sortedTimes.enumerated() { index[t] = k }
            var rows = [[Double]](repeating: [Double](repeating: 0, count: outcomes.count), count: sortedTimes.count)
            for s in members {
                guard let o = s.labels["outcome"], let column = outcomes.firstIndex(of: o) else { continue }
                for i in 0..<s.count {
                    if let v = Chart.finite(s.values[i]) { rows[index[s.times[i]]!][column] += v }
                }
            }
            return (sortedTimes, rows)
        }

        // One interval for every panel, chosen for the plot width; narrowed again if wide labels leave fewer pixels.
        var pixels = Int(max(40, panelWidth - 10 - 18 - 50 - 8 - Chart.rightMargin))
        var interval: TickInterval?
        var built: [ChartPanel] = []
        for _ in 0..<4 {
            interval = Shaping.barInterval(starts: allStarts, pixels: pixels)
            // A lone bar of a bucket in progress spans its bucket (a lone bar is otherwise an hour wide).
            func spanned(_ bars: [(start: Int64, end: Int64, count: Int, values: [Double])]) -> [(start: Int64, end: Int64, count: Int, values: [Double])] {
                guard allStarts.count == 1, let bucket = inProgress.bucket(holding: allStarts[0]) else { return bars }
                return bars.map { (allStarts[0], Swift.max($0.end, bucket.end), $0.count, $0.values) }
            }
            let overall = spanned(Shaping.bars(starts: allStarts, rows: allStarts.map { _ in [] }, interval: interval))
            let from = min(overall.first!.start, spec.alignment?.from ?? .max), to = max(overall.last!.end, spec.alignment?.to ?? .min)
            built = []
            var narrowest = Int.max
            // Every panel has the same height and a title or none: one plot height; the value axes first, so that
            // every panel keeps the room the widest tick labels need and the plots (and time axes) line up.
            let titled = layout != .single
            let plotHeight = Chart.plotHeight(in: ChartRect(x: 0, y: 0, width: panelWidth, height: panelHeight), titled: titled)
            let shapedGroups = groupKeys.indices.map { spanned(Shaping.bars(starts: tables[$0].times, rows: tables[$0].rows, interval: interval)) }
            let yAxes = shapedGroups.map { shaped in
                // Summed per interval, a bar counts the checks of every scan in it: the axis says so.
                ValueAxis.nice(low: 0, high: max(shaped.map { $0.values.reduce(0, +) }.max() ?? 1, 1),
                               maxTicks: max(2, Int(plotHeight / 34) + 1), includeZero: true, wholeNumbers: true,
                               unit: interval.map { "\(unit) per \($0)" } ?? unit)
            }
            let gutter = max(yAxes.map(Chart.gutter(for:)).max() ?? 0, spec.alignment?.plotLeft ?? 0)
            for (k, key) in groupKeys.enumerated() {
                let shaped = shapedGroups[k], yAxis = yAxes[k]
                let title: String? = titled ? (key.isEmpty ? "(no labels)" : names[k]) : nil
                let frame = ChartRect(x: Double(k % columns) * panelWidth, y: legendBottom + Double(k / columns) * panelHeight,
                                      width: panelWidth, height: panelHeight)
                let plotTop = Chart.plotTop(in: frame, titled: titled)
                let plotLeft = frame.x + gutter
                let plotWidth = max(40, frame.maxX - Chart.rightMargin - plotLeft)
                narrowest = min(narrowest, Int(plotWidth.rounded(.down)))
                let plot = ChartRect(x: plotLeft, y: plotTop, width: plotWidth, height: plotHeight)
                let xAxis = TimeAxis.fitting(from: from, to: to, plotLeft: plotLeft, plotWidth: plotWidth,
                                             figureWidth: Double(width))
                var outcomeBars = shaped.enumerated().map { i, bar in
                    // One bar per timestamp is centred on it; summed, it starts its interval.
                    let time = interval == nil ? tables[k].times[i] : bar.start
                    // One bar per scan is in the bucket holding its scan; a summed bar, in the one it overlaps.
                    let partial = interval == nil ? inProgress.bucket(holding: time)
                        : inProgress.all.first { bar.start < $0.end && bar.end > $0.start }
                    return OutcomeBar(time: time, start: bar.start, end: bar.end, timestamps: bar.count, counts: bar.values,
                                      partialBucket: partial)
                }
                if interval != nil { Chart.markShortEnds(&outcomeBars) }
                let bars = OutcomeBars(outcomes: outcomes, colors: outcomes.map { ChartStyle.outcomeColors[$0]! },
                                       bars: outcomeBars, inputCount: tables[k].times.count, interval: interval)
                built.append(ChartPanel(title: title, plot: plot, xAxis: xAxis, yAxis: yAxis, lines: [], bars: bars))
            }
            if built.allSatisfy({ $0.bars!.bars.count <= narrowest }) || narrowest >= pixels { break }
            pixels = narrowest
        }
        panels = built
        let rows = (groupKeys.count + columns - 1) / columns
        height = Int((legendBottom + Double(rows) * panelHeight + (layout == .single ? 0 : 6)).rounded(.up))

        let inputs = panels.reduce(0) { $0 + ($1.bars?.inputCount ?? 0) }
        let drawn = panels.reduce(0) { $0 + ($1.bars?.bars.count ?? 0) }
        var parts = [Chart.spanText(allStarts.first!, allStarts.last!)]
        if groupKeys.count > 1 { parts.append("\(groupKeys.count) groups") }
        parts.append(ChartText.grouped(Double(inputs), decimals: 0) + (inputs == 1 ? " timestamp" : " timestamps"))
        if let interval {
            parts.append("summed per \(interval) into " + ChartText.grouped(Double(drawn), decimals: 0) + (drawn == 1 ? " bar" : " bars"))
        }
        var notes: [String] = []
        for bucket in inProgress.all
        where panels.contains(where: { $0.bars?.bars.contains { $0.partialBucket == bucket } == true }) {
            notes.append(Chart.inProgressText(bucket))
        }
        if let interval, panels.contains(where: { $0.bars?.bars.contains { $0.usualTimestamps != nil } == true }) {
            notes.append("paler: a \(interval) the data covers only part of")
        }
        finishSubtitle(parts: parts, notes: notes)
    }

    /// Marks the first and last of summed bars that sum fewer timestamps than the others usually do (the median
    /// over the bars between them; at least three bars): the data begins or ends inside their interval, so their
    /// smaller stacks are no drop. A bar already in progress is left as it is.
    static func markShortEnds(_ bars: inout [OutcomeBar]) {
        guard bars.count >= 3 else { return }
        let inner = bars[1..<(bars.count - 1)].map(\.timestamps).sorted()
        let usual = inner[inner.count / 2]
        for i in [0, bars.count - 1] where !bars[i].inProgress && bars[i].timestamps < usual {
            bars[i].usualTimestamps = usual
        }
    }

    /// The subtitle's note on a bucket that had not ended: in progress at now, or cut by the end of the range.
    static func inProgressText(_ bucket: InProgressBucket) -> String {
        if bucket.cutAtStart { return "first \(bucket.width) bucket cut by the range's start" }
        return bucket.endsAtNow ? "last \(bucket.width) bucket in progress" : "last \(bucket.width) bucket cut by the range's end"
    }

    /// What a point or bar of a partial bucket says in its tooltip.
    static func inProgressTooltip(_ bucket: InProgressBucket?) -> String {
        if bucket?.cutAtStart == true { return "partial: the range starts inside this bucket, so it holds only part of its time" }
        return bucket?.endsAtNow == false ? "partial: the range ends inside this bucket, so it holds only part of its time"
            : "in progress: the bucket had not ended, so it holds only part of its time"
    }

    static let subtitleLineHeight = 16.0

    /// The subtitle: `parts` (the span and counts), then `notes` (what the drawing summarises or leaves out). When
    /// it does not fit the width, the notes take a line of their own, so that they are not what is cut off, and
    /// everything under the subtitle moves down a line.
    private mutating func finishSubtitle(parts: [String], notes: [String]) {
        subtitle = (parts + notes).joined(separator: " · ")
        subtitleLines = [subtitle]
        let room = Double(width) - 24
        guard !notes.isEmpty, ChartText.estimatedWidth(subtitle, fontSize: ChartStyle.textFontSize) > room else { return }
        subtitleLines = [parts.joined(separator: " · "), notes.joined(separator: " · ")]
        for k in legend.indices { legend[k].y += Chart.subtitleLineHeight }
        for k in panels.indices { panels[k].plot.y += Chart.subtitleLineHeight }
        height += Int(Chart.subtitleLineHeight)
    }

    // MARK: Shared

    /// Places legend items in rows under the subtitle; returns the y where the panels start.
    private mutating func placeLegend(_ items: [(String, [String], LegendSymbol)]) -> Double {
        guard !items.isEmpty else { return Chart.headerHeight }
        var x = 12.0, y = Chart.headerHeight + 12
        for (label, colors, symbol) in items {
            let w = 24 + ChartText.estimatedWidth(label, fontSize: ChartStyle.tickFontSize) + 14
            if x > 12 && x + w > Double(width) - 12 {
                x = 12
                y += Chart.legendRowHeight
            }
            legend.append(LegendItem(label: label, color: colors[0], colors: colors, symbol: symbol, x: x, y: y))
            x += w
        }
        return y + 8
    }

    /// Names that tell series apart: the metric when metrics differ, and the fewest labels whose values tell them apart,
    /// each as `label=value` or as its text in `labelTexts` (`row_count > 0` for a check's hash; the values are
    /// written out when two series would otherwise share a name). A lone series is named by its whole key.
    static func distinguishingNames(_ ids: [(metric: String, labels: Labels)],
                                    labelTexts: [String: [String: String]] = [:]) -> [String] {
        if ids.count == 1 { return [seriesKeyText(metric: ids[0].metric, labels: ids[0].labels)] }
        let metricsDiffer = Set(ids.map(\.metric)).count > 1
        let allNames = Set(ids.flatMap { $0.labels.map(\.name) }).sorted()
        func shown(_ name: String, _ labels: Labels) -> String {
            let value = labels[name] ?? ""
            return labelTexts[name]?[value] ?? value
        }
        func distinct(_ name: String) -> Int { Set(ids.map { shown(name, $0.labels) }).count }
        // The labels that vary, those with texts first, then the most diverse. The names use the fewest of them
        // that tell the series apart, the earliest such set in that order (so that labels that merely follow
        // another one, like a data source per dataset, stay out of the names).
        let ranked = allNames.filter { distinct($0) > 1 }.sorted { a, b in
            let (textA, textB) = (labelTexts[a] != nil, labelTexts[b] != nil)
            if textA != textB { return textA }
            return distinct(a) != distinct(b) ? distinct(a) > distinct(b) : a < b
        }
        let separable = Set(ids.map { seriesKeyText(metric: $0.metric, labels: $0.labels) }).count
        // Each series' shown values as small integers, per label (and the metric as column 0), computed once.
        var codes: [[Int]] = []
        for column in [nil] + ranked {
            var numbers: [String: Int] = [:]
            codes.append(ids.map { id in
                let text = column.map { shown($0, id.labels) } ?? (metricsDiffer ? id.metric : "")
                if let n = numbers[text] { return n }
                numbers[text] = numbers.count
                return numbers.count - 1
            })
        }
        func separates(_ chosen: [String]) -> Bool {
            let columns = [0] + chosen.map { ranked.firstIndex(of: $0)! + 1 }
            return Set(ids.indices.map { k in columns.map { codes[$0][k] } }).count == separable
        }
        var varying = ranked
        if ranked.count <= 10 && ids.count << ranked.count <= 1 << 20 {
            // Every subset, by size, then by rank (at most 1,024 of them, over at most about a million
            // series-subset pairs; beyond that, the labels are taken greedily in rank order).
            let subsets = (1..<(1 << ranked.count)).map { bits in ranked.indices.filter { bits & (1 << $0) != 0 } }
                .sorted { $0.count != $1.count ? $0.count < $1.count : $0.lexicographicallyPrecedes($1) }
            if let first = subsets.first(where: { separates($0.map { ranked[$0] }) }) { varying = first.map { ranked[$0] } }
        } else {
            varying = []
            for name in ranked {
                varying.append(name)
                if separates(varying) { break }
            }
        }
        // Texts that leave two series with one name: the values are written out instead.
        if !labelTexts.isEmpty && !separates(varying) { return distinguishingNames(ids) }
        varying.sort()
        let names = ids.map { id in
            var parts: [String] = []
            if metricsDiffer { parts.append(id.metric) }
            // A label the series does not have is left out of its name (`avg`, not `avg, check=`).
            for name in varying {
                guard let value = id.labels[name], !value.isEmpty else { continue }
                parts.append(labelTexts[name]?[value] ?? "\(name)=\(value)")
            }
            return parts.isEmpty ? seriesKeyText(metric: id.metric, labels: id.labels) : parts.joined(separator: ", ")
        }
        return names
    }

    /// What `charts`, stacked on one page, share to line up: the widest room left of their plots and the span of all
    /// their time axes; nil for fewer than two charts with panels. Lay each out again with it in its spec.
    public static func alignment(of charts: [Chart]) -> ChartAlignment? {
        let panels = charts.flatMap(\.panels)
        // A chart's first panel is in its first column: its plot's x is the room left of the plot.
        guard charts.filter({ !$0.panels.isEmpty }).count >= 2, let from = panels.map(\.xAxis.min).min(),
              let to = panels.map(\.xAxis.max).max(), let left = charts.compactMap({ $0.panels.first?.plot.x }).max() else { return nil }
        return ChartAlignment(plotLeft: left, from: from, to: to)
    }

    /// `2024-05-01 – 2025-04-30 UTC`, with times of day when the span is under two days.
    /// Under two days, both ends to the same precision — minutes, seconds or milliseconds, the finest either end
    /// needs — and the second end's date only when it differs: `2024-05-01 06:00 – 18:00 UTC`,
    /// `2026-03-01 23:50:00.000 – 23:50:00.343 UTC`; otherwise the dates.
    static func spanText(_ from: Int64, _ to: Int64) -> String {
        if UTCTime.span(from: from, to: to) < Double(2 * UTCTime.day) {
            let a = UTCTime(from), b = UTCTime(to)
            func clock(_ f: UTCTime) -> String {
                if a.millisecond != 0 || b.millisecond != 0 {
                    return f.hourMinuteSecondText + "." + String(String(1_000 + f.millisecond).dropFirst())
                }
                return a.second != 0 || b.second != 0 ? f.hourMinuteSecondText : f.hourMinuteText
            }
            let start = a.dateText + " " + clock(a)
            if from == to { return start + " UTC" }
            return start + " – " + (a.dateText == b.dateText ? "" : b.dateText + " ") + clock(b) + " UTC"
        }
        return UTCTime(from).dateText + " – " + UTCTime(to).dateText + " UTC"
    }
}
