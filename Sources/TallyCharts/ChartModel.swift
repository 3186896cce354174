import TallyQuery
import TallyStorage

/// What to draw: the figure's size, title and units. The chart's kind and layout follow from the result.
public struct ChartSpec: Sendable, Equatable {
    /// The title (the CLI passes the query text); `nil` for none.
    public var title: String?
    /// The figure's width in pixels (240 to 10,000).
    public var width: Int
    /// The height of a single chart in pixels (160 to 10,000); small multiples use panels about half as tall.
    public var height: Int
    /// The units of the values.
    public var units: ChartUnits
    /// The most line series drawn together with a legend; more become small multiples (one panel each).
    public var maxLegendSeries: Int
    /// What legends and panel titles show for a label's value instead of `label=value`, by label name and value:
    /// a Soda check's name (`row_count > 0`) for the identity hash in its `check` label.
    public var labelTexts: [String: [String: String]]
    /// How to line the chart up with others stacked on one page (nil: on its own).
    public var alignment: ChartAlignment?

    /// Creates a spec; a width or height outside its range is taken as the nearest end of it (a width of
    /// `Int.max` would otherwise trap converting pixels, and ask for millions of time ticks).
    public init(title: String? = nil, width: Int = 800, height: Int = 320, units: ChartUnits = .none,
                maxLegendSeries: Int = 6, labelTexts: [String: [String: String]] = [:], alignment: ChartAlignment? = nil) {
        self.title = title
        self.width = Swift.min(Swift.max(240, width), 10_000)
        self.height = Swift.min(Swift.max(160, height), 10_000)
        self.units = units
        self.maxLegendSeries = Swift.max(1, maxLegendSeries)
        self.labelTexts = labelTexts
        self.alignment = alignment
    }
}

/// What charts stacked on one page share so that they line up: the room left of their plots (at least) and the
/// time span their axes cover (at least). ``Chart/alignment(of:)`` gives it for a set of charts.
public struct ChartAlignment: Sendable, Equatable {
    /// The x of each plot's left edge, at least.
    public var plotLeft: Double
    /// The first and the last instant the time axis covers, at least.
    public var from: Int64, to: Int64

    /// Creates an alignment.
    public init(plotLeft: Double, from: Int64, to: Int64) {
        self.plotLeft = plotLeft
        self.from = from
        self.to = to
    }
}

/// The units of the values of a chart's series.
public enum ChartUnits: Sendable, Equatable {
    /// No units.
    case none
    /// One unit for every series.
    case single(String)
    /// A unit per series, keyed by the series key as selectors write it (`row_count{dataset="orders"}`,
    /// labels sorted by name) or, as a fallback, by the metric name (`row_count`).
    case perSeries([String: String])

    /// The unit of a series with this metric and these labels.
    public func unit(metric: String, labels: Labels) -> String? {
        switch self {
        case .none: return nil
        case .single(let unit): return unit.isEmpty ? nil : unit
        case .perSeries(let units):
            let unit = units[seriesKeyText(metric: metric, labels: labels)] ?? units[metric]
            return unit?.isEmpty == true ? nil : unit
        }
    }
}

/// `metric{a="x", b="y"}` (labels sorted by name; just `metric` without labels), as selectors write a series.
public func seriesKeyText(metric: String, labels: Labels) -> String {
    SeriesKey(metric: metric, labels: labels.pairs).description
}

/// The kind of chart, chosen from the result.
public enum ChartKind: String, Sendable, Equatable {
    /// Lines of metric values over time, with the expected range and anomalies when the result has them.
    case line
    /// Stacked bars of check outcomes per scan (the `outcomes` stage's series).
    case outcomes
    /// Nothing to draw: the result has no points.
    case empty
}

/// How the series are laid out.
public enum ChartLayout: String, Sendable, Equatable {
    /// One panel.
    case single
    /// One panel per series (line charts) or per group (outcome charts), sharing the time axis.
    case smallMultiples = "small_multiples"
}

/// A rectangle in the figure, in pixels from its top-left corner.
public struct ChartRect: Sendable, Equatable {
    public var x: Double, y: Double, width: Double, height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
}

/// One drawn point of a line: the values of a result point, with `nil` for what is missing.
public struct ChartPoint: Sendable, Equatable {
    /// The instant (epoch milliseconds, UTC).
    public var time: Int64
    /// The value; `nil` (null, NaN or infinite) is a gap: the line breaks there.
    public var value: Double?
    /// The expected value, when the series has that column and it is not null here.
    public var expected: Double?
    /// The lower bound of the expected range.
    public var lower: Double?
    /// The upper bound of the expected range.
    public var upper: Double?
    /// The anomaly score.
    public var score: Double?
    /// Whether the point is an anomaly (`nil` when the series has no anomaly column).
    public var anomaly: Bool?
    /// Whether the anomaly raises an alert (`nil` when the series has no `alert` column): with the alert rules on
    /// (refractory period, likelihood gate, recurrence check), some flagged points are silenced and drawn hollow.
    public var alert: Bool?
    /// Why the value is null, or another remark on the point.
    public var reason: String?
    /// Whether the point is a forecast (from the `forecast` stage): a future point with no value, drawn as its
    /// expected value and range only.
    public var forecast: Bool
    /// A check point's outcome (`pass`, `warn`, `fail`, `error`, `not_evaluated`); nil for a measurement.
    public var outcome: String?
    /// Whether the point summarises a bucket that had not ended (``QueryResult/inProgress``): drawn hollow, at the
    /// end of a dashed segment, since it holds only part of its bucket.
    public var inProgress: Bool

    public init(time: Int64, value: Double?, expected: Double? = nil, lower: Double? = nil, upper: Double? = nil,
                score: Double? = nil, anomaly: Bool? = nil, alert: Bool? = nil, reason: String? = nil,
                forecast: Bool = false, outcome: String? = nil, inProgress: Bool = false) {
        self.time = time; self.value = value; self.expected = expected; self.lower = lower; self.upper = upper
        self.score = score; self.anomaly = anomaly; self.alert = alert; self.reason = reason; self.forecast = forecast
        self.outcome = outcome; self.inProgress = inProgress
    }

    /// A check point that did not pass: `warn`, `fail` or `error` (drawn as a marker in the outcome's colour).
    public var isCheckProblem: Bool { outcome.map(ChartPoint.problemOutcomes.contains) ?? false }

    /// The outcomes a line chart marks, in legend order.
    public static let problemOutcomes = ["warn", "fail", "error"]

    /// A flagged point that raises no alert (its series has an `alert` column that says false here).
    public var isSilencedAnomaly: Bool { anomaly == true && alert == false }
}

/// A series drawn as a line.
public struct ChartLine: Sendable, Equatable {
    /// The legend's name: the labels that tell the chart's series apart (the full key for a lone series).
    public var name: String
    /// The series key, as selectors write it.
    public var key: String
    /// The metric.
    public var metric: String
    /// The labels.
    public var labels: Labels
    /// The unit of the values, when known.
    public var unit: String?
    /// The stroke colour (`#rrggbb`).
    public var color: String
    /// The points drawn, after shaping; a point with a `nil` value marks a gap.
    public var points: [ChartPoint]
    /// The number of points of the series before shaping.
    public var inputCount: Int
    /// Whether the series has an `expected` column.
    public var hasExpected: Bool
    /// Whether the series has `lower` and `upper` columns (drawn as a shaded band).
    public var hasBand: Bool
    /// Whether the series has an `anomaly` column.
    public var hasAnomalyColumn: Bool
    /// Whether the series has an `alert` column (the `anomalies` stage always adds one).
    public var hasAlertColumn: Bool = false
    /// Figures over all the series' points (before shaping).
    public var summary: LineSummary
    /// For a line with far more points than pixel columns, its points summarised per interval: drawn as a mean
    /// line in a min–max band, since any thinning of the points draws a solid block of zigzags. `nil` otherwise.
    public var envelope: LineEnvelope? = nil
    /// The anomalies and check problems the shaping had no room to keep (more than it may pin): the chart says so.
    public var droppedMarks: Int = 0

    /// The points marked as anomalies that have a value to place them at.
    public var anomalies: [ChartPoint] { points.filter { $0.anomaly == true && $0.value != nil } }

    /// The check points that warned, failed or errored, with or without a value (a scan that errored often has
    /// none: its mark sits on the plot's floor).
    public var checkProblems: [ChartPoint] { points.filter(\.isCheckProblem) }

    /// Whether some of the drawn points are forecasts.
    public var hasForecast: Bool { points.last?.forecast == true }

    /// What the line, its expected line and its expected range are drawn through: ``points``, or, with an
    /// ``envelope``, one point per whole column (its mean, mean expected value and widest expected range; partial
    /// columns are left out), a gap where intervals without points lie between two columns, the points of a bucket
    /// in progress, then the forecast (per column, or its points).
    public var drawnPoints: [ChartPoint] {
        guard let envelope else { return points }
        var out: [ChartPoint] = []
        out.reserveCapacity(envelope.columns.count + 8)
        var previous: EnvelopeColumn?
        for column in envelope.columns {
            defer { previous = column }
            if let previous, previous.end < column.start { out.append(ChartPoint(time: previous.end, value: nil)) }
            guard !column.partial else { continue }
            out.append(ChartPoint(time: column.time, value: column.mean, expected: column.expected,
                                  lower: column.lower, upper: column.upper))
        }
        out += points.filter(\.inProgress)
        // A forecast shorter than an interval has no whole column: its points are drawn.
        guard let forecast = envelope.forecastColumns, forecast.contains(where: { !$0.partial }) else {
            return out + points.filter(\.forecast)
        }
        return out + forecast.filter { !$0.partial }.map { column in
            ChartPoint(time: column.time, value: nil, expected: column.expected, lower: column.lower, upper: column.upper,
                       forecast: true)
        }
    }
}

/// A dense line's points summarised per interval (aligned in UTC: hours, days, Monday weeks, months...).
public struct LineEnvelope: Sendable, Equatable {
    /// The interval the points are grouped by.
    public var interval: TickInterval
    /// One column per interval that holds drawable points, in time order (the forecast is not part of it).
    public var columns: [EnvelopeColumn]
    /// The forecast per interval, when the line has one: columns of its expected values (`min`, `max` and `mean`
    /// of the expected value), with the lowest lower and highest upper bound.
    public var forecastColumns: [EnvelopeColumn]?
}

/// The points of one interval of a ``LineEnvelope``.
public struct EnvelopeColumn: Sendable, Equatable {
    /// The interval's start, and the next interval's start (exclusive).
    public var start: Int64, end: Int64
    /// Where the column is drawn: the interval's middle, kept between its first and last point.
    public var time: Int64
    /// The number of drawable points in the interval.
    public var count: Int
    /// The smallest, largest and mean value.
    public var min: Double, max: Double, mean: Double
    /// The mean expected value, the lowest lower bound and the highest upper bound of the interval's points,
    /// when the series has those columns.
    public var expected: Double?, lower: Double?, upper: Double?
    /// Whether the points cover only part of the interval (the range starts or ends in it, or a gap does): its
    /// mean is not comparable with a whole interval's, so the line does not go through it; its band is drawn.
    public var partial: Bool
}

/// Figures over all the points of a series, before shaping. Forecast points are counted apart: `points`,
/// `missing`, `lastTime` and `lastValue` are about the series' own points.
public struct LineSummary: Sendable, Equatable {
    /// The number of points (forecast points not included).
    public var points: Int
    /// The number of points without a drawable value (null, NaN, infinite).
    public var missing: Int
    /// The smallest and largest drawable values, leaving out a bucket in progress (its value holds only part of
    /// its time; ``lastValue`` has it).
    public var min: Double?, max: Double?
    /// The last point's time and value (`nil` value when it is missing).
    public var lastTime: Int64?, lastValue: Double?
    /// The number of points marked as anomalies.
    public var anomalies: Int
    /// The number of those that raise an alert (equal to ``anomalies`` without an `alert` column).
    public var alerts: Int = 0
    /// The number of forecast points after the series' own points.
    public var forecastPoints: Int = 0
}

/// One stacked bar of check outcomes.
public struct OutcomeBar: Sendable, Equatable {
    /// The bar's timestamp, or the start of its interval when timestamps are summed per interval.
    public var time: Int64
    /// Where the bar is drawn from: its interval's start, or, one per timestamp, left of its time (centred on it).
    public var start: Int64
    /// Where the bar is drawn to (exclusive).
    public var end: Int64
    /// How many input timestamps (scans, or buckets of an earlier `bucket` stage) the bar sums.
    public var timestamps: Int
    /// The counts, in the order of ``OutcomeBars/outcomes``.
    public var counts: [Double]
    /// The result's part bucket the bar sums some of (``QueryResult/partialBuckets``: one in progress, or cut by
    /// the range's end or start), if any: drawn paler.
    public var partialBucket: InProgressBucket?
    /// Whether the bar sums part of a part bucket.
    public var inProgress: Bool { partialBucket != nil }
    /// For a bar of summed timestamps at either end of the chart that sums fewer than its neighbours usually do
    /// (the data begins or ends inside its interval: a week with three days of scans), how many they usually
    /// sum (the median over the other bars): drawn paler, as it is no drop. `nil` otherwise.
    public var usualTimestamps: Int?
    /// Whether the bar is drawn paler: in progress, or short at an end.
    public var isPartial: Bool { inProgress || usualTimestamps != nil }
    /// The sum of the counts: the height of the stack.
    public var total: Double { counts.reduce(0, +) }
}

/// Stacked bars of check outcomes.
public struct OutcomeBars: Sendable, Equatable {
    /// The outcomes, in stacking order from the baseline up: `fail`, `error`, `warn`, `pass`, `not_evaluated`
    /// (the ones the result has).
    public var outcomes: [String]
    /// The fill colour of each outcome.
    public var colors: [String]
    /// The bars, in time order.
    public var bars: [OutcomeBar]
    /// The number of input times before summing.
    public var inputCount: Int
    /// The interval the bars sum (UTC-aligned, at least a pixel wide), or `nil` for one bar per input time.
    public var interval: TickInterval?
    /// Whether input times were summed per interval.
    public var aggregated: Bool { interval != nil }
}

/// One panel: a plot area with its axes and what is drawn in it.
public struct ChartPanel: Sendable, Equatable {
    /// The panel's title (small multiples: the series or group); `nil` for a single panel.
    public var title: String?
    /// The plot area in the figure.
    public var plot: ChartRect
    /// The time axis.
    public var xAxis: TimeAxis
    /// The value axis.
    public var yAxis: ValueAxis
    /// The lines (line charts).
    public var lines: [ChartLine]
    /// The bars (outcome charts).
    public var bars: OutcomeBars?

    /// The horizontal pixel position of an instant.
    public func x(_ t: Int64) -> Double { plot.x + xAxis.fraction(t) * plot.width }
    /// The vertical pixel position of a value, kept within the plot (an expected range may reach past the value axis).
    public func yWithinPlot(_ v: Double) -> Double { Swift.min(Swift.max(y(v), plot.y), plot.maxY) }
    /// The vertical pixel position of a value.
    public func y(_ v: Double) -> Double { plot.maxY - yAxis.fraction(v) * plot.height }
}

/// What a legend item shows.
public enum LegendSymbol: String, Sendable, Equatable {
    case line, dashed, band, bar, marker
    /// A band with a line through it: a dense line's mean in its min–max envelope.
    case envelope
    /// Two thin lines: the expected range drawn by its edges (over an envelope).
    case rangeEdges
    /// A hollow marker: an anomaly that raises no alert.
    case hollowMarker
}

/// One item of the legend, placed in the figure.
public struct LegendItem: Sendable, Equatable {
    public var label: String
    /// The symbol's colour (the first of ``colors``).
    public var color: String
    /// Every colour the symbol stands for: one, or, for the `expected` and `expected range` items of a panel shared
    /// by several series, the colour of each series that has them (the symbol is drawn in stripes of these).
    public var colors: [String]
    public var symbol: LegendSymbol
    /// The position of the item's symbol (left edge, text baseline).
    public var x: Double, y: Double
}

/// Fixed sizes and colours of the charts.
public enum ChartStyle {
    /// Series colours, in order (colour-blind safe).
    public static let palette = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"]
    /// The fill opacity of a dense line's min–max band, alone in its panel (the expected range uses 0.16); with
    /// others, ``sharedEnvelopeOpacity``, so that overlapping bands still show each other.
    public static let envelopeOpacity = 0.3
    public static let sharedEnvelopeOpacity = 0.18
    /// The colour of anomaly markers.
    public static let anomalyColor = "#d62728"
    /// The fill of each outcome.
    public static let outcomeColors: [String: String] = [
        "pass": "#59a14f", "warn": "#edc948", "fail": "#e15759", "error": "#b07aa1", "not_evaluated": "#bab0ac",
    ]
    /// The stacking order of outcomes, from the baseline up.
    public static let outcomeOrder = ["fail", "error", "warn", "pass", "not_evaluated"]
    public static let titleFontSize = 15.0
    public static let textFontSize = 12.0
    public static let tickFontSize = 11.0
    public static let fontFamily = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
}
