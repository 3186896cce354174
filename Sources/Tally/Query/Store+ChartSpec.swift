import TallyCharts
import TallyQuery
import TallyStorage

extension Store {
    /// A chart spec for `result` with what the store knows about its series: the unit of each series (its `unit`
    /// attribute, or its metric's when every series of the metric has the same one, for series that stages such as
    /// `bucket` made), and the name of each Soda check (its `name` attribute) to show instead of the identity hash
    /// in its `check` label.
    public func chartSpec(for result: QueryResult, title: String?, width: Int = 800, height: Int = 320) -> ChartSpec {
        var units: [String: String] = [:]
        for metric in Set(result.series.map(\.metric)) {
            let declared = series(matching: SeriesSelector(metric: metric)).map { $0.attributes["unit"] ?? "" }
            if let first = declared.first, !first.isEmpty, declared.allSatisfy({ $0 == first }) { units[metric] = first }
        }
        var checkNames: [String: String] = [:]
        for s in result.series {
            guard let info = series(key: SeriesKey(metric: s.metric, labels: s.labels.pairs)) else { continue }
            if let unit = info.attributes["unit"] { units[seriesKeyText(metric: s.metric, labels: s.labels)] = unit }
            if let check = s.labels["check"], let name = info.attributes["name"], !name.isEmpty { checkNames[check] = name }
        }
        return ChartSpec(title: title, width: width, height: height, units: .perSeries(units),
                         labelTexts: checkNames.isEmpty ? [:] : ["check": checkNames])
    }
}
