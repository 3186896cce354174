import TallyCharts
import TallyQuery
import TallyStorage

extension Store {
    /// A chart spec for `result` with what the store knows about its series: the unit of each series (its `unit`
    /// attribute; a Soda check's, that of the metric it measures, ``measuredUnit(ofCheck:among:)``; or its metric's
    /// when every series of the metric has the same one, for series that stages such as `bucket` made), and the name of each Soda check (its `name` attribute) to show instead of the identity hash
    /// in a `check` label (also of series that stages made, such as `outcomes by (check)`).
    public func chartSpec(for result: QueryResult, title: String?, width: Int = 800, height: Int = 320) -> ChartSpec {
        // Each series' own unit by its key; the metric's, from all its series, only for series without one (a stage
        // made them, or the series has no unit): the metric scan is not paid for series found by key.
        var units: [String: String] = [:]
        var unitless = Set<String>()
        // The series of each dataset, read once for all its checks.
        var datasets: [[String?]: [SeriesInfo]] = [:]
        func checkUnit(_ check: SeriesInfo) -> String? {
            let place = [check.key[label: "datasource"], check.key[label: "dataset"]]
            if datasets[place] == nil, let found = datasetSeries(of: check) { datasets[place] = found }
            return datasets[place].flatMap { measuredUnit(ofCheck: check, among: $0) }
        }
        for s in result.series {
            let stored = series(key: SeriesKey(metric: s.metric, labels: s.labels.pairs))
            // A check's values are in its metric's unit (the panels of checks of seconds and of rows are apart).
            if let unit = stored?.attributes["unit"] ?? stored.flatMap({ $0.kind == .check ? checkUnit($0) : nil }) {
                units[seriesKeyText(metric: s.metric, labels: s.labels)] = unit
            } else {
                unitless.insert(s.metric)
            }
        }
        for metric in unitless {
            let declared = series(matching: SeriesSelector(metric: metric)).map { $0.attributes["unit"] ?? "" }
            if let first = declared.first, !first.isEmpty, declared.allSatisfy({ $0 == first }) { units[metric] = first }
        }
        // A check label's value names the stored check series that have it; their name, when they agree on one.
        // Looked up through the label index, one value at a time (not a pass over every check series per chart).
        var checkNames: [String: String] = [:]
        for check in Set(result.series.compactMap { $0.labels["check"] }) {
            guard let matcher = try? LabelMatcher(name: "check", op: .equal, value: check) else { continue }
            let names = Set(series(matching: SeriesSelector(metric: SodaScan.checkMetric, matchers: [matcher]))
                .map { $0.attributes["name"] ?? "" })
            if names.count == 1, let name = names.first, !name.isEmpty { checkNames[check] = name }
        }
        return ChartSpec(title: title, width: width, height: height, units: .perSeries(units),
                         labelTexts: checkNames.isEmpty ? [:] : ["check": checkNames])
    }
}
