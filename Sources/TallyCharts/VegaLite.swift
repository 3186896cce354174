import TallyQuery
import TallyStorage

extension Chart {
    /// The chart as a Vega-Lite v5 specification with the (shaped) data inlined.
    ///
    /// Line charts layer the expected-range band (`area` of `lower`..`upper`), the expected value (dashed), the
    /// values (`line`, one path per run between gaps: the `segment` field) and anomalies (`point` with a tooltip).
    /// Outcome charts are stacked `bar`s from `from` to `to`, coloured by outcome. Small multiples facet by `series`
    /// (or `group`) with independent value scales. Times are UTC.
    public func vegaLite() -> String {
        var o = "{\n"
        o += "  \"$schema\": \"https://vega.github.io/schema/vega-lite/v5.json\",\n"
        o += "  \"description\": \(ChartText.json(accessibleLabel)),\n"
        o += "  \"title\": {\"text\": \(ChartText.json(title)), \"subtitle\": \(ChartText.json(subtitle)), \"anchor\": \"start\"},\n"
        let single = layout == .single
        let plot = panels.first?.plot ?? ChartRect(x: 0, y: 0, width: Double(width), height: Double(height))
        let size = "\"width\": \(Int(plot.width.rounded())), \"height\": \(Int(plot.height.rounded()))"
        let xDomain = panels.first.map { "[\($0.xAxis.min), \($0.xAxis.max)]" } ?? "null"
        let x = "\"x\": {\"field\": \"time\", \"type\": \"temporal\", \"title\": null, \"scale\": {\"type\": \"utc\", \"domain\": \(xDomain)}}"
        switch kind {
        case .empty:
            o += "  \(size),\n  \"data\": {\"values\": []},\n  \"mark\": \"point\"\n}\n"
            return o
        case .line:
            let lines = panels.flatMap(\.lines)
            o += "  \"data\": {\"values\": [\n" + panels.flatMap { lineRows($0.lines, axis: $0.yAxis) }.joined(separator: ",\n") + "\n  ]},\n"
            let names = lines.map(\.name), colors = lines.map(\.color)
            let colorScale = "{\"domain\": [" + names.map(ChartText.json).joined(separator: ", ") + "], \"range\": ["
                + colors.map(ChartText.json).joined(separator: ", ") + "]}"
            let byColor = single && lines.count > 1
            let color = byColor ? ", \"color\": {\"field\": \"series\", \"type\": \"nominal\", \"title\": null, \"scale\": \(colorScale)}" : ""
            let markColor = byColor ? "" : ", \"color\": \"\(ChartStyle.palette[0])\""
            let unit = panels.first?.yAxis.unit
            let yDomain = single ? ", \"domain\": [\(ChartText.json(panels[0].yAxis.min)), \(ChartText.json(panels[0].yAxis.max))]" : ""
            let yTitle = single ? (unit.map(ChartText.json) ?? "null") : "null"
            func y(_ field: String) -> String {
                "\"y\": {\"field\": \"\(field)\", \"type\": \"quantitative\", \"title\": \(yTitle), \"scale\": {\"zero\": false\(yDomain)}}"
            }
            var layers: [String] = []
            if lines.contains(where: \.hasBand) {
                layers.append("{\"transform\": [{\"filter\": \"isValid(datum.lower) && isValid(datum.upper)\"}], "
                              + "\"mark\": {\"type\": \"area\", \"opacity\": 0.16\(markColor)}, "
                              + "\"encoding\": {\(x), \(y("lower")), \"y2\": {\"field\": \"upper\"}\(color), "
                              + "\"detail\": [{\"field\": \"series\"}, {\"field\": \"band_segment\"}]}}")
            }
            if lines.contains(where: \.hasExpected) {
                layers.append("{\"transform\": [{\"filter\": \"isValid(datum.expected)\"}], "
                              + "\"mark\": {\"type\": \"line\", \"strokeDash\": [4, 3], \"strokeWidth\": 1.2, \"opacity\": 0.7\(markColor)}, "
                              + "\"encoding\": {\(x), \(y("expected"))\(color), "
                              + "\"detail\": [{\"field\": \"series\"}, {\"field\": \"expected_segment\"}]}}")
            }
            layers.append("{\"transform\": [{\"filter\": \"isValid(datum.value) && datum.in_progress !== true && datum.partial !== true && datum.mark !== true\"}], "
                          + "\"mark\": {\"type\": \"line\", \"strokeWidth\": 1.6, \"point\": false\(markColor)}, "
                          + "\"encoding\": {\(x), \(y("value"))\(color), "
                          + "\"detail\": [{\"field\": \"series\"}, {\"field\": \"segment\"}]}}")
            // The point of a bucket in progress: hollow, at its value kept within the axis (`value_shown`).
            if lines.contains(where: { $0.points.contains(where: \.inProgress) }) {
                layers.append("{\"transform\": [{\"filter\": \"isValid(datum.value) && (datum.in_progress === true || datum.partial === true)\"}], "
                              + "\"mark\": {\"type\": \"point\", \"filled\": false, \"size\": 40\(markColor)}, "
                              + "\"encoding\": {\(x), \(y("value_shown"))\(color), \"tooltip\": [{\"field\": \"value\", \"type\": \"quantitative\", \"format\": \",\"}]}}")
            }
            if lines.contains(where: { !$0.anomalies.isEmpty }) {
                let tooltip = "\"tooltip\": ["
                    + "{\"field\": \"series\", \"type\": \"nominal\"}, "
                    + "{\"field\": \"time\", \"type\": \"temporal\", \"format\": \"%Y-%m-%d %H:%M UTC\", \"formatType\": \"utc\"}, "
                    + "{\"field\": \"value\", \"type\": \"quantitative\", \"format\": \",\"}, "
                    + "{\"field\": \"expected\", \"type\": \"quantitative\", \"format\": \",\"}, "
                    + "{\"field\": \"lower\", \"type\": \"quantitative\", \"format\": \",\"}, "
                    + "{\"field\": \"upper\", \"type\": \"quantitative\", \"format\": \",\"}, "
                    + "{\"field\": \"reason\", \"type\": \"nominal\"}]"
                // Rows carry `alert` only when the series has an alert column: without one every flag is drawn filled.
                if lines.contains(where: { $0.anomalies.contains(where: \.isSilencedAnomaly) }) {
                    layers.append("{\"transform\": [{\"filter\": \"datum.anomaly === true && datum.alert === false && isValid(datum.value)\"}], "
                                  + "\"mark\": {\"type\": \"point\", \"filled\": false, \"size\": 45, \"strokeWidth\": 1.5, \"color\": \"\(ChartStyle.anomalyColor)\", \"opacity\": 1}, "
                                  + "\"encoding\": {\(x), \(y("value")), \(tooltip)}}")
                }
                layers.append("{\"transform\": [{\"filter\": \"datum.anomaly === true && datum.alert !== false && isValid(datum.value)\"}], "
                              + "\"mark\": {\"type\": \"point\", \"filled\": true, \"size\": 70, \"color\": \"\(ChartStyle.anomalyColor)\", \"opacity\": 1}, "
                              + "\"encoding\": {\(x), \(y("value")), \(tooltip)}}")
            }
            let layerText = "[\n    " + layers.joined(separator: ",\n    ") + "\n  ]"
            if single {
                o += "  \(size),\n  \"layer\": \(layerText)\n}\n"
            } else {
                let columns = max(1, min(lines.count, width / 300))
                o += "  \"columns\": \(columns),\n"
                o += "  \"facet\": {\"field\": \"series\", \"type\": \"nominal\", \"title\": null, \"sort\": ["
                    + names.map(ChartText.json).joined(separator: ", ") + "]},\n"
                o += "  \"spec\": {\(size), \"layer\": \(layerText)},\n"
                o += "  \"resolve\": {\"scale\": {\"y\": \"independent\"}}\n}\n"
            }
            return o
        case .outcomes:
            var rows: [String] = []
            for p in panels {
                guard let bars = p.bars else { continue }
                let group = ChartText.json(p.title ?? "")
                for bar in bars.bars {
                    for (k, name) in bars.outcomes.enumerated() {
                        rows.append("    {\"group\": \(group), \"from\": \"\(TimeText.format(bar.start))\", \"to\": \"\(TimeText.format(bar.end))\", "
                                    + "\"outcome\": \"\(name)\", \"order\": \(k), \"count\": \(ChartText.json(bar.counts[k])), \"timestamps\": \(bar.timestamps)"
                                    + Chart.partialKey(for: bar) + (bar.usualTimestamps.map { ", \"usual_timestamps\": \($0)" } ?? "") + "}")
                    }
                }
            }
            o += "  \"data\": {\"values\": [\n" + rows.joined(separator: ",\n") + "\n  ]},\n"
            let bars = panels.first?.bars
            let outcomes = bars?.outcomes ?? []
            let colors = bars?.colors ?? []
            let unit = panels.first?.yAxis.unit
            // A bar of a part bucket, or a summed end bar with fewer timestamps than usual, is paler, as in the SVG.
            let spec = "\"mark\": {\"type\": \"bar\"}, \"encoding\": {"
                + "\"opacity\": {\"condition\": {\"test\": \"datum.in_progress === true || datum.partial === true || isValid(datum.usual_timestamps)\", \"value\": 0.45}, \"value\": 1}, "
                + "\"x\": {\"field\": \"from\", \"type\": \"temporal\", \"title\": null, \"scale\": {\"type\": \"utc\", \"domain\": \(xDomain)}}, "
                + "\"x2\": {\"field\": \"to\"}, "
                + "\"y\": {\"field\": \"count\", \"type\": \"quantitative\", \"stack\": \"zero\", \"title\": \(unit.map(ChartText.json) ?? "null")}, "
                + "\"color\": {\"field\": \"outcome\", \"type\": \"nominal\", \"title\": null, \"scale\": {\"domain\": ["
                + outcomes.map(ChartText.json).joined(separator: ", ") + "], \"range\": ["
                + colors.map(ChartText.json).joined(separator: ", ") + "]}}, "
                + "\"order\": {\"field\": \"order\", \"type\": \"quantitative\"}, "
                + "\"tooltip\": [{\"field\": \"from\", \"type\": \"temporal\", \"format\": \"%Y-%m-%d %H:%M UTC\", \"formatType\": \"utc\"}, "
                + "{\"field\": \"outcome\", \"type\": \"nominal\"}, {\"field\": \"count\", \"type\": \"quantitative\", \"format\": \",\"}, "
                + "{\"field\": \"timestamps\", \"type\": \"quantitative\"}]}"
            if single {
                o += "  \(size),\n  \(spec)\n}\n"
            } else {
                let columns = max(1, min(panels.count, width / 300))
                o += "  \"columns\": \(columns),\n"
                o += "  \"facet\": {\"field\": \"group\", \"type\": \"nominal\", \"title\": null, \"sort\": ["
                    + panels.map { ChartText.json($0.title ?? "") }.joined(separator: ", ") + "]},\n"
                o += "  \"spec\": {\(size), \(spec)},\n"
                o += "  \"resolve\": {\"scale\": {\"y\": \"independent\"}}\n}\n"
            }
            return o
        }
    }

    /// One data row per drawn point, with run numbers that break the paths at gaps. A dense line gives its
    /// envelope's means (``ChartLine/drawnPoints``), and its marks as rows of their own (`"mark": true`, drawn as
    /// points only). The point of a bucket in progress carries `value_shown`, its value kept within the panel's
    /// value axis, where it is drawn (its value does not set the axis, as in the SVG).
    private func lineRows(_ lines: [ChartLine], axis: ValueAxis) -> [String] {
        var rows: [String] = []
        for line in lines {
            var segment = 0, bandSegment = 0, expectedSegment = 0
            var inValue = false, inBand = false, inExpected = false
            for pt in line.drawnPoints {
                if pt.value == nil { if inValue { segment += 1 }; inValue = false } else { inValue = true }
                let banded = pt.lower != nil && pt.upper != nil
                if !banded { if inBand { bandSegment += 1 }; inBand = false } else { inBand = true }
                if pt.expected == nil { if inExpected { expectedSegment += 1 }; inExpected = false } else { inExpected = true }
                var r = "    {\"series\": \(ChartText.json(line.name)), \"time\": \"\(TimeText.format(pt.time))\", "
                r += "\"value\": \(ChartText.json(pt.value)), \"segment\": \(segment)"
                if line.hasExpected { r += ", \"expected\": \(ChartText.json(pt.expected)), \"expected_segment\": \(expectedSegment)" }
                if line.hasBand {
                    r += ", \"lower\": \(ChartText.json(pt.lower)), \"upper\": \(ChartText.json(pt.upper)), \"band_segment\": \(bandSegment)"
                }
                if line.hasAnomalyColumn { r += ", \"anomaly\": \(pt.anomaly ?? false)" }
                if line.hasAlertColumn { r += ", \"alert\": \(pt.alert ?? false)" }
                if let reason = pt.reason { r += ", \"reason\": \(ChartText.json(reason))" }
                if let unit = line.unit { r += ", \"unit\": \(ChartText.json(unit))" }
                if pt.inProgress {
                    r += partialKey(at: pt.time)
                    if let v = pt.value { r += ", \"value_shown\": \(ChartText.json(Swift.min(Swift.max(v, axis.min), axis.max)))" }
                }
                rows.append(r + "}")
            }
            guard line.envelope != nil else { continue }
            for pt in line.points where pt.value != nil && (pt.anomaly == true || pt.isCheckProblem) {
                var r = "    {\"series\": \(ChartText.json(line.name)), \"time\": \"\(TimeText.format(pt.time))\", "
                r += "\"value\": \(ChartText.json(pt.value)), \"mark\": true"
                if line.hasAnomalyColumn { r += ", \"anomaly\": \(pt.anomaly ?? false)" }
                if line.hasAlertColumn { r += ", \"alert\": \(pt.alert ?? false)" }
                if let reason = pt.reason { r += ", \"reason\": \(ChartText.json(reason))" }
                if let unit = line.unit { r += ", \"unit\": \(ChartText.json(unit))" }
                rows.append(r + "}")
            }
        }
        return rows
    }
}
