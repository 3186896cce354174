import TallyAnalysis
import TallyStorage

/// Shapes long histories to the pixels they are drawn on: never more points than pixel columns.
public enum Shaping {
    /// The indices of the points of a line to draw on `maxPoints` pixel columns, ascending.
    ///
    /// - Points whose value is missing (`nil`: null, NaN or infinite) break the line. The result keeps one of
    ///   them per gap between drawable runs, as the gap's marker; leading and trailing missing points are dropped.
    /// - With at most `maxPoints` points (drawable points plus gap markers) everything is kept.
    /// - Otherwise each run is thinned by Largest-Triangle-Three-Buckets (TallyAnalysis'
    ///   `largestTriangleThreeBuckets`: spikes and drops survive, and each run's minimum and maximum are always
    ///   kept), with a share of the budget proportional to its length.
    /// - `pinned` points (anomalies, check problems) are always kept, up to `maxPinned` (a quarter of the budget
    ///   unless given): when there are more, an even share of them over the whole line, the latest included. A
    ///   pinned point without a value (a check scan that errored) is kept too, wherever it lies: it is marked, not
    ///   drawn through.
    /// - When there are more gaps than the budget allows, the narrowest gaps (in time) are closed: the line
    ///   is drawn across them.
    ///
    /// The result never holds more than `maxPoints` indices (`maxPoints >= 4`).
    public static func lineIndices(times: [Int64], values: [Double?], pinned: [Bool]? = nil, maxPoints: Int,
                                   maxPinned: Int? = nil) -> [Int] {
        precondition(times.count == values.count, "Shaping.lineIndices: columns of different lengths")
        var budget = max(4, maxPoints)
        // Drawable runs, separated by at least one missing point.
        var runs: [Range<Int>] = []
        var gapMarkers: [Int] = []       // gapMarkers[r] is the first missing index after runs[r] (for r < runs.count - 1)
        var i = 0
        let n = times.count
        while i < n {
            while i < n && values[i] == nil { i += 1 }
            if i == n { break }
            let start = i
            while i < n && values[i] != nil { i += 1 }
            if !runs.isEmpty { gapMarkers.append(start - 1) }   // placeholder, fixed below
            runs.append(start..<i)
        }
        // The marker of the gap before run r+1 is the first missing point after run r.
        for r in 0..<gapMarkers.count { gapMarkers[r] = runs[r].upperBound }
        let drawable = runs.reduce(0) { $0 + $1.count }
        let markerSet = Set(gapMarkers)
        let valuelessPins = pinned.map { p in (0..<n).filter { p[$0] && values[$0] == nil && !markerSet.contains($0) } } ?? []
        if drawable + gapMarkers.count + valuelessPins.count <= budget {
            return (runs.flatMap { Array($0) } + gapMarkers + valuelessPins).sorted()
        }

        // Pinned points, at most a quarter of the budget (or `maxPinned`); when there are more, an even share of them
        // over the whole line, the latest included (the latest only would look as if problems had just begun).
        var pins = [Bool](repeating: false, count: n)
        if let pinned {
            let room = maxPinned.map { min($0, budget - 4) } ?? budget / 4   // room for the runs' ends
            let candidates = (0..<n).filter { pinned[$0] && (values[$0] != nil || !markerSet.contains($0)) }
            for k in evenShare(of: candidates.count, taking: room) { pins[candidates[k]] = true }
        }
        // The valueless pins chosen lie outside the runs: they take their places from the line's budget.
        let keptValueless = valuelessPins.filter { pins[$0] }
        budget -= keptValueless.count

        // Groups of runs joined across closed gaps; a group is drawn as one line.
        struct Group { var runs: [Range<Int>]; var length: Int; var pinned: Int }
        func pinCount(_ r: Range<Int>) -> Int { r.reduce(0) { $0 + (pins[$1] ? 1 : 0) } }
        var groups = runs.map { Group(runs: [$0], length: $0.count, pinned: pinCount($0)) }
        func base(_ g: Group) -> Int { min(g.length, 2 + g.pinned) }
        var need = groups.reduce(0) { $0 + base($1) } + (groups.count - 1)
        if need > budget {
            // Close the narrowest gaps first (ties: earliest first) until the minimum fits.
            let order = (0..<gapMarkers.count).sorted {
                let a = timeGap(times[runs[$0 + 1].lowerBound], times[runs[$0].upperBound - 1])
                let b = timeGap(times[runs[$1 + 1].lowerBound], times[runs[$1].upperBound - 1])
                return a != b ? a < b : $0 < $1
            }
            var closed = [Bool](repeating: false, count: gapMarkers.count)
            // Union of adjacent groups, tracked by the group each run belongs to.
            var owner = Array(0..<runs.count)            // run -> representative run
            func find(_ r: Int) -> Int {
                var r = r
                while owner[r] != r { owner[r] = owner[owner[r]]; r = owner[r] }
                return r
            }
            var merged = groups
            for gap in order where need > budget {
                let a = find(gap), b = find(gap + 1)
                let before = base(merged[a]) + base(merged[b]) + 1
                merged[a] = Group(runs: merged[a].runs + merged[b].runs, length: merged[a].length + merged[b].length,
                                  pinned: merged[a].pinned + merged[b].pinned)
                owner[b] = a
                closed[gap] = true
                need -= before - base(merged[a])
            }
            groups = (0..<runs.count).filter { find($0) == $0 }.map { merged[$0] }
            gapMarkers = gapMarkers.enumerated().filter { !closed[$0.offset] }.map(\.element)
        }

        // Share the budget left over the minimum in proportion to what each group could still use.
        let minimum = groups.map(base)
        let capacity = zip(groups, minimum).map { $0.length - $1 }
        let spare = budget - minimum.reduce(0, +) - gapMarkers.count
        let totalCapacity = capacity.reduce(0, +)
        var shares = minimum
        if totalCapacity > 0 && spare > 0 {
            var given = 0
            var remainders: [(Double, Int)] = []
            for g in groups.indices {
                let exact = Double(spare) * Double(capacity[g]) / Double(totalCapacity)
                let whole = min(capacity[g], Int(exact.rounded(.down)))
                shares[g] += whole
                given += whole
                remainders.append((exact - Double(whole), g))
            }
            remainders.sort { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1 < $1.1 }
            for (_, g) in remainders where given < spare && shares[g] < groups[g].length {
                shares[g] += 1
                given += 1
            }
        }

        var kept = gapMarkers + keptValueless
        for (g, group) in groups.enumerated() {
            let members = group.runs.flatMap { Array($0) }
            if shares[g] >= members.count { kept += members; continue }
            let lttbBudget = shares[g] - group.pinned
            let memberTimes = members.map { times[$0] }, memberValues = members.map { values[$0]! }
            // TallyAnalysis' LTTB always keeps the run's minimum and maximum, which may cost one index over the
            // threshold; ask for one fewer then.
            var chosen = largestTriangleThreeBuckets(times: memberTimes, values: memberValues, threshold: max(2, lttbBudget))
            if chosen.count > lttbBudget {
                chosen = largestTriangleThreeBuckets(times: memberTimes, values: memberValues, threshold: max(2, lttbBudget - 1))
            }
            var set = Set(chosen.map { members[$0] })
            for k in members where pins[k] { set.insert(k) }
            kept += set
        }
        return kept.sorted()
    }

    /// A line is drawn as an envelope (``envelope(times:values:expected:lower:upper:interval:)``) when a quarter of
    /// its points lie where it has more than this many points per pixel column: any thinning to one point per column
    /// draws such a stretch as a solid block of zigzags (90 days of hourly scans on 940 pixels, 2.3 a pixel, did).
    public static let envelopeDensity = 2

    /// The widest an envelope's interval may be drawn, in pixels: data spanning minutes on hundreds of pixels has no
    /// interval short enough (the shortest is a second), and is drawn through its points.
    public static let widestEnvelopeInterval = 16.0

    /// Whether a line summarised per `interval` into `columns` is dense (``envelopeDensity``) over `from...to` on
    /// `pixels` columns.
    public static func isDense(_ columns: [EnvelopeColumn], interval: TickInterval, from: Int64, to: Int64, pixels: Int) -> Bool {
        let pixel = UTCTime.span(from: from, to: to) / Double(max(1, pixels))
        let width = interval.approximateMilliseconds / Swift.max(pixel, 1e-9)   // pixels per interval
        guard width <= widestEnvelopeInterval else { return false }
        let total = columns.reduce(0) { $0 + $1.count }
        // Points per pixel of the interval's width: more than `envelopeDensity` is a crowded interval.
        let crowded = columns.reduce(0) { $0 + (Double($1.count) > Double(envelopeDensity) * Swift.max(width, 1) ? $1.count : 0) }
        return total > 0 && 4 * crowded >= total
    }

    /// The interval a dense line is summarised by over `from...to` on `pixels` columns: the shortest of
    /// ``TickInterval/ladder`` at least two pixels long; but a day rather than 2 to 12 hours while a day is at most
    /// ``widestEnvelopeInterval`` wide: the means of half days (or of any part of a day) of a daily cycle alternate
    /// high and low, and draw the zigzags the envelope is there to avoid.
    public static func envelopeInterval(from: Int64, to: Int64, pixels: Int) -> TickInterval {
        let pixel = UTCTime.span(from: from, to: to) / Double(max(1, pixels))
        let shortest = TickInterval.ladder.first { $0.approximateMilliseconds >= 2 * pixel } ?? TickInterval.ladder.last!
        let day = TickInterval.milliseconds(UTCTime.day)
        if shortest.approximateMilliseconds > Double(UTCTime.hour), shortest.approximateMilliseconds < Double(UTCTime.day),
           Double(UTCTime.day) / Swift.max(pixel, 1e-9) <= widestEnvelopeInterval {
            return day
        }
        return shortest
    }

    /// The drawable points (`values` not `nil`; `times` ascending) summarised per `interval`: per interval that
    /// holds any, their count, smallest, largest and mean value, and, from the columns given, the mean expected
    /// value and the lowest lower and highest upper bound (non-finite entries left out). A column whose points leave
    /// more than a quarter of its interval (or one and a half steps between points) uncovered at either end is
    /// `partial`: the range ends in it, or a gap, and its mean is not comparable with a whole interval's.
    public static func envelope(times: [Int64], values: [Double?], expected: [Double]?, lower: [Double]?, upper: [Double]?,
                                interval: TickInterval) -> [EnvelopeColumn] {
        precondition(times.count == values.count, "Shaping.envelope: columns of different lengths")
        var columns: [EnvelopeColumn] = []
        // Running means: a sum of values near ±1.7e308 would overflow to infinity.
        var mean = 0.0, expectedMean = 0.0, expectedCount = 0, first = Int64.min, last = Int64.min
        var before: Int64?   // the drawable point before the column's first
        func close(next: Int64?) {
            guard !columns.isEmpty else { return }
            let k = columns.count - 1
            let n = columns[k].count
            columns[k].mean = mean
            columns[k].expected = expectedCount > 0 ? expectedMean : nil
            let middle = timeShift(columns[k].start, by: timeGap(columns[k].end, columns[k].start) / 2)
            columns[k].time = Swift.min(Swift.max(middle, first), last)
            // The step between points where the column is: its own, or, for a lone point, the nearest gap to its
            // neighbours. One point a day in a column of a day is whole (a sample); one hourly point is part of a day.
            let step: Double
            if n > 1 {
                step = UTCTime.span(from: first, to: last) / Double(n - 1)
            } else {
                let gaps = [before.map { UTCTime.span(from: $0, to: first) }, next.map { UTCTime.span(from: last, to: $0) }]
                guard let nearest = gaps.compactMap({ $0 }).min() else { return }
                step = nearest
            }
            let allowed = Swift.max(UTCTime.span(from: columns[k].start, to: columns[k].end) / 4, 1.5 * step)
            columns[k].partial = UTCTime.span(from: columns[k].start, to: first) > allowed
                || UTCTime.span(from: last, to: columns[k].end) > allowed
        }
        for i in times.indices {
            guard let v = values[i] else { continue }
            let t = times[i]
            if columns.isEmpty || t >= columns[columns.count - 1].end {
                close(next: t)
                if !columns.isEmpty { before = last }
                let start = interval.floor(t)
                columns.append(EnvelopeColumn(start: start, end: interval.next(after: start), time: t, count: 0,
                                              min: v, max: v, mean: v, expected: nil, lower: nil, upper: nil, partial: false))
                mean = 0; expectedMean = 0; expectedCount = 0; first = t
            }
            let k = columns.count - 1
            columns[k].count += 1
            columns[k].min = Swift.min(columns[k].min, v)
            columns[k].max = Swift.max(columns[k].max, v)
            let n = Double(columns[k].count)
            mean += v / n - mean / n
            last = t
            if let e = expected?[i], e.isFinite {
                expectedCount += 1
                expectedMean += e / Double(expectedCount) - expectedMean / Double(expectedCount)
            }
            if let l = lower?[i], l.isFinite { columns[k].lower = Swift.min(columns[k].lower ?? l, l) }
            if let u = upper?[i], u.isFinite { columns[k].upper = Swift.max(columns[k].upper ?? u, u) }
        }
        close(next: nil)
        return columns
    }

    /// `count` positions out of `total` (0..<total), spread evenly, the last one included; all of them when
    /// `count >= total`.
    static func evenShare(of total: Int, taking count: Int) -> [Int] {
        guard count < total else { return Array(0..<total) }
        guard count > 0 else { return [] }
        // From the last position backwards, so that the latest is always kept.
        return (0..<count).map { total - 1 - Int(Double($0) * Double(total) / Double(count)) }.reversed()
    }

    /// The interval to sum outcome bars by so that `starts` fit `pixels` columns: `nil` when every bar can keep
    /// a pixel column of its own (no two starts closer than a pixel); otherwise the shortest interval of
    /// ``TickInterval/ladder`` (aligned in UTC: hours, days, Monday weeks, months...) at least a pixel long
    /// that gives no more bars than pixels.
    public static func barInterval(starts: [Int64], pixels: Int) -> TickInterval? {
        guard starts.count > 1 else { return nil }
        let columns = max(1, pixels)
        let span = UTCTime.span(from: starts.first!, to: starts.last!) + Double(medianGap(starts))
        let pixel = span / Double(columns)
        if starts.count <= columns && Double(smallestGap(starts)) >= pixel { return nil }
        for interval in TickInterval.ladder where interval.approximateMilliseconds >= pixel {
            var count = 0
            var last = Int64.min
            for t in starts {
                let b = interval.floor(t)
                if b != last { count += 1; last = b }
            }
            if count <= columns { return interval }
        }
        return TickInterval.ladder.last
    }

    /// Stacked bars: one per start (`interval` nil) or the sum of the starts in each interval.
    ///
    /// `starts` ascending; `rows[k]` holds the counts at `starts[k]`. Summed, a bar starts at its interval's start and
    /// ends at the next bar's start, but is never narrower than its interval. One per start, a bar is centred on its
    /// time, as the points of a line drawn above it are (a failed check's bar over the metric's drop): it reaches
    /// halfway to its neighbours when they are at most one and a half median distances away (scans a minute late
    /// leave no sliver between bars), and half the median distance otherwise, so scans that come in clusters (several
    /// datasets scanned minutes apart every day) still give bars of even width and a missed scan leaves a gap. A lone
    /// bar is an hour wide (or its interval).
    public static func bars(starts: [Int64], rows: [[Double]], interval: TickInterval?)
        -> [(start: Int64, end: Int64, count: Int, values: [Double])] {
        precondition(starts.count == rows.count, "Shaping.bars: columns of different lengths")
        var out: [(start: Int64, end: Int64, count: Int, values: [Double])] = []
        for k in starts.indices {
            let start = interval?.floor(starts[k]) ?? starts[k]
            if let last = out.last, last.start == start {
                out[out.count - 1].count += 1
                for j in rows[k].indices { out[out.count - 1].values[j] += rows[k][j] }
            } else {
                out.append((start, start, 1, rows[k]))
            }
        }
        let barStarts = out.map(\.start)
        var width = out.count > 1 ? medianGap(barStarts) : UTCTime.hour
        if let interval, let first = out.first {
            width = max(width, timeGap(interval.next(after: first.start), first.start))
        }
        guard let interval else {
            let times = barStarts, half = width / 2
            func midpoint(_ a: Int64, _ b: Int64) -> Int64 { timeShift(a, by: timeGap(b, a) / 2) }
            for k in out.indices {
                let t = times[k]
                let near = Double(width) * 1.5
                out[k].start = k > 0 && Double(timeGap(t, times[k - 1])) <= near ? midpoint(times[k - 1], t) : timeShift(t, back: half)
                out[k].end = k + 1 < out.count && Double(timeGap(times[k + 1], t)) <= near ? midpoint(t, times[k + 1]) : timeShift(t, by: half)
            }
            return out
        }
        for k in out.indices {
            var end = timeShift(out[k].start, by: width)
            if k + 1 < out.count { end = min(end, out[k + 1].start) }
            end = max(end, min(interval.next(after: out[k].start), k + 1 < out.count ? out[k + 1].start : .max))
            out[k].end = end
        }
        return out
    }

    /// The median distance between successive distinct times (an hour when there is none).
    static func medianGap(_ times: [Int64]) -> Int64 {
        var gaps: [Int64] = []
        for k in times.indices.dropFirst() where times[k] > times[k - 1] {
            gaps.append(timeGap(times[k], times[k - 1]))
        }
        guard !gaps.isEmpty else { return UTCTime.hour }
        gaps.sort()
        return gaps[gaps.count / 2]
    }

    /// The smallest distance between successive distinct times (an hour when there is none).
    static func smallestGap(_ times: [Int64]) -> Int64 {
        var best: Int64?
        for k in times.indices.dropFirst() where times[k] > times[k - 1] {
            best = min(best ?? .max, timeGap(times[k], times[k - 1]))
        }
        return best ?? UTCTime.hour
    }
}
