import TallyQuery
import TallyAnalysis

extension Chart {
    /// The chart as a finished SVG document (UTF-8 text).
    ///
    /// Deterministic: the same chart gives the same bytes. Coordinates have one decimal. The document uses no ids,
    /// scripts, external fonts or links, so several can be inlined in one HTML page. Anomaly markers and outcome bars
    /// carry a `<title>` (a tooltip in browsers) with the time, value, expected range and reason.
    public func svg() -> String {
        var out = SVGWriter()
        let w = String(width), h = String(height)
        out.line("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" "
                 + "font-family=\"\(ChartText.xml(ChartStyle.fontFamily))\" role=\"img\" aria-label=\"\(ChartText.xml(accessibleLabel))\">")
        out.line("<title>\(ChartText.xml(title.isEmpty ? "Chart" : title))</title>")
        out.line("<desc>\(ChartText.xml(subtitle))</desc>")
        out.line("<rect width=\"\(w)\" height=\"\(h)\" fill=\"#ffffff\"/>")
        if !title.isEmpty {
            out.line("<text x=\"12\" y=\"22\" font-size=\"\(num(ChartStyle.titleFontSize))\" font-weight=\"600\" fill=\"#222222\">"
                     + ChartText.xml(Chart.truncated(title, width: Double(width) - 24, fontSize: ChartStyle.titleFontSize)) + "</text>")
        }
        for (k, line) in (subtitleLines.isEmpty ? [subtitle] : subtitleLines).enumerated() {
            out.line("<text x=\"12\" y=\"\(num(40 + Double(k) * Chart.subtitleLineHeight))\" font-size=\"\(num(ChartStyle.textFontSize))\" fill=\"#666666\">"
                     + ChartText.xml(Chart.truncated(line, width: Double(width) - 24, fontSize: ChartStyle.textFontSize)) + "</text>")
        }
        if kind == .empty {
            out.line("<text x=\"\(num(Double(width) / 2))\" y=\"\(num(Double(height) / 2 + 10))\" text-anchor=\"middle\" "
                     + "font-size=\"14\" fill=\"#888888\">No data: the query returned no points</text>")
        }
        if !legend.isEmpty {
            out.line("<g class=\"legend\" font-size=\"\(num(ChartStyle.tickFontSize))\" fill=\"#333333\">")
            for item in legend { out.line(legendSVG(item)) }
            out.line("</g>")
        }
        for panel in panels { panelSVG(panel, &out) }
        out.line("</svg>")
        return out.text
    }

    /// What a screen reader says for the chart.
    var accessibleLabel: String {
        let what = kind == .outcomes ? "Check outcomes per scan" : kind == .line ? "Line chart" : "Empty chart"
        return [what, title, subtitle].filter { !$0.isEmpty }.joined(separator: ": ")
    }

    /// `text`, cut with an ellipsis so that it fits `width` pixels.
    static func truncated(_ text: String, width: Double, fontSize: Double) -> String {
        let flat = text.map { $0 == "\n" || $0 == "\t" ? " " : $0 }
        let maxChars = max(4, Int(width / (fontSize * 0.62)))
        if flat.count <= maxChars { return String(flat) }
        return String(flat.prefix(maxChars - 1)) + "…"
    }

    private func legendSVG(_ item: LegendItem) -> String {
        let x = item.x, y = item.y
        let symbol: String
        switch item.symbol {
        case .line:
            symbol = "<line x1=\"\(num(x))\" y1=\"\(num(y - 4))\" x2=\"\(num(x + 18))\" y2=\"\(num(y - 4))\" stroke=\"\(item.color)\" stroke-width=\"2\"/>"
        case .dashed:
            // One dashed segment per colour, side by side.
            let w = 18 / Double(item.colors.count)
            symbol = item.colors.enumerated().map { k, color in
                "<line x1=\"\(num(x + Double(k) * w))\" y1=\"\(num(y - 4))\" x2=\"\(num(x + Double(k + 1) * w))\" y2=\"\(num(y - 4))\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>"
            }.joined()
        case .band:
            // The band's colour; one stripe per colour when several series of the panel have bands.
            let w = 18 / Double(item.colors.count)
            symbol = item.colors.enumerated().map { k, color in
                "<rect x=\"\(num(x + Double(k) * w))\" y=\"\(num(y - 10))\" width=\"\(num(w))\" height=\"12\" fill=\"\(color)\" fill-opacity=\"0.2\"/>"
            }.joined()
        case .envelope:
            // The band, and the mean's line through it; one stripe per colour.
            let w = 18 / Double(item.colors.count)
            symbol = item.colors.enumerated().map { k, color in
                "<rect x=\"\(num(x + Double(k) * w))\" y=\"\(num(y - 10))\" width=\"\(num(w))\" height=\"12\" fill=\"\(color)\" fill-opacity=\"\(ChartStyle.envelopeOpacity)\"/>"
                    + "<line x1=\"\(num(x + Double(k) * w))\" y1=\"\(num(y - 4))\" x2=\"\(num(x + Double(k + 1) * w))\" y2=\"\(num(y - 4))\" stroke=\"\(color)\" stroke-width=\"1.6\"/>"
            }.joined()
        case .rangeEdges:
            // The range's two edges; one pair per colour, side by side.
            let w = 18 / Double(item.colors.count)
            symbol = item.colors.enumerated().map { k, color in
                [y - 9, y + 1].map { edge in
                    "<line x1=\"\(num(x + Double(k) * w))\" y1=\"\(num(edge))\" x2=\"\(num(x + Double(k + 1) * w))\" y2=\"\(num(edge))\" stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"2 2\"/>"
                }.joined()
            }.joined()
        case .bar:
            symbol = "<rect x=\"\(num(x + 4))\" y=\"\(num(y - 10))\" width=\"10\" height=\"10\" fill=\"\(item.color)\"/>"
        case .marker:
            symbol = "<circle cx=\"\(num(x + 9))\" cy=\"\(num(y - 4))\" r=\"4.5\" fill=\"\(item.color)\" stroke=\"#ffffff\" stroke-width=\"1.5\"/>"
        case .hollowMarker:
            symbol = "<circle cx=\"\(num(x + 9))\" cy=\"\(num(y - 4))\" r=\"3.75\" fill=\"#ffffff\" stroke=\"\(item.color)\" stroke-width=\"1.5\"/>"
        }
        return symbol + "<text x=\"\(num(x + 24))\" y=\"\(num(y))\">\(ChartText.xml(item.label))</text>"
    }

    private func panelSVG(_ p: ChartPanel, _ out: inout SVGWriter) {
        out.line("<g class=\"panel\">")
        if let t = p.title {
            out.line("<text x=\"\(num(p.plot.x))\" y=\"\(num(p.plot.y - 10))\" font-size=\"\(num(ChartStyle.textFontSize))\" font-weight=\"600\" fill=\"#333333\">"
                     + ChartText.xml(Chart.truncated(t, width: p.plot.width, fontSize: ChartStyle.textFontSize)) + "</text>")
        }
        // Grid and value axis.
        out.line("<g class=\"y-axis\" font-size=\"\(num(ChartStyle.tickFontSize))\" fill=\"#555555\" text-anchor=\"end\">")
        for tick in p.yAxis.ticks {
            let y = p.y(tick.value)
            out.line("<line x1=\"\(num(p.plot.x))\" y1=\"\(num(y))\" x2=\"\(num(p.plot.maxX))\" y2=\"\(num(y))\" stroke=\"#e6e6e6\"/>"
                     + "<text x=\"\(num(p.plot.x - 6))\" y=\"\(num(y + 4))\">\(ChartText.xml(tick.label))</text>")
        }
        if let unit = p.yAxis.unit {
            let cx = p.plot.x - 14 - (p.yAxis.ticks.map { ChartText.estimatedWidth($0.label, fontSize: ChartStyle.tickFontSize) }.max() ?? 0)
            let cy = p.plot.y + p.plot.height / 2
            out.line("<text transform=\"translate(\(num(cx)),\(num(cy))) rotate(-90)\" text-anchor=\"middle\">\(ChartText.xml(unit))</text>")
        }
        out.line("</g>")
        // Time axis.
        out.line("<g class=\"x-axis\" font-size=\"\(num(ChartStyle.tickFontSize))\" fill=\"#555555\" text-anchor=\"middle\">")
        out.line("<line x1=\"\(num(p.plot.x))\" y1=\"\(num(p.plot.maxY))\" x2=\"\(num(p.plot.maxX))\" y2=\"\(num(p.plot.maxY))\" stroke=\"#999999\"/>")
        for tick in p.xAxis.ticks {
            let x = p.x(tick.time)
            out.line("<line x1=\"\(num(x))\" y1=\"\(num(p.plot.maxY))\" x2=\"\(num(x))\" y2=\"\(num(p.plot.maxY + 4))\" stroke=\"#999999\"/>"
                     + "<text x=\"\(num(x))\" y=\"\(num(p.plot.maxY + 16))\">\(ChartText.xml(tick.label))</text>")
        }
        out.line("</g>")
        if let bars = p.bars { barsSVG(bars, p, &out) }
        forecastStartSVG(p, &out)
        let envelopes = p.lines.filter { $0.envelope != nil }.count
        for line in p.lines where line.envelope != nil {
            envelopeSVG(line, p, opacity: envelopes > 1 ? ChartStyle.sharedEnvelopeOpacity : ChartStyle.envelopeOpacity, &out)
        }
        // What each line is drawn through, built once (a dense line's from its envelope).
        let drawn = p.lines.map(\.drawnPoints)
        for (line, points) in zip(p.lines, drawn) where line.hasBand { bandSVG(line, points, p, &out) }
        for (line, points) in zip(p.lines, drawn) where line.hasExpected { expectedSVG(line, points, p, &out) }
        for (line, points) in zip(p.lines, drawn) { lineSVG(line, points, p, &out) }
        for line in p.lines where !line.checkProblems.isEmpty { checkProblemsSVG(line, p, &out) }
        for line in p.lines where !line.anomalies.isEmpty { anomaliesSVG(line, p, &out) }
        out.line("</g>")
    }

    /// Runs of consecutive points for which `value` gives a number.
    private static func runs(_ points: [ChartPoint], _ value: (ChartPoint) -> Double?) -> [[(Int64, Double)]] {
        var runs: [[(Int64, Double)]] = []
        var current: [(Int64, Double)] = []
        for point in points {
            if let v = value(point) {
                current.append((point.time, v))
            } else if !current.isEmpty {
                runs.append(current)
                current = []
            }
        }
        if !current.isEmpty { runs.append(current) }
        return runs
    }

    private func lineSVG(_ line: ChartLine, _ drawn: [ChartPoint], _ p: ChartPanel, _ out: inout SVGWriter) {
        // A point of a bucket in progress is left out of the value axis: it is drawn at the plot's edge when its value
        // lies beyond, with its value written beside it.
        func y(_ pt: ChartPoint) -> Double { pt.inProgress ? p.yWithinPlot(pt.value!) : p.y(pt.value!) }
        func xy(_ pt: ChartPoint) -> String { num(p.x(pt.time)) + " " + num(y(pt)) }
        var d = "", partial = ""
        var dots: [ChartPoint] = [], open: [ChartPoint] = []
        for run in Chart.valueRuns(drawn) {
            // Segments between whole points are solid; a segment to or from a point in progress is dashed.
            var pen = false
            for k in run.indices {
                let pt = run[k]
                if pt.inProgress { open.append(pt) }
                if k > run.startIndex {
                    let before = run[k - 1]
                    if pt.inProgress || before.inProgress {
                        partial += "M" + xy(before) + "L" + xy(pt)
                        pen = false
                    } else {
                        d += (pen ? "L" : "M" + xy(before) + "L") + xy(pt)
                        pen = true
                    }
                }
                // A whole value between two gaps (or between points in progress): a dot, since a line needs two points.
                let alone = !pt.inProgress && (k == run.startIndex || run[k - 1].inProgress)
                    && (k + 1 == run.endIndex || run[k + 1].inProgress)
                if alone { dots.append(pt) }
            }
        }
        out.line("<g class=\"series\" fill=\"\(line.color)\"><title>\(ChartText.xml(line.name))</title>")
        if !d.isEmpty {
            out.line("<path d=\"\(d)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\"/>")
        }
        for point in dots {
            out.line("<circle cx=\"\(num(p.x(point.time)))\" cy=\"\(num(p.y(point.value!)))\" r=\"2.2\"/>")
        }
        if !partial.isEmpty {
            out.line("<path class=\"in-progress\" d=\"\(partial)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"1.6\" stroke-dasharray=\"3 3\"/>")
        }
        for point in open {
            let cx = p.x(point.time), cy = y(point)
            out.line("<circle class=\"in-progress\" cx=\"\(num(cx))\" cy=\"\(num(cy))\" r=\"3.2\" fill=\"#ffffff\" "
                     + "stroke=\"\(line.color)\" stroke-width=\"1.5\"><title>" + ChartText.xml(Chart.inProgressTooltip(point, line: line, partialBuckets.bucket(holding: point.time)))
                     + "</title></circle>")
            if cy != p.y(point.value!) {
                // Off the axis: its value, so far, beside it (inside the plot): right of it, unless that leaves the
                // plot or a forecast's label stands there.
                let text = ChartText.number(point.value!) + (partialBuckets.bucket(holding: point.time)?.endsAtNow == false ? ", partial" : " so far")
                let w = ChartText.estimatedWidth(text, fontSize: ChartStyle.tickFontSize)
                let forecastAfter = p.lines.contains { $0.hasForecast }
                let tx = cx + 6 + w > p.plot.maxX || forecastAfter ? cx - 6 - w : cx + 6
                let ty = cy <= p.plot.y ? cy + 12 : cy - 4
                out.line("<text class=\"in-progress\" x=\"\(num(tx))\" y=\"\(num(ty))\" font-size=\"\(num(ChartStyle.tickFontSize))\" fill=\"#555555\">"
                         + ChartText.xml(text) + "</text>")
            }
        }
        out.line("</g>")
    }

    /// Runs of consecutive points with a value.
    static func valueRuns(_ points: [ChartPoint]) -> [ArraySlice<ChartPoint>] {
        points.split { $0.value == nil }
    }

    static func inProgressTooltip(_ point: ChartPoint, line: ChartLine, _ bucket: InProgressBucket?) -> String {
        [line.name, UTCTime.readable(point.time),
         "value so far: " + ChartText.number(point.value!, unit: line.unit),
         Chart.inProgressTooltip(bucket)].joined(separator: "\n")
    }

    /// The expected range: a shaded band; over a dense line's min–max band, its two edges (dotted), and the
    /// forecast after it shaded.
    private func bandSVG(_ line: ChartLine, _ drawn: [ChartPoint], _ p: ChartPanel, _ out: inout SVGWriter) {
        var d = "", edges = ""
        var run: [ChartPoint] = []
        func flush() {
            defer { run = [] }
            guard !run.isEmpty else { return }
            if line.envelope != nil && !run[0].forecast {
                for bound in [\ChartPoint.upper, \ChartPoint.lower] {
                    for (k, pt) in run.enumerated() { edges += (k == 0 ? "M" : "L") + num(p.x(pt.time)) + " " + num(p.yWithinPlot(pt[keyPath: bound]!)) }
                }
                return
            }
            // Upper edge forwards, lower edge backwards; a lone point is a vertical stroke of its range.
            for (k, pt) in run.enumerated() { d += (k == 0 ? "M" : "L") + num(p.x(pt.time)) + " " + num(p.yWithinPlot(pt.upper!)) }
            for pt in run.reversed() { d += "L" + num(p.x(pt.time)) + " " + num(p.yWithinPlot(pt.lower!)) }
            d += "Z"
        }
        for pt in drawn {
            guard pt.lower != nil && pt.upper != nil else { flush(); continue }
            if line.envelope != nil, let last = run.last, last.forecast != pt.forecast { flush() }
            run.append(pt)
        }
        flush()
        let title = "<title>expected range of \(ChartText.xml(line.name))</title>"
        if !edges.isEmpty {
            out.line("<path class=\"band-edges\" d=\"\(edges)\" fill=\"none\" stroke=\"\(line.color)\" stroke-opacity=\"0.8\" stroke-width=\"1\" stroke-dasharray=\"2 2\">\(title)</path>")
        }
        guard !d.isEmpty else { return }
        out.line("<path class=\"band\" d=\"\(d)\" fill=\"\(line.color)\" fill-opacity=\"0.16\" stroke=\"\(line.color)\" stroke-opacity=\"0.16\" stroke-width=\"0.5\">\(title)</path>")
    }

    /// A dense line's min–max band: each column's range drawn across its interval, a gap where intervals without
    /// points lie between columns (the mean is the line, drawn by ``lineSVG``).
    private func envelopeSVG(_ line: ChartLine, _ p: ChartPanel, opacity: Double, _ out: inout SVGWriter) {
        guard let envelope = line.envelope, !envelope.columns.isEmpty else { return }
        var d = ""
        var run: [EnvelopeColumn] = []
        func flush() {
            defer { run = [] }
            guard !run.isEmpty else { return }
            // Top edge forwards, bottom edge backwards, each column across its whole interval (within the plot), so
            // that every point of it, a mark at any hour, lies inside the band.
            func edges(_ c: EnvelopeColumn) -> (String, String) {
                (num(Swift.max(p.x(c.start), p.plot.x)), num(Swift.min(p.x(c.end), p.plot.maxX)))
            }
            for (k, c) in run.enumerated() {
                let (left, right) = edges(c), top = num(p.y(c.max))
                d += (k == 0 ? "M" : "L") + left + " " + top + "L" + right + " " + top
            }
            for c in run.reversed() {
                let (left, right) = edges(c), bottom = num(p.y(c.min))
                d += "L" + right + " " + bottom + "L" + left + " " + bottom
            }
            d += "Z"
        }
        for column in envelope.columns {
            if let previous = run.last, previous.end < column.start { flush() }
            run.append(column)
        }
        flush()
        out.line("<path class=\"envelope\" d=\"\(d)\" fill=\"\(line.color)\" fill-opacity=\"\(opacity)\" stroke=\"\(line.color)\" stroke-opacity=\"\(opacity)\" stroke-width=\"1\"><title>"
                 + ChartText.xml("smallest to largest value per \(envelope.interval) of \(line.name)") + "</title></path>")
    }

    private func expectedSVG(_ line: ChartLine, _ drawn: [ChartPoint], _ p: ChartPanel, _ out: inout SVGWriter) {
        var d = ""
        var points = drawn
        // A forecast that follows points without an expected value grows out of the line's last value (of a whole
        // bucket: the value of one in progress holds only part of its time).
        if let first = points.firstIndex(where: \.forecast), first > 0,
           let last = points[..<first].lastIndex(where: { !$0.inProgress }), points[last].expected == nil,
           let value = points[last].value {
            points[last].expected = value
            // A bucket in progress between them without an expected value of its own (the forecast gave it one
            // when the query bucketed before forecasting) would break the dashed line.
            points.replaceSubrange((last + 1)..<first, with: points[(last + 1)..<first].filter { $0.expected != nil })
        }
        for run in Chart.runs(points, { $0.expected }) where run.count > 1 {
            for (k, (t, v)) in run.enumerated() { d += (k == 0 ? "M" : "L") + num(p.x(t)) + " " + num(p.yWithinPlot(v)) }
        }
        guard !d.isEmpty else { return }
        out.line("<path class=\"expected\" d=\"\(d)\" fill=\"none\" stroke=\"\(line.color)\" stroke-opacity=\"0.7\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>")
    }

    /// Anomalies as filled markers; those that raise no alert (silenced by the alert rules: refractory period,
    /// likelihood gate, recurrence check) as hollow ones, drawn first so an alert is never hidden under them.
    private func anomaliesSVG(_ line: ChartLine, _ p: ChartPanel, _ out: inout SVGWriter) {
        let silenced = line.anomalies.filter(\.isSilencedAnomaly)
        if !silenced.isEmpty {
            out.line("<g class=\"anomalies-silenced\" fill=\"#ffffff\" stroke=\"\(ChartStyle.anomalyColor)\" stroke-width=\"1.5\">")
            for point in silenced {
                out.line("<circle cx=\"\(num(p.x(point.time)))\" cy=\"\(num(p.y(point.value!)))\" r=\"3.75\"><title>"
                         + ChartText.xml(Chart.tooltip(point, line: line)) + "</title></circle>")
            }
            out.line("</g>")
        }
        // White halos first, then the dots: dots a few pixels apart stay filled (each one's outline drawn over the one
        // before made a run of them look like the hollow "no alert" marker).
        let alerting = line.anomalies.filter { !$0.isSilencedAnomaly }
        // Where several series share the panel, a ring in the series' colour says whose anomaly a dot is.
        let ringed = p.lines.count > 1
        out.line("<g class=\"anomaly-halos\" fill=\"#ffffff\">")
        for point in alerting {
            out.line("<circle cx=\"\(num(p.x(point.time)))\" cy=\"\(num(p.y(point.value!)))\" r=\"\(ringed ? "7.25" : "5.25")\"/>")
        }
        out.line("</g>")
        if ringed {
            out.line("<g class=\"anomaly-rings\" fill=\"\(line.color)\">")
            for point in alerting {
                out.line("<circle cx=\"\(num(p.x(point.time)))\" cy=\"\(num(p.y(point.value!)))\" r=\"6.5\"/>")
            }
            out.line("</g>")
        }
        out.line("<g class=\"anomalies\" fill=\"\(ChartStyle.anomalyColor)\">")
        for point in alerting {
            out.line("<circle cx=\"\(num(p.x(point.time)))\" cy=\"\(num(p.y(point.value!)))\" r=\"4.5\"><title>"
                     + ChartText.xml(Chart.tooltip(point, line: line)) + "</title></circle>")
        }
        out.line("</g>")
    }

    /// Where the forecast begins (the first forecast point of the panel's lines): a dotted vertical line labelled
    /// `forecast`, so the history and the prediction are told apart at a glance.
    private func forecastStartSVG(_ p: ChartPanel, _ out: inout SVGWriter) {
        guard let start = p.lines.compactMap({ $0.points.first(where: \.forecast)?.time }).min() else { return }
        let x = num(p.x(start))
        // The label right of the line, or left of it where it would leave the plot.
        let labelWidth = ChartText.estimatedWidth("forecast", fontSize: ChartStyle.tickFontSize)
        let right = p.x(start) + 4 + labelWidth <= p.plot.maxX
        let tx = right ? p.x(start) + 4 : p.x(start) - 4
        out.line("<g class=\"forecast-start\"><line x1=\"\(x)\" y1=\"\(num(p.plot.y))\" x2=\"\(x)\" y2=\"\(num(p.plot.maxY))\" "
                 + "stroke=\"#888888\" stroke-dasharray=\"2 3\"/><text x=\"\(num(tx))\" y=\"\(num(p.plot.y + 11))\" "
                 + (right ? "" : "text-anchor=\"end\" ")
                 + "font-size=\"\(num(ChartStyle.tickFontSize))\" fill=\"#666666\">forecast</text></g>")
    }

    /// Check points that warned, failed or errored, as squares in the outcome's colour (under any anomaly marker);
    /// one without a value (a scan that errored) sits on the plot's floor, where the line has its gap.
    private func checkProblemsSVG(_ line: ChartLine, _ p: ChartPanel, _ out: inout SVGWriter) {
        out.line("<g class=\"check-outcomes\" stroke=\"#ffffff\" stroke-width=\"1\">")
        for point in line.checkProblems {
            let x = p.x(point.time), y = point.value.map(p.y) ?? (p.plot.maxY - 4)
            let title = "Check \(point.outcome!) in \(line.name)\n\(UTCTime.readable(point.time))\nvalue: "
                + (point.value.map { ChartText.number($0, unit: line.unit) } ?? "none")
            out.line("<rect class=\"\(point.outcome!)\" x=\"\(num(x - 4))\" y=\"\(num(y - 4))\" width=\"8\" height=\"8\" "
                     + "fill=\"\(ChartStyle.outcomeColors[point.outcome!]!)\"><title>" + ChartText.xml(title) + "</title></rect>")
        }
        out.line("</g>")
    }

    /// The tooltip of an anomaly: time, value, expected value and range, score, reason; one per line.
    static func tooltip(_ point: ChartPoint, line: ChartLine) -> String {
        func withUnit(_ v: Double) -> String { ChartText.number(v, unit: line.unit) }
        var lines = [(point.isSilencedAnomaly ? "Anomaly (no alert) in " : "Anomaly in ") + line.name, UTCTime.readable(point.time)]
        lines.append("value: " + (point.value.map(withUnit) ?? "null"))
        // A model's numbers as its reason writes them (17,877 and 17,000–19,220, not 17,876.862), so the two agree.
        if let e = point.expected { lines.append("expected: " + ChartText.withUnit(formatNumber(e), unit: line.unit)) }
        if let lo = point.lower, let hi = point.upper {
            lines.append("expected range: " + ChartText.withUnit(formatRange(lower: lo, upper: hi), unit: line.unit))
        }
        if let s = point.score { lines.append("score: " + ChartText.number(s, maxDecimals: 2)) }
        if let r = point.reason, !r.isEmpty { lines.append("reason: " + r) }
        return lines.joined(separator: "\n")
    }

    private func barsSVG(_ bars: OutcomeBars, _ p: ChartPanel, _ out: inout SVGWriter) {
        out.line("<g class=\"bars\" shape-rendering=\"crispEdges\">")
        for bar in bars.bars {
            // Edges on whole pixels, so that neighbouring bars meet without seams; wide bars keep a pixel apart.
            var x = p.x(bar.start).rounded()
            var w = max(1, p.x(bar.end).rounded() - x)
            if w >= 4 { x += 1; w -= 1 }
            // Edges rounded once, so that the segments' heights add up to the stack's height exactly.
            var cumulative = 0.0
            var bottom = Chart.round1(p.y(0))
            var rects = "", marks = ""
            for (k, count) in bar.counts.enumerated() where count > 0 {
                cumulative += count
                let top = Chart.round1(p.y(cumulative))
                rects += "<rect x=\"\(num(x))\" y=\"\(num(top))\" width=\"\(num(w))\" height=\"\(num(bottom - top))\" "
                    + "fill=\"\(bars.colors[k])\" data-outcome=\"\(bars.outcomes[k])\" data-count=\"\(ChartText.number(count))\"/>"
                // A warning, failure or error too small to see among many passes is drawn 2 px tall, over the stack.
                if bottom - top < 2 && ChartPoint.problemOutcomes.contains(bars.outcomes[k]) {
                    marks += "<rect x=\"\(num(x))\" y=\"\(num(bottom - 2))\" width=\"\(num(w))\" height=\"2\" "
                        + "fill=\"\(bars.colors[k])\" class=\"small-outcome\"/>"
                }
                bottom = top
            }
            rects += marks
            guard !rects.isEmpty else { continue }
            // A bar of a bucket still in progress is paler: it counts only part of its time.
            let group = bar.isPartial ? "<g class=\"in-progress\" fill-opacity=\"0.45\">" : "<g>"
            out.line(group + "<title>" + ChartText.xml(Chart.barTooltip(bar, bars)) + "</title>" + rects + "</g>")
        }
        out.line("</g>")
    }

    static func barTooltip(_ bar: OutcomeBar, _ bars: OutcomeBars) -> String {
        var lines = [bar.timestamps == 1 ? UTCTime.readable(bar.time)
                     : UTCTime.readable(bar.start) + " – " + UTCTime.readable(bar.end) + " (\(bar.timestamps) timestamps summed)"]
        for (k, name) in bars.outcomes.enumerated().reversed() where bar.counts[k] > 0 {
            lines.append(name + ": " + ChartText.number(bar.counts[k]))
        }
        if let bucket = bar.partialBucket { lines.append(Chart.inProgressTooltip(bucket)) }
        if let usual = bar.usualTimestamps {
            lines.append("partial: \(bar.timestamps) of the usual \(usual) timestamps; the data covers only part of this interval")
        }
        return lines.joined(separator: "\n")
    }

    static func round1(_ v: Double) -> Double { (v * 10).rounded() / 10 }
}

/// Collects SVG lines.
struct SVGWriter {
    var text = ""
    mutating func line(_ s: String) {
        text += s
        text += "\n"
    }
}

/// A coordinate or size with one decimal.
@inline(__always)
func num(_ v: Double) -> String { ChartText.coordinate(v) }
