import TallyStorage
import TallyEncoding
/// `agg AGG [by (label, ...)]`: combines series point-wise at equal timestamps.
enum CombineStage {
    /// One series per group (all series form one group without `by`).
    ///
    /// A group's series keeps only the `by` labels the members have; `by (__name__)` groups by metric, as in
    /// PromQL. Its metric is the members' metric when they all share one, otherwise the aggregate's name (`sum`).
    /// At each timestamp where any member has a point, the members' values at that time are combined (nulls
    /// skipped). Output is sorted by metric, labels.
    static func evaluate(_ input: [ResultSeries], aggregate: Aggregate, by: [String]?) -> [ResultSeries] {
        struct GroupKey: Hashable {
            var metric: String?
            var labels: Labels
        }
        let byMetric = by?.contains(metricNameLabel) == true
        let byLabels = (by ?? []).filter { $0 != metricNameLabel }
        var groups: [GroupKey: [Int]] = [:]
        var order: [GroupKey] = []
        for (i, s) in input.enumerated() {
            let key = GroupKey(metric: byMetric ? s.metric : nil, labels: s.labels.keeping(byLabels))
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(i)
        }
        var output: [ResultSeries] = []
        for group in order {
            let key = group.labels
            let members = groups[group]!.map { input[$0] }
            let metric = Set(members.map(\.metric)).count == 1 ? members[0].metric : aggregate.description
            let kind: SeriesKind = members.allSatisfy { $0.kind == .check } ? .check : .measurement
            var points: [(time: Int64, value: Double)] = []
            points.reserveCapacity(members.reduce(0) { $0 + $1.count })
            for m in members {
                for i in 0..<m.count { points.append((m.times[i], m.values[i])) }
            }
            points.sort { $0.time < $1.time }     // ties keep member order only loosely; aggregates here don't care
            var out = SeriesBuilder(metric: metric, labels: key, kind: kind)
            var values: [Double] = []
            var i = 0
            while i < points.count {
                let t = points[i].time
                values.removeAll(keepingCapacity: true)
                while i < points.count, points[i].time == t {
                    values.append(points[i].value)
                    i += 1
                }
                if let v = aggregate.apply(values) {
                    out.append(t, v)
                } else {
                    out.append(t, nil, reason: "all values at this time are null")
                }
            }
            output.append(out.build())
        }
        return output.sorted { $0.sortsBefore($1) }
    }
}
