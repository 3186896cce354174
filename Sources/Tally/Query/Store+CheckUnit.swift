import TallyStorage

extension Store {
    /// The unit of a Soda check's values: that of the metric it measures (the measurement series of its dataset whose
    /// Soda `identity` is the check's `measurement_identity`), when the check's value is that metric's value
    /// (`freshness < 6h`, `row_count > 0`); `nil` for a change-over-time or anomaly check, whose value is a change or
    /// a score, for checks without a measured metric, and for metrics without a unit.
    ///
    /// `metrics` are the candidates when the caller has them (the dataset's measurement series); otherwise the
    /// store's series of the check's data source and dataset are searched.
    public func measuredUnit(ofCheck check: SeriesInfo, among metrics: [SeriesInfo]? = nil) -> String? {
        guard check.kind == .check, let identity = check.attributes["measurement_identity"],
              Store.checkValueIsItsMetric(check.attributes),
              let candidates = metrics ?? datasetSeries(of: check) else { return nil }
        return candidates.first { $0.kind == .measurement && $0.attributes["identity"] == identity }?.attributes["unit"]
    }

    /// The series of `check`'s data source and dataset (its `datasource` and `dataset` labels); `nil` when it has
    /// neither, rather than every series of the store.
    func datasetSeries(of check: SeriesInfo) -> [SeriesInfo]? {
        let matchers = ["datasource", "dataset"].compactMap { name in
            check.key[label: name].flatMap { try? LabelMatcher(name: name, op: .equal, value: $0) }
        }
        return matchers.isEmpty ? nil : series(matching: SeriesSelector(matchers: matchers))
    }

    /// Whether a check's value is its metric's value: not a change-over-time or anomaly check, as the check's line in
    /// its checks file (the last line of its `definition`, or its `name`) begins. A `name:` may say anything.
    static func checkValueIsItsMetric(_ attributes: Attributes) -> Bool {
        let line = (attributes["definition"] ?? attributes["name"] ?? "")
            .split(separator: "\n").last.map { String($0.drop { $0 == " " || $0 == "\t" }) } ?? ""
        let written = (line.hasPrefix("- ") ? String(line.dropFirst(2)) : line).lowercased()
        return !written.hasPrefix("change") && !written.hasPrefix("anomaly")
    }
}
