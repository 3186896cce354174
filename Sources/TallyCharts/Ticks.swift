import TallyAnalysis
import TallyStorage

/// A tick on the value axis.
public struct ValueTick: Sendable, Equatable {
    /// The value (a multiple of the axis step).
    public var value: Double
    /// Its label, with thousands separators and as many decimals as the step needs.
    public var label: String
}

/// The value (vertical) axis: a "nice" range cut by a 1-2-5 step.
public struct ValueAxis: Sendable, Equatable {
    /// The lowest value drawn (a multiple of `step`).
    public var min: Double
    /// The highest value drawn (a multiple of `step`).
    public var max: Double
    /// The distance between ticks: 1, 2 or 5 times a power of ten.
    public var step: Double
    /// The ticks from `min` to `max`.
    public var ticks: [ValueTick]
    /// The unit of the values, when known.
    public var unit: String?

    /// A nice axis covering `low...high` with at most `maxTicks` ticks (3 when `maxTicks` is smaller).
    ///
    /// The step is the smallest of 1, 2, 5 × 10^k that needs no more than `maxTicks` ticks; the range is widened
    /// to the multiples of the step around the data. A flat series (`low == high`) gets a range around its value;
    /// `includeZero` stretches the range to 0 (bars always start at 0). `wholeNumbers`: the values are counts, so
    /// steps are at least 1 (no tick at half a check).
    public static func nice(low: Double, high: Double, maxTicks: Int, includeZero: Bool = false,
                            wholeNumbers: Bool = false, unit: String? = nil) -> ValueAxis {
        var lo = low, hi = high
        if !lo.isFinite || !hi.isFinite || lo > hi { lo = 0; hi = 1 }
        if includeZero { lo = Swift.min(lo, 0); hi = Swift.max(hi, 0) }
        if lo == hi {
            // A flat zero (a count that stayed 0) gets 0…1, not an axis of -1 rows.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= lo == 0 ? 0 : pad
            hi += pad
        }
        let n = Swift.max(3, maxTicks)
        // The largest power of ten not above the span per interval, as a start.
        let target = (hi - lo) / Double(n - 1)
        var e = 0
        while power(e) > target && e > -320 { e -= 1 }
        while power(e + 1) <= target && e < 300 { e += 1 }
        e -= 1
        for _ in 0..<12 {
            for m in [1, 2, 5] {
                let step = Double(m) * power(e)
                guard step > 0, step.isFinite, !wholeNumbers || step >= 1 else { continue }
                let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
                guard abs(first) < 9e15, abs(last) < 9e15 else { continue }
                guard last - first + 1 <= Double(n) else { continue }
                // The ends must be doubles too: ±1.7e308 rounded out to a multiple of 1e308 is infinite.
                guard multiple(Int64(first) * Int64(m), e).isFinite, multiple(Int64(last) * Int64(m), e).isFinite else {
                    continue
                }
                var ticks: [ValueTick] = []
                var k = Int64(first)
                while Double(k) <= last {
                    let v = multiple(k * Int64(m), e)
                    ticks.append(ValueTick(value: v, label: label(v, e)))
                    k += 1
                }
                // Steps near the smallest doubles (5e-324) round to the same value: not a usable step.
                guard zip(ticks, ticks.dropFirst()).allSatisfy({ $0.value < $1.value }) else { continue }
                // An axis that reaches 1e15 reads in one style: every tick with an exponent (`9.5e+14`, `1e+15`).
                if ticks.contains(where: { abs($0.value) >= 1e15 }) {
                    for i in ticks.indices { ticks[i].label = scientificLabel(ticks[i].value, e) }
                }
                return ValueAxis(min: ticks.first!.value, max: ticks.last!.value, step: step, ticks: ticks, unit: unit)
            }
            e += 1
        }
        // Magnitudes beyond what the steps can express exactly: the plain range, its ends as ticks.
        return ValueAxis(min: lo, max: hi, step: (hi - lo).isFinite ? hi - lo : .greatestFiniteMagnitude,
                         ticks: [ValueTick(value: lo, label: ChartText.number(lo)),
                                 ValueTick(value: hi, label: ChartText.number(hi))], unit: unit)
    }

    /// The label of the tick `v` on an axis whose step is a multiple of 10^e: as many decimals as the step needs
    /// (`0.005`), with thousands separators; past 12 decimals, which would all read `0.000000000000`, the shortest
    /// form (`2e-14`).
    static func label(_ v: Double, _ e: Int) -> String {
        guard -e > 12 else { return ChartText.grouped(v, decimals: Swift.max(0, -e)) }
        return v == 0 ? "0" : v.description
    }

    /// The tick `v` with an exponent, as many significant digits as a step of 10^e needs (`1.05e+15`); 0 is `0`.
    static func scientificLabel(_ v: Double, _ e: Int) -> String {
        guard v != 0 else { return "0" }
        var magnitude = 0
        while power(magnitude + 1) <= abs(v) && magnitude < 308 { magnitude += 1 }
        while power(magnitude) > abs(v) && magnitude > -324 { magnitude -= 1 }
        return formatScientific(v, significant: Swift.min(17, Swift.max(1, magnitude - e + 1)))
    }

    /// 10^e, the double nearest to the exact power.
    static func power(_ e: Int) -> Double { Double("1e\(e)")! }

    /// k × 10^e, computed so that decimal ticks are the doubles nearest to their decimal text (0.3, not 0.30000000000000004).
    /// Below 1e-308, whose inverse is no double, k × 10^e is a product (a subnormal, not 0).
    static func multiple(_ k: Int64, _ e: Int) -> Double {
        e >= 0 || e < -308 ? Double(k) * power(e) : Double(k) / power(-e)
    }

    /// Where `v` falls between `min` (0) and `max` (1).
    public func fraction(_ v: Double) -> Double {
        guard max > min else { return 0.5 }
        let span = max - min
        // An axis from -1.7e308 to 1.7e308 is wider than the largest double: halve everything.
        return span.isFinite ? (v - min) / span : (v / 2 - min / 2) / (max / 2 - min / 2)
    }
}

/// A tick on the time axis.
public struct TimeTick: Sendable, Equatable {
    /// The instant (epoch milliseconds, UTC).
    public var time: Int64
    /// Its label (UTC): `06:00`, `May 2`, `Mar`, `2025` — the form depends on the interval.
    public var label: String
}

/// The interval between time ticks.
public enum TickInterval: Sendable, Equatable, CustomStringConvertible {
    /// A fixed number of milliseconds (seconds to weeks); weeks start on Monday.
    case milliseconds(Int64)
    /// A number of calendar months (1, 2, 3 or 6), starting in January.
    case months(Int)
    /// A number of calendar years, starting at a year divisible by it.
    case years(Int)

    /// The ladder of intervals the time axis chooses from, shortest first.
    public static let ladder: [TickInterval] = {
        let s = UTCTime.second, m = UTCTime.minute, h = UTCTime.hour, d = UTCTime.day
        var all: [TickInterval] = [1, 2, 5, 10, 15, 30].map { .milliseconds($0 * s) }
        all += [1, 2, 5, 10, 15, 30].map { .milliseconds($0 * m) }
        all += [1, 2, 3, 6, 12].map { .milliseconds($0 * h) }
        all += [1, 2, 7, 14].map { .milliseconds($0 * d) }
        all += [1, 2, 3, 6].map { .months($0) }
        // Years up to 500 million, so that even an axis over the whole range of times (584 million years) has ticks.
        var power = 1
        while power <= 100_000_000 {
            all += [1, 2, 5].map { .years($0 * power) }
            power *= 10
        }
        return all
    }()

    /// About how long the interval is, in milliseconds.
    var approximateMilliseconds: Double {
        switch self {
        case .milliseconds(let ms): return Double(ms)
        case .months(let k): return Double(k) * 30.44 * Double(UTCTime.day)
        case .years(let k): return Double(k) * 365.25 * Double(UTCTime.day)
        }
    }

    /// `30s`, `15m`, `6h`, `1d`, `1w`, `3mo`, `5y`.
    public var description: String {
        switch self {
        case .milliseconds(let ms):
            if ms % (7 * UTCTime.day) == 0 { return "\(ms / (7 * UTCTime.day))w" }
            if ms % UTCTime.day == 0 { return "\(ms / UTCTime.day)d" }
            if ms % UTCTime.hour == 0 { return "\(ms / UTCTime.hour)h" }
            if ms % UTCTime.minute == 0 { return "\(ms / UTCTime.minute)m" }
            return "\(ms / UTCTime.second)s"
        case .months(let k): return "\(k)mo"
        case .years(let k): return "\(k)y"
        }
    }

    /// The number of the interval that holds `t`: counted in `ms` from Monday 1970-01-05 (weeks) or the epoch, in
    /// `k` months from January 1970, or in `k` years from year 0. Wide, so that no time overflows.
    private func index(_ t: Int64) -> Int128 {
        switch self {
        case .milliseconds(let ms):
            if t > Int64.min / 2 { return Int128(CivilCalendar.floorDiv(t - Self.origin(ms), ms)) }   // the usual case
            return CivilCalendar.floorDiv(Int128(t) - Int128(Self.origin(ms)), Int128(ms))
        case .months(let k):
            return Int128(CivilCalendar.floorDiv(CivilCalendar.monthIndex(ofMillis: t), Int64(k)))
        case .years(let k):
            return Int128(CivilCalendar.floorDiv(UTCTime(t).year, Int64(k)))
        }
    }

    /// The start of the interval with that number; `nil` when it starts before the earliest time or after the latest.
    private func start(_ index: Int128) -> Int64? {
        switch self {
        case .milliseconds(let ms):
            return Int64(exactly: index * Int128(ms) + Int128(Self.origin(ms)))
        case .months(let k):
            guard let month = Int64(exactly: index * Int128(k)) else { return nil }
            let t = CivilCalendar.startOfMonth(index: month)   // Int64.min or Int64.max when past the ends
            return t == .min || t == .max ? nil : t
        case .years(let k):
            guard let year = Int64(exactly: index * Int128(k)) else { return nil }
            let t = CivilCalendar.startOfMonth(index: (year - 1970) * 12)
            return t == .min || t == .max ? nil : t
        }
    }

    /// Monday 1970-01-05 for whole weeks, the epoch otherwise.
    private static func origin(_ ms: Int64) -> Int64 { ms % (7 * UTCTime.day) == 0 ? 4 * UTCTime.day : 0 }

    /// The start of the interval that holds `t` (aligned as the ticks are); `Int64.min` for the interval that
    /// starts before the earliest time.
    public func floor(_ t: Int64) -> Int64 { start(index(t)) ?? .min }

    /// The start of the interval after the one that starts at (or holds) `start`; `Int64.max` for the interval
    /// after the last one that starts within the range of times.
    public func next(after start: Int64) -> Int64 { self.start(index(start) + 1) ?? .max }

    /// The tick instants in `from...to`, aligned in UTC (at most `limit + 1` of them).
    func instants(from: Int64, to: Int64, limit: Int) -> [Int64] {
        var out: [Int64] = []
        let first = index(from)
        var k = first
        while out.count <= limit {
            if let t = start(k) {
                if t > to { break }
                if t >= from { out.append(t) }
            } else if k > first {
                break   // past the latest time
            }
            k += 1
        }
        return out
    }

    /// The label of a tick at `t` for this interval.
    func label(_ t: Int64) -> String {
        let f = UTCTime(t)
        let midnight = f.hour == 0 && f.minute == 0 && f.second == 0 && f.millisecond == 0
        let newYear = midnight && f.month == 1 && f.day == 1
        switch self {
        case .milliseconds(let ms) where ms < UTCTime.minute:
            return midnight ? f.monthName + " " + String(f.day) : f.hourMinuteSecondText
        case .milliseconds(let ms) where ms < UTCTime.day:
            return midnight ? f.monthName + " " + String(f.day) : f.hourMinuteText
        case .milliseconds:
            return newYear ? f.yearText : f.monthName + " " + String(f.day)
        case .months:
            return f.month == 1 ? f.yearText : f.monthName
        case .years:
            return f.yearText
        }
    }
}

/// The time (horizontal) axis: a UTC range and ticks whose labels fit the width.
public struct TimeAxis: Sendable, Equatable {
    /// The first instant drawn (left edge of the plot).
    public var min: Int64
    /// The last instant drawn (right edge of the plot).
    public var max: Int64
    /// The interval between ticks.
    public var interval: TickInterval
    /// The ticks, each with its label.
    public var ticks: [TimeTick]

    /// Where `t` falls between `min` (0) and `max` (1).
    public func fraction(_ t: Int64) -> Double {
        max > min ? UTCTime.span(from: min, to: t) / UTCTime.span(from: min, to: max) : 0.5
    }

    /// An axis over `from...to` drawn on `plotWidth` pixels that start `plotLeft` pixels into a figure
    /// `figureWidth` wide.
    ///
    /// The interval is the shortest of ``TickInterval/ladder`` whose labels, centred on their ticks, keep at
    /// least ``TimeAxis/labelGap`` pixels apart (and ticks at least ``TimeAxis/minimumSpacing`` apart); ticks
    /// whose label would leave the figure are left out.
    public static func fitting(from: Int64, to: Int64, plotLeft: Double, plotWidth: Double, figureWidth: Double,
                               fontSize: Double = ChartStyle.tickFontSize) -> TimeAxis {
        var lo = from, hi = to
        if hi <= lo { lo = timeShift(lo, back: UTCTime.hour); hi = timeShift(hi, by: UTCTime.hour) }
        let span = UTCTime.span(from: lo, to: hi)
        let maxTicks = Swift.max(1, Int(plotWidth / minimumSpacing) + 1)
        var best: TimeAxis?
        for interval in TickInterval.ladder {
            // Skip intervals that would give far more ticks than could ever fit.
            if span / interval.approximateMilliseconds > Double(maxTicks) * 2 + 2 { continue }
            let instants = interval.instants(from: lo, to: hi, limit: maxTicks * 2 + 2)
            var ticks: [TimeTick] = []
            var lastRight = -Double.infinity, lastX = -Double.infinity
            var fits = true
            for t in instants {
                let label = interval.label(t)
                let x = plotLeft + UTCTime.span(from: lo, to: t) / span * plotWidth
                let w = ChartText.estimatedWidth(label, fontSize: fontSize)
                if x - w / 2 < 0 || x + w / 2 > figureWidth { continue }
                if x - w / 2 < lastRight + labelGap || x - lastX < minimumSpacing { fits = false; break }
                ticks.append(TimeTick(time: t, label: label))
                lastRight = x + w / 2
                lastX = x
            }
            if fits {
                best = TimeAxis(min: lo, max: hi, interval: interval, ticks: ticks)
                break
            }
        }
        return best ?? TimeAxis(min: lo, max: hi, interval: .years(1000), ticks: [])
    }

    /// The least room between two time labels, in pixels.
    public static let labelGap = 12.0
    /// The least distance between two time ticks, in pixels.
    public static let minimumSpacing = 44.0
}

extension ChartText {
    /// A conservative estimate of the width of `text` in the charts' sans-serif font: 0.62 em per character
    /// (wider than the digits and most letters of common sans-serif fonts).
    public static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.62
    }
}
