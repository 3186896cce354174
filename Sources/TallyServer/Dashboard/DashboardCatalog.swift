import Tally
import TallyCharts

/// The store's series as the dashboard shows them: data sources (label `datasource`), their datasets (label
/// `dataset`), and each dataset's metrics (measurement series) and checks (check series, label `check`), as Soda
/// ingest and `tally demo` label them. Series without those labels are grouped under an empty name.
struct DashboardCatalog: Sendable {
    /// The labels that place a series; they are left out of its name within its dataset.
    static let placingLabels: Set<String> = ["datasource", "dataset", "scan_definition"]

    struct Row: Sendable {
        var info: SeriesInfo
        var latest: LatestPoint?
        /// The name within the dataset: the metric (or the check) and its other labels (`missing_count · column=email`).
        var name: String
        /// The unit of the values: the series' `unit` attribute; for a check, that of the metric it measures.
        var unit: String?
    }

    struct Dataset: Sendable {
        var dataSource: String
        var name: String
        var metrics: [Row]
        var checks: [Row]

        /// The time of the dataset's latest point (of any of its metrics and checks).
        var latestTime: Int64? { (metrics + checks).compactMap { $0.latest?.time }.max() }

        /// How many checks have each latest outcome.
        var latestOutcomes: [Outcome: Int] {
            var counts: [Outcome: Int] = [:]
            for check in checks {
                if let code = check.latest?.outcome, let outcome = Outcome(rawValue: code) { counts[outcome, default: 0] += 1 }
            }
            return counts
        }
    }

    struct DataSource: Sendable {
        var name: String
        var datasets: [Dataset]
    }

    var dataSources: [DataSource]
    /// Every series in the store.
    var seriesCount: Int
    /// The series listed (at most the limit).
    var listed: Int

    /// Groups the series of `store` (the first `limit` of them, in key order).
    init(store: Store, limit: Int) {
        let all = store.series()
        seriesCount = all.count
        let infos = Array(all.prefix(limit))
        listed = infos.count
        let latest = store.latest(infos.map(\.id))
        var order: [String] = []
        var grouped: [String: [String: (metrics: [Row], checks: [Row])]] = [:]
        for (info, point) in zip(infos, latest) {
            let source = info.key[label: "datasource"] ?? "", dataset = info.key[label: "dataset"] ?? ""
            if grouped[source] == nil { order.append(source) }
            let row = Row(info: info, latest: point, name: DashboardCatalog.rowName(info), unit: info.attributes["unit"])
            if info.kind == .check {
                grouped[source, default: [:]][dataset, default: ([], [])].checks.append(row)
            } else {
                grouped[source, default: [:]][dataset, default: ([], [])].metrics.append(row)
            }
        }
        dataSources = order.sorted().map { source in
            DataSource(name: source, datasets: grouped[source]!.keys.sorted().map { name in
                let members = grouped[source]![name]!
                return Dataset(dataSource: source, name: name,
                               metrics: DashboardCatalog.distinguished(members.metrics).sorted { $0.name < $1.name },
                               checks: DashboardCatalog.withUnits(DashboardCatalog.distinguished(members.checks), from: members.metrics, store: store)
                                   .sorted { $0.name < $1.name })
            })
        }
    }

    /// Checks get the unit of the metric they measure (``Store/measuredUnit(ofCheck:among:)``), looked up among
    /// their dataset's metrics.
    static func withUnits(_ checks: [Row], from metrics: [Row], store: Store) -> [Row] {
        let infos = metrics.map(\.info)
        return checks.map { check in
            guard check.unit == nil, let unit = store.measuredUnit(ofCheck: check.info, among: infos) else { return check }
            var withUnit = check
            withUnit.unit = unit
            return withUnit
        }
    }

    /// Rows of one dataset that share a name get what tells them apart appended, so that no two read the same:
    /// their `scan_definition` (the same metric or check in two scans of the dataset), then, for checks, their
    /// `check` label (the same check with two filters).
    static func distinguished(_ rows: [Row]) -> [Row] {
        appendingWhereShared(appendingWhereShared(rows, label: "scan_definition"), label: "check")
    }

    /// `rows` with ` · label=value` appended to the name of each row that shares its name with a row whose value
    /// of `label` differs (not when the name already starts with the value: a check named by its `check` label).
    private static func appendingWhereShared(_ rows: [Row], label: String) -> [Row] {
        var values: [String: Set<String>] = [:]
        for row in rows { values[row.name, default: []].insert(row.info.key[label: label] ?? "") }
        return rows.map { row in
            guard values[row.name, default: []].count > 1, let value = row.info.key[label: label],
                  !row.name.hasPrefix(value) else { return row }
            var named = row
            named.name += " · \(label)=\(value)"
            return named
        }
    }

    /// The dataset `dataSource`/`name`, if the store has series of it.
    func dataset(dataSource: String, name: String) -> Dataset? {
        dataSources.first { $0.name == dataSource }?.datasets.first { $0.name == name }
    }

    /// `missing_count · column=email`; a check is named by its `name` attribute (what the checks file says,
    /// `row_count > 0`), or by its `check` label when it has none (Soda's labels are identity hashes).
    static func rowName(_ info: SeriesInfo) -> String {
        var head = info.key.metric
        var rest: [String] = []
        for label in info.key.labels where !placingLabels.contains(label.name) {
            if info.kind == .check && label.name == "check" {
                head = info.attributes["name"].flatMap { $0.isEmpty ? nil : $0 } ?? label.value
            } else {
                rest.append("\(label.name)=\(label.value)")
            }
        }
        return ([head] + rest).joined(separator: " · ")
    }

    /// The selector of a dataset's series of one metric: `metric{dataset="…", datasource="…"}`; an empty name selects
    /// the series without that label (`dataset=""`).
    static func selector(metric: String, dataSource: String, dataset: String) -> String {
        seriesKeyText(metric: metric, labels: Labels(["datasource": dataSource, "dataset": dataset]))
    }

    /// The selector of a dataset's series of every metric but `metric` (`{datasource="…", dataset="…", __name__!="check"}`).
    static func selector(allBut metric: String, dataSource: String, dataset: String) -> String {
        "{datasource=\(quoteLabelValue(dataSource)), dataset=\(quoteLabelValue(dataset)), \(metricNameLabel)!=\(quoteLabelValue(metric))}"
    }
}
