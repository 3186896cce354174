import TallyQuery
extension Chart {
    /// The chart as a self-contained HTML page: the SVG inline and a table of figures per series.
    /// No scripts, no network: it works offline and with JavaScript off.
    public func html() -> String {
        ChartPage.html(title: title.isEmpty ? "Tally chart" : title, charts: [self])
    }

    /// The chart in a format.
    public func render(_ format: ChartFormat) -> String {
        switch format {
        case .svg: return svg()
        case .html: return html()
        case .json: return json()
        case .vegaLite: return vegaLite()
        }
    }
}

/// The output formats of a chart, chosen by the file's extension.
public enum ChartFormat: String, Sendable, CaseIterable {
    /// A finished SVG image.
    case svg
    /// A self-contained HTML page with the chart inline.
    case html
    /// Chart-ready JSON: shaped series, axes, units.
    case json
    /// A Vega-Lite v5 specification with the data inlined.
    case vegaLite = "vl.json"

    /// The file extension (without the dot).
    public var fileExtension: String { rawValue }

    /// The format a file name asks for: `.svg`, `.html` (or `.htm`), `.json`, `.vl.json` (case-insensitive);
    /// `nil` for anything else.
    public init?(path: String) {
        let name = String(path.split(separator: "/", omittingEmptySubsequences: false).last ?? "").lowercased()
        if name.hasSuffix(".vl.json") && name.count > 8 { self = .vegaLite }
        else if name.hasSuffix(".json") && name.count > 5 { self = .json }
        else if name.hasSuffix(".svg") && name.count > 4 { self = .svg }
        else if (name.hasSuffix(".html") && name.count > 5) || (name.hasSuffix(".htm") && name.count > 4) { self = .html }
        else { return nil }
    }
}

/// An HTML page of several charts (a report).
public enum ChartPage {
    /// A self-contained page: a heading, an optional introduction (plain text), then each chart's SVG with a table
    /// of its figures. No scripts, styles only inline, no external references.
    public static func html(title: String, charts: [Chart], introduction: String? = nil) -> String {
        var o = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        o += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        o += "<title>\(ChartText.xml(title))</title>\n"
        o += "<style>\n"
        // As wide as the widest chart (a 2,000 px chart is shown at its size where the window allows), at least 1,200 px.
        let width = max(1_200, (charts.map(\.width).max() ?? 0) + 34)
        o += "body{font-family:\(ChartStyle.fontFamily);color:#222;margin:24px auto;max-width:\(width)px;padding:0 16px;line-height:1.4}\n"
        o += "h1{font-size:20px;font-weight:600;margin:0 0 8px}\n"
        o += "figure{margin:24px 0 8px;overflow-x:auto}\nfigure svg{max-width:100%;height:auto;border:1px solid #eee}\n"
        o += "@media (max-width:700px){table{display:block;overflow-x:auto}}\n"
        o += "details{margin:0 0 32px;font-size:13px}\nsummary{cursor:pointer;color:#555}\n"
        o += "table{border-collapse:collapse;margin-top:8px}\nth,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}\n"
        o += "th:first-child,td:first-child{text-align:left}\nth{font-weight:600;color:#444}\n"
        o += ".intro{color:#555;white-space:pre-line}\n"
        o += "</style>\n</head>\n<body>\n"
        o += "<h1>\(ChartText.xml(title))</h1>\n"
        if let introduction, !introduction.isEmpty { o += "<p class=\"intro\">\(ChartText.xml(introduction))</p>\n" }
        for chart in charts {
            o += "<section>\n<figure>\n"
            o += chart.svg()
            o += "</figure>\n"
            o += figuresTable(chart)
            o += "</section>\n"
        }
        o += "</body>\n</html>\n"
        return o
    }

    /// A `<details>` table of the figures behind a chart (exact, before shaping).
    static func figuresTable(_ chart: Chart) -> String {
        switch chart.kind {
        case .empty:
            return "<p>No data: the query returned no points.</p>\n"
        case .line:
            let lines = chart.panels.flatMap(\.lines)
            let anomalyColumn = lines.contains(where: \.hasAnomalyColumn)
            let alertColumn = lines.contains(where: \.hasAlertColumn)
            var o = "<details>\n<summary>Figures</summary>\n<table>\n<tr><th>series</th><th>unit</th><th>points</th>"
            o += "<th>missing</th><th>min</th><th>max</th><th>last time (UTC)</th><th>last value</th>"
            o += anomalyColumn ? "<th>anomalies</th>" + (alertColumn ? "<th>alerts</th>" : "") + "</tr>\n" : "</tr>\n"
            for line in lines {
                let s = line.summary
                // The chart's name for it (a check's name) beside the key, when they differ, so a row finds its panel.
                let name = line.name == line.key ? "" : "<br><span class=\"name\">\(ChartText.xml(line.name))</span>"
                o += "<tr><td>\(ChartText.xml(line.key))\(name)</td><td>\(ChartText.xml(line.unit ?? ""))</td>"
                o += "<td>\(ChartText.grouped(Double(s.points), decimals: 0))</td><td>\(ChartText.grouped(Double(s.missing), decimals: 0))</td>"
                o += "<td>\(s.min.map { ChartText.number($0) } ?? "")</td><td>\(s.max.map { ChartText.number($0) } ?? "")</td>"
                // The last value of a bucket in progress holds only part of its time.
                let soFar = s.lastTime.flatMap { t in chart.partialBuckets.bucket(holding: t).map { " " + $0.label } } ?? ""
                o += "<td>\(s.lastTime.map(UTCTime.readable) ?? "")</td><td>\(s.lastValue.map { ChartText.number($0) } ?? "null")\(soFar)</td>"
                o += anomalyColumn ? "<td>\(s.anomalies)</td>" + (alertColumn ? "<td>\(s.alerts)</td>" : "") + "</tr>\n" : "</tr>\n"
            }
            return o + "</table>\n</details>\n"
        case .outcomes:
            let outcomes = ChartStyle.outcomeOrder.filter { o in chart.panels.contains { $0.bars?.outcomes.contains(o) == true } }
            var o = "<details>\n<summary>Figures</summary>\n<table>\n<tr><th>group</th><th>timestamps</th>"
            o += outcomes.map { "<th>\($0)</th>" }.joined() + "</tr>\n"
            for p in chart.panels {
                guard let bars = p.bars else { continue }
                o += "<tr><td>\(ChartText.xml(p.title ?? "all checks"))</td><td>\(ChartText.grouped(Double(bars.inputCount), decimals: 0))</td>"
                for name in outcomes {
                    let total = bars.outcomes.firstIndex(of: name).map { k in bars.bars.reduce(0) { $0 + $1.counts[k] } }
                    o += "<td>\(total.map { ChartText.number($0) } ?? "")</td>"
                }
                o += "</tr>\n"
            }
            return o + "</table>\n</details>\n"
        }
    }
}
