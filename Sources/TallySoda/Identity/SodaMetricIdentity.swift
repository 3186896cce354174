/// The parts of a Soda metric identity.
///
/// soda-core 3.x writes a metric identity as
/// `metric-{scanDefinition}-{dataSource}[-{dataset}][-{filter}][-{column}]-{metricName}[-automated_monitoring][-{hash8}]`
/// (`soda/execution/identity.py`; the scan definition is left out when it is empty). These parts are
/// what ``SodaMeasurement`` turns into labels, and ``identity`` rebuilds the exact string from them.
public struct SodaMetricIdentity: Sendable, Hashable {
    /// The scan definition name (`-s`), `nil` when the scan had none.
    public var scanDefinition: String?
    /// The data source name.
    public var dataSource: String
    /// The table (Soda "dataset"), `nil` for data-source-level metrics such as user-defined SQL metrics.
    public var dataset: String?
    /// The dataset filter / partition name (`filter orders [recent]` → `recent`).
    public var filter: String?
    /// The column, for column metrics.
    public var column: String?
    /// The metric name (`row_count`, `missing_count`, `schema`, or a user-defined name).
    public var metricName: String
    /// Whether Soda marked the metric as automated monitoring.
    public var automatedMonitoring: Bool
    /// The 8-hex hash of the metric's extra configuration (valid values, SQL, ...), when present.
    public var configHash: String?

    /// Creates identity parts.
    public init(
        scanDefinition: String?, dataSource: String, dataset: String? = nil, filter: String? = nil,
        column: String? = nil, metricName: String, automatedMonitoring: Bool = false, configHash: String? = nil
    ) {
        self.scanDefinition = scanDefinition
        self.dataSource = dataSource
        self.dataset = dataset
        self.filter = filter
        self.column = column
        self.metricName = metricName
        self.automatedMonitoring = automatedMonitoring
        self.configHash = configHash
    }

    /// Creates identity parts, computing ``configHash`` from the values Soda hashes for this metric
    /// (for a numeric metric: `metric_args[1:]`, the in-check filter, then the missing/valid
    /// configuration as `property` parts; for a user-defined metric: `[sql]`; for group by: `[query]`;
    /// for a reference check: `[column, other table, other column]`; failed rows: `[fail query]` or
    /// `[fail condition]`).
    public init(
        scanDefinition: String?, dataSource: String, dataset: String? = nil, filter: String? = nil,
        column: String? = nil, metricName: String, automatedMonitoring: Bool = false, hashParts: [SodaIdentityPart]
    ) {
        self.init(
            scanDefinition: scanDefinition, dataSource: dataSource, dataset: dataset, filter: filter, column: column,
            metricName: metricName, automatedMonitoring: automatedMonitoring, configHash: SodaIdentityHasher.hash(hashParts))
    }

    /// The identity string Soda would write for these parts.
    public var identity: String {
        var parts = ["metric"]
        if let scanDefinition, !scanDefinition.isEmpty { parts.append(scanDefinition) }
        parts.append(dataSource)
        if let dataset, !dataset.isEmpty { parts.append(dataset) }
        if let filter { parts.append(filter) }
        if let column { parts.append(column) }
        if !metricName.isEmpty { parts.append(metricName) }
        if automatedMonitoring { parts.append("automated_monitoring") }
        if let configHash { parts.append(configHash) }
        return parts.joined(separator: "-")
    }

    /// What the document says about one part of the identity, used to settle how the identity text
    /// splits.
    public enum Hint: Sendable, Hashable {
        /// Nothing is known.
        case unknown
        /// The part is known to be absent (e.g. the check using the metric has `"column": null`).
        case absent
        /// The part is known to be this value.
        case value(String)

        /// `.value(s)` for a string, `.absent` for `nil`.
        public init(_ value: String?) {
            self = value.map { .value($0) } ?? .absent
        }

        func admits(_ part: String?) -> Bool {
            switch self {
            case .unknown: return true
            case .absent: return part == nil
            case let .value(v): return part == v
            }
        }
    }

    /// How a decomposition was decided.
    public enum Resolution: Sendable, Hashable {
        /// Only one split of the identity text agrees with the hints.
        case confirmed
        /// Several splits were possible (names containing `-`, or no hints); the rules of
        /// ``decompose(_:metricName:scanDefinition:dataSources:dataset:filter:column:)`` chose one.
        case inferred
    }

    /// Names of metrics that never have a column (table-level metrics). Without hints, a middle part
    /// `{a}-{b}` is read as dataset + filter for these and as dataset + column for the others.
    public static let tableLevelMetricNames: Set<String> = [
        "row_count", "schema", "group by", "failed rows", "freshness", "group evolution",
    ]

    /// Splits `identity` into its parts.
    ///
    /// - Parameters:
    ///   - metricName: the metric's `metricName` (it is the tail of the identity).
    ///   - scanDefinition: the document's `definitionName`.
    ///   - dataSources: candidate data source names, tried in order (the metric's `dataSourceName`,
    ///     the data source of a check using the metric, the document's `defaultDataSource`).
    ///   - dataset, filter, column: hints. Explicit metric fields (schema metrics) and the check whose
    ///     `metrics[0]` is this metric give them. Hints that no split satisfies are dropped: the identity
    ///     text always wins (a user-defined SQL metric has no table in its identity although its check
    ///     has one).
    /// - Returns: the parts and how they were found, or `nil` when the text does not have Soda's
    ///   form (does not start with `metric-[{scanDefinition}-]{dataSource}-`, or does not end with the
    ///   metric name). A returned value always satisfies `parts.identity == identity`.
    ///
    /// The middle text `M` between data source and metric name (after taking off an optional
    /// `-automated_monitoring` and `-{8 lowercase hex}` tail) is `dataset[-filter][-column]`. Every
    /// split of `M` at `-` boundaries into dataset / optional filter / optional column is a candidate
    /// (no filter or column without a dataset). Candidates that disagree with a hint are dropped. When
    /// one is left the result is ``Resolution/confirmed``; otherwise the first by this order is taken
    /// (``Resolution/inferred``): for table-level metrics (``tableLevelMetricNames``) no column
    /// first, for the others a column first; then more parts first (names without `-` preferred);
    /// then the shorter dataset.
    public static func decompose(
        _ identity: String, metricName: String, scanDefinition: String?, dataSources: [String],
        dataset: Hint = .unknown, filter: Hint = .unknown, column: Hint = .unknown
    ) -> (parts: SodaMetricIdentity, resolution: Resolution)? {
        guard identity.hasPrefix("metric-") else { return nil }
        var rest = Substring(identity.dropFirst("metric-".count))
        if let scanDefinition, !scanDefinition.isEmpty {
            guard rest.hasPrefix(scanDefinition + "-") else { return nil }
            rest = rest.dropFirst(scanDefinition.count + 1)
        }
        var seen = Set<String>()
        for dataSource in dataSources where seen.insert(dataSource).inserted {
            guard rest.hasPrefix(dataSource + "-") else { continue }
            let afterSource = String(rest.dropFirst(dataSource.count + 1))
            for tail in tails(afterSource, metricName: metricName) {
                guard let (split, resolution) = chooseSplit(tail.middle, metricName: metricName, dataset: dataset, filter: filter, column: column)
                else { continue }
                let parts = SodaMetricIdentity(
                    scanDefinition: scanDefinition, dataSource: dataSource, dataset: split.dataset, filter: split.filter,
                    column: split.column, metricName: metricName, automatedMonitoring: tail.automated, configHash: tail.hash)
                if parts.identity == identity { return (parts, resolution) }
            }
        }
        return nil
    }

    private struct Tail {
        var middle: String
        var automated: Bool
        var hash: String?
    }

    private struct Split {
        var dataset: String?
        var filter: String?
        var column: String?
        var partCount: Int { [dataset, filter, column].compactMap { $0 }.count }
    }

    /// The ways the text after the data source can end in `metricName[-automated_monitoring][-hash8]`.
    private static func tails(_ text: String, metricName: String) -> [Tail] {
        var result: [Tail] = []
        for withHash in [true, false] {
            var body = Substring(text)
            var hash: String?
            if withHash {
                guard body.count > 9 else { continue }
                let dash = body.index(body.endIndex, offsetBy: -9)
                guard body[dash] == "-" else { continue }
                let candidate = body[body.index(after: dash)...]
                guard candidate.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else { continue }
                hash = String(candidate)
                body = body[..<dash]
            }
            for automated in [true, false] {
                var inner = body
                if automated {
                    guard inner.hasSuffix("-automated_monitoring") else { continue }
                    inner = inner.dropLast("-automated_monitoring".count)
                }
                if inner == metricName {
                    result.append(Tail(middle: "", automated: automated, hash: hash))
                } else if inner.hasSuffix("-" + metricName) {
                    result.append(Tail(middle: String(inner.dropLast(metricName.count + 1)), automated: automated, hash: hash))
                }
            }
        }
        return result
    }

    private static func chooseSplit(
        _ middle: String, metricName: String, dataset: Hint, filter: Hint, column: Hint
    ) -> (Split, Resolution)? {
        var candidates: [Split] = []
        if middle.isEmpty {
            candidates = [Split()]
        } else {
            let segments = middle.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            let n = segments.count
            for a in 1...n {
                for b in a...n {
                    let d = segments[0..<a].joined(separator: "-")
                    let f = a < b ? segments[a..<b].joined(separator: "-") : nil
                    let c = b < n ? segments[b..<n].joined(separator: "-") : nil
                    candidates.append(Split(dataset: d, filter: f, column: c))
                }
            }
        }
        let consistent = candidates.filter { dataset.admits($0.dataset) && filter.admits($0.filter) && column.admits($0.column) }
        if consistent.count == 1 { return (consistent[0], .confirmed) }
        let pool = consistent.isEmpty ? candidates : consistent
        let tableLevel = tableLevelMetricNames.contains(metricName)
        let best = pool.min { x, y in
            let xc = (x.column != nil) != tableLevel
            let yc = (y.column != nil) != tableLevel
            if xc != yc { return xc }
            if x.partCount != y.partCount { return x.partCount > y.partCount }
            return (x.dataset?.count ?? 0) < (y.dataset?.count ?? 0)
        }
        return best.map { ($0, .inferred) }
    }
}
