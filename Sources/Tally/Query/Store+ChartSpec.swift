import TallyCharts
import TallyQuery
import TallyStorage

extension Store {
    /// A chart spec for `result` with what the store knows about its series: the unit of each series (its `unit`
    /// attribute, or its metric's when every series of the metric has the same one, for series that stages such as
    /// `bucket` made), and the name of each Soda check (its `name` attribute) to show instead of the identity hash
    /// in a `check` label (also of series that stages made, such as `outcomes by (check)`).
    public func chartSpec(for result: QueryResult, title: String?, width: Int = 800, height: Int = 320) -> ChartSpec {
        var units: [String: String] = [:]
        for metric in Set(result.series.map(\.metric)) {
            let declared = series(matching: SeriesSelector(metric: metric)).map { $0.attributes["unit"] ?? "" }
            if let first = declared.first, !first.isEmpty, declared.allSatisfy({ $0 == first }) { units[metric] = first }
        }
        for s in result.series {
            guard let info = series(key: SeriesKey(metric: s.metric, labels: s.labels.pairs)) else { continue }
            if let unit = info.attributes["unit"] { units[seriesKeyText(metric: s.metric, labels: s.labels)] = unit }
        }
        // A check label's value names the stored check series that have it; their name, when they agree on one.
        var checkNames: [String: String] = [:]
        let checks = Set(result.series.compactMap { $0.labels["check"] })
        if !checks.isEmpty {
            var names: [String: Set<String>] = [:]
            for info in series(matching: SeriesSelector(metric: SodaScan.checkMetric)) {
                guard let check = info.key[label: "check"], checks.contains(check) else { continue }
                names[check, default: []].insert(info.attributes["name"] ?? "")
            }
            for (check, found) in names where found.count == 1 && found.first?.isEmpty == false { checkNames[check] = found.first! }
        }
        return ChartSpec(title: title, width: width, height: height, units: .perSeries(units),
                         labelTexts: checkNames.isEmpty ? [:] : ["check": checkNames])
    }
}
