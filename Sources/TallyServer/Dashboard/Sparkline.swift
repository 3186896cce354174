import Tally
import TallyCharts

/// A small inline SVG of a series' recent values: the line of the overview's metric rows.
struct Sparkline {
    var width = 140
    var height = 30

    /// The SVG of the points (`nil` values are gaps), shaped to one point per pixel column. With no drawable value,
    /// a flat dashed line says there is nothing to draw.
    func svg(times: [Int64], values: [Double?], label: String) -> String {
        let w = Double(width), h = Double(height), pad = 3.0
        var out = "<svg class=\"sparkline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"\(HTMLText.escape(label))\">"
        let drawable = values.compactMap { $0 }
        guard let low = drawable.min(), let high = drawable.max(), let first = times.first, let last = times.last else {
            return out + "<path d=\"M\(pad) \(h / 2)H\(w - pad)\" stroke=\"#bbbbbb\" stroke-dasharray=\"3 3\" fill=\"none\"/></svg>"
        }
        let kept = Shaping.lineIndices(times: times, values: values, maxPoints: max(4, width - 2 * Int(pad)))
        // Halves, so that values near ±Double.greatestFiniteMagnitude do not make an infinite range (and NaN
        // coordinates); times as differences that stop at the ends of Int64.
        let span = max(1, Sparkline.difference(last, first)), halfRange = high / 2 - low / 2
        func x(_ t: Int64) -> Double { first == last ? w / 2 : pad + Sparkline.difference(t, first) / span * (w - 2 * pad) }
        func y(_ v: Double) -> Double { halfRange == 0 ? h / 2 : h - pad - (v / 2 - low / 2) / halfRange * (h - 2 * pad) }
        var d = ""
        var penUp = true
        // A dense series (30 days of hourly scans on 134 pixels) as its mean per interval in its min–max band, as
        // charts draw it: one point per pixel draws a solid block of zigzags.
        let pixels = max(4, width - 2 * Int(pad))
        let interval = Shaping.envelopeInterval(from: first, to: last, pixels: pixels)
        let columns = Shaping.envelope(times: times, values: values, expected: nil, lower: nil, upper: nil, interval: interval)
        if Shaping.isDense(columns, interval: interval, from: first, to: last, pixels: pixels) {
            var band = "", lower = ""
            var previous: EnvelopeColumn?
            func close() {
                guard !band.isEmpty else { return }
                out += "<path class=\"band\" d=\"\(band)\(lower)Z\" fill=\"\(ChartStyle.palette[0])\" fill-opacity=\"\(ChartStyle.envelopeOpacity)\" stroke=\"none\"/>"
                band = ""
                lower = ""
            }
            // Partial days (the range's first and last) are left out: on 134 pixels a night's few hours read as a drop.
            for column in columns where !column.partial {
                if let previous, previous.end < column.start { close(); penUp = true }
                let cx = coordinate(x(column.time))
                band += (band.isEmpty ? "M" : "L") + cx + " " + coordinate(y(column.max))
                lower = "L" + cx + " " + coordinate(y(column.min)) + lower
                d += (penUp ? "M" : "L") + cx + " " + coordinate(y(column.mean))
                penUp = false
                previous = column
            }
            close()
        } else {
            for i in kept {
                guard let v = values[i] else { penUp = true; continue }
                d += (penUp ? "M" : "L") + coordinate(x(times[i])) + " " + coordinate(y(v))
                penUp = false
            }
        }
        out += "<path class=\"line\" d=\"\(d)\" fill=\"none\" stroke=\"\(ChartStyle.palette[0])\" stroke-width=\"1.4\" stroke-linejoin=\"round\"/>"
        if let i = kept.last(where: { values[$0] != nil }), let v = values[i] {
            out += "<circle cx=\"\(coordinate(x(times[i])))\" cy=\"\(coordinate(y(v)))\" r=\"2\" fill=\"\(ChartStyle.palette[0])\"/>"
        }
        return out + "</svg>"
    }

    /// `a - b` as a Double, also when the Int64 difference overflows.
    private static func difference(_ a: Int64, _ b: Int64) -> Double {
        let (d, overflow) = a.subtractingReportingOverflow(b)
        return overflow ? Double(a) - Double(b) : Double(d)
    }

    /// A coordinate with one decimal (within the picture, whatever it is given).
    private func coordinate(_ v: Double) -> String {
        let clamped = v.isNaN ? 0 : min(max(v, -1e6), 1e6)
        let tenths = Int((clamped * 10).rounded())
        return tenths % 10 == 0 ? String(tenths / 10) : String(Double(tenths) / 10)
    }
}
