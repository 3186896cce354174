import TallyQuery
import TallyStorage

extension Chart {
    /// The chart as JSON: chart-ready series after shaping, with axis ranges, ticks and units.
    ///
    /// ```json
    /// {"title": "...", "kind": "line", "layout": "single", "width": 800, "height": 320, "subtitle": "...",
    ///  "legend": [{"label": "...", "color": "#0072b2", "symbol": "line"}],
    ///  "panels": [{"title": null,
    ///    "x": {"type": "time", "min": "...Z", "max": "...Z", "interval": "1mo", "ticks": [{"time": "...Z", "label": "Feb"}]},
    ///    "y": {"min": 0.0, "max": 15000.0, "step": 5000.0, "unit": "rows", "ticks": [{"value": 0.0, "label": "0"}]},
    ///    "series": [{"name": "...", "key": "...", "metric": "...", "labels": {...}, "unit": "rows", "color": "#0072b2",
    ///                "input_points": 365, "points": [{"time": "...Z", "value": 12000.0, "expected": ..., "lower": ...,
    ///                "upper": ..., "score": ..., "anomaly": false, "reason": "...", "outcome": "fail"}]}],
    ///    "bars": null}]}
    /// ```
    /// A dense line (a quarter of its points where it has more than two per pixel column: a year of hourly scans)
    /// also has an `"envelope"`: `{"interval": "1d", "columns": [{"from": "...Z", "to": "...Z", "time": "...Z",
    /// "count": 24, "min": ..., "max": ..., "mean": ..., "expected": ..., "lower": ..., "upper": ...}],
    /// "forecast_columns": [...]}`, one column per interval with points (its mean expected value, lowest lower and
    /// highest upper bound; `"partial": true` when its points cover only part of it), which SVG draws as the mean's
    /// line in a min–max band; its `points` are still the shaped points (anomalies among them).
    /// A `null` value is a gap in the line, except in forecast points (`"forecast": true`: the future points of the
    /// `forecast` stage, with `expected`, `lower` and `upper` but no value). A legend item for the `expected` or
    /// `expected range` of several series also lists their `colors`. `expected`, `lower`, `upper`, `score` and `anomaly` appear only for
    /// series with those columns. Outcome charts have `"series": []` and `"bars": {"outcomes": [...], "colors": [...],
    /// "input_points": N, "aggregated": true, "interval": "1d", "bars": [{"time": "...Z", "from": "...Z", "to": "...Z", "timestamps": 3,
    /// "counts": {"fail": 0.0, ...}, "total": 4.0}]}`.
    /// The key that marks a point or bar at `time` of the result's partial buckets (`in_progress`, or `partial`
    /// when the range's end or start cut it), as the query's JSON writes it.
    func partialKey(at time: Int64) -> String {
        partialBuckets.bucket(holding: time).map { ", \"\($0.jsonKey)\": true" } ?? ""
    }

    /// The key for a bar: of the part bucket it sums some of ("" for a whole one).
    static func partialKey(for bar: OutcomeBar) -> String {
        bar.partialBucket.map { ", \"\($0.jsonKey)\": true" } ?? ""
    }

    public func json() -> String {
        var o = "{\n"
        o += "  \"title\": \(ChartText.json(title)),\n"
        o += "  \"subtitle\": \(ChartText.json(subtitle)),\n"
        o += "  \"kind\": \"\(kind.rawValue)\",\n"
        o += "  \"layout\": \"\(layout.rawValue)\",\n"
        o += "  \"width\": \(width),\n"
        o += "  \"height\": \(height),\n"
        o += "  \"legend\": [" + legend.map {
            "{\"label\": \(ChartText.json($0.label)), \"color\": \"\($0.color)\", "
                + ($0.colors.count > 1 ? "\"colors\": [" + $0.colors.map { "\"\($0)\"" }.joined(separator: ", ") + "], " : "")
                + "\"symbol\": \"\($0.symbol.rawValue)\"}"
        }.joined(separator: ", ") + "],\n"
        o += "  \"panels\": ["
        for (k, p) in panels.enumerated() {
            o += k == 0 ? "\n" : ",\n"
            o += "    {\"title\": " + (p.title.map(ChartText.json) ?? "null") + ",\n"
            o += "     \"x\": {\"type\": \"time\", \"min\": \"\(TimeText.format(p.xAxis.min))\", \"max\": \"\(TimeText.format(p.xAxis.max))\", "
            o += "\"interval\": \"\(p.xAxis.interval)\", \"ticks\": ["
            o += p.xAxis.ticks.map { "{\"time\": \"\(TimeText.format($0.time))\", \"label\": \(ChartText.json($0.label))}" }.joined(separator: ", ")
            o += "]},\n"
            o += "     \"y\": {\"min\": \(ChartText.json(p.yAxis.min)), \"max\": \(ChartText.json(p.yAxis.max)), "
            o += "\"step\": \(ChartText.json(p.yAxis.step)), \"unit\": " + (p.yAxis.unit.map(ChartText.json) ?? "null") + ", \"ticks\": ["
            o += p.yAxis.ticks.map { "{\"value\": \(ChartText.json($0.value)), \"label\": \(ChartText.json($0.label))}" }.joined(separator: ", ")
            o += "]},\n"
            o += "     \"series\": ["
            for (j, line) in p.lines.enumerated() {
                o += j == 0 ? "\n" : ",\n"
                o += "      {\"name\": \(ChartText.json(line.name)), \"key\": \(ChartText.json(line.key)), "
                o += "\"metric\": \(ChartText.json(line.metric)), \"labels\": {"
                o += line.labels.map { ChartText.json($0.name) + ": " + ChartText.json($0.value) }.joined(separator: ", ")
                o += "}, \"unit\": " + (line.unit.map(ChartText.json) ?? "null") + ", \"color\": \"\(line.color)\", "
                o += "\"input_points\": \(line.inputCount), \"points\": ["
                for (i, pt) in line.points.enumerated() {
                    o += i == 0 ? "\n" : ",\n"
                    o += "        " + Chart.pointJSON(pt, line, partialKey: pt.inProgress ? partialKey(at: pt.time) : "")
                }
                o += line.points.isEmpty ? "]" : "\n      ]"
                if let envelope = line.envelope {
                    func columns(_ list: [EnvelopeColumn]) -> String {
                        var o = "["
                        for (i, c) in list.enumerated() {
                            o += i == 0 ? "\n" : ",\n"
                            o += "        {\"from\": \"\(TimeText.format(c.start))\", \"to\": \"\(TimeText.format(c.end))\", "
                            o += "\"time\": \"\(TimeText.format(c.time))\", \"count\": \(c.count), \"min\": \(ChartText.json(c.min)), "
                            o += "\"max\": \(ChartText.json(c.max)), \"mean\": \(ChartText.json(c.mean))"
                            if line.hasExpected { o += ", \"expected\": \(ChartText.json(c.expected))" }
                            if line.hasBand { o += ", \"lower\": \(ChartText.json(c.lower)), \"upper\": \(ChartText.json(c.upper))" }
                            o += c.partial ? ", \"partial\": true}" : "}"
                        }
                        return o + (list.isEmpty ? "]" : "\n      ]")
                    }
                    o += ", \"envelope\": {\"interval\": \"\(envelope.interval)\", \"columns\": " + columns(envelope.columns)
                    if let forecast = envelope.forecastColumns { o += ", \"forecast_columns\": " + columns(forecast) }
                    o += "}"
                }
                o += "}"
            }
            o += p.lines.isEmpty ? "],\n" : "\n     ],\n"
            if let bars = p.bars {
                o += "     \"bars\": {\"outcomes\": [" + bars.outcomes.map(ChartText.json).joined(separator: ", ") + "], "
                o += "\"colors\": [" + bars.colors.map(ChartText.json).joined(separator: ", ") + "], "
                o += "\"input_points\": \(bars.inputCount), \"aggregated\": \(bars.aggregated), "
                o += "\"interval\": " + (bars.interval.map { "\"\($0)\"" } ?? "null") + ", \"bars\": ["
                for (i, bar) in bars.bars.enumerated() {
                    o += i == 0 ? "\n" : ",\n"
                    o += "       {\"time\": \"\(TimeText.format(bar.time))\", \"from\": \"\(TimeText.format(bar.start))\", \"to\": \"\(TimeText.format(bar.end))\", \"timestamps\": \(bar.timestamps), \"counts\": {"
                    o += zip(bars.outcomes, bar.counts).map { ChartText.json($0.0) + ": " + ChartText.json($0.1) }.joined(separator: ", ")
                    o += "}, \"total\": \(ChartText.json(bar.total))" + Chart.partialKey(for: bar)
                        + (bar.usualTimestamps.map { ", \"usual_timestamps\": \($0)" } ?? "") + "}"
                }
                o += bars.bars.isEmpty ? "]}}" : "\n     ]}}"
            } else {
                o += "     \"bars\": null}"
            }
        }
        o += panels.isEmpty ? "]\n" : "\n  ]\n"
        o += "}\n"
        return o
    }

    static func pointJSON(_ pt: ChartPoint, _ line: ChartLine, partialKey: String) -> String {
        var o = "{\"time\": \"\(TimeText.format(pt.time))\", \"value\": \(ChartText.json(pt.value))"
        if line.hasExpected { o += ", \"expected\": \(ChartText.json(pt.expected))" }
        if line.hasBand { o += ", \"lower\": \(ChartText.json(pt.lower)), \"upper\": \(ChartText.json(pt.upper))" }
        if pt.score != nil { o += ", \"score\": \(ChartText.json(pt.score))" }
        if line.hasAnomalyColumn { o += ", \"anomaly\": \(pt.anomaly ?? false)" }
        if line.hasAlertColumn { o += ", \"alert\": \(pt.alert ?? false)" }
        if let r = pt.reason { o += ", \"reason\": \(ChartText.json(r))" }
        if let outcome = pt.outcome { o += ", \"outcome\": \(ChartText.json(outcome))" }
        if pt.forecast { o += ", \"forecast\": true" }
        if pt.inProgress { o += partialKey }
        return o + "}"
    }
}
