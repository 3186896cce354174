/// Where a check is defined (`location`).
public struct SodaCheckLocation: Sendable, Equatable {
    /// The checks file path as given (`checks_rich.yml`).
    public let filePath: String
    /// 1-based line.
    public let line: Int?
    /// 1-based column.
    public let column: Int?

    /// Creates a location.
    public init(filePath: String, line: Int?, column: Int?) {
        self.filePath = filePath
        self.line = line
        self.column = column
    }
}

/// One entry of a check's `outcomeReasons`.
public struct SodaOutcomeReason: Sendable, Equatable {
    /// `code`, e.g. `not_enough_measurements_custom`.
    public let code: String
    /// `message`.
    public let message: String?
    /// `severity`: `info`, `warn` or `error`.
    public let severity: String?

    /// Creates a reason.
    public init(code: String, message: String?, severity: String?) {
        self.code = code
        self.message = message
        self.severity = severity
    }
}

/// The `group` of a group-by child check.
public struct SodaCheckGroup: Sendable, Equatable {
    /// The group-by check's identity.
    public let identity: String?
    /// The group-by check's name.
    public let name: String?
    /// The group value, e.g. `BE`.
    public let distinctLabel: String?

    /// Creates a group.
    public init(identity: String?, name: String?, distinctLabel: String?) {
        self.identity = identity
        self.name = name
        self.distinctLabel = distinctLabel
    }
}

/// One check result of a scan, as a Tally check point.
///
/// * Series key: ``key``, the newest identity version Soda gives (`v4`, the user's `identity:`, else
///   `v3`, else the plain `identity`). All other versions are ``aliases`` (anomaly checks look their
///   history up by `v1`). Name, type and definition are ``attributes``, not labels, so editing a check
///   (e.g. its threshold) never splits its series by itself; note that Soda's v1–v3 hashes include the
///   check line, so only a `v4` identity survives such an edit. Writing adds the data source, dataset and
///   column as labels too (`check{check=…, datasource=…, dataset=…, column=…}`), for selectors.
/// * Point time: the scan's `dataTimestamp` in epoch milliseconds.
/// * Point value: ``value`` (the check's `diagnostics.value`), outcome ``outcome``, zones
///   ``fail``/``warn``.
/// * Link: ``measurementIdentity`` (= `metrics[0]`) names the measurement the check evaluated.
public struct SodaCheckPoint: Sendable, Equatable {
    /// The series key (newest identity version).
    public let key: String
    /// Every other identity of the check (v1, v2, v3, plain identity, migrated identities), without
    /// duplicates, in that order.
    public let aliases: [String]
    /// The plain `identity` field.
    public let identity: String
    /// The `identities` object (`v1`...`v4`) as given, or computed when the document had none.
    public let identityVersions: [String: String]
    /// `migratedIdentities` as given (empty when `null`).
    public let migratedIdentities: [String: String]
    /// `true` when ``identityVersions`` were computed by ``SodaCheckIdentityCalculator`` because the
    /// document had no `identities` (the Python API variant).
    public let identitiesComputed: Bool
    /// `name`.
    public let name: String
    /// `type`: `generic` or `anomalyDetection`.
    public let type: String
    /// `definition` (the YAML of the check).
    public let definition: String?
    /// `dataSource`.
    public let dataSource: String?
    /// `table` (the dataset).
    public let dataset: String?
    /// `column`.
    public let column: String?
    /// `filter` (only the Python API variant writes it).
    public let filter: String?
    /// `location`.
    public let location: SodaCheckLocation?
    /// `metrics`: identities of the metrics the check used.
    public let metrics: [String]
    /// The outcome (`null` → not evaluated).
    public let outcome: SodaOutcome
    /// `outcomeReasons` (empty when absent).
    public let outcomeReasons: [SodaOutcomeReason]
    /// The point time: the scan's data timestamp in epoch milliseconds.
    public let timeMilliseconds: Int64
    /// `diagnostics.value`: the check value (for change-over-time the delta, for freshness
    /// milliseconds, for anomaly checks the metric value). `nil` when absent or `null`.
    public let value: SodaNumber?
    /// A number derived when Soda gives the value in another unit or not at all (freshness seconds,
    /// schema event count).
    public let derived: SodaDerivedValue?
    /// `diagnostics.fail` (the bad zone).
    public let fail: SodaThreshold?
    /// `diagnostics.warn` (the warn zone).
    public let warn: SodaThreshold?
    /// `diagnostics.measure` (`time` for freshness).
    public let measure: String?
    /// `diagnostics.anomalyPredictedValue` of anomaly checks.
    public let predictedValue: SodaNumber?
    /// `diagnostics.diagnostics.historic_value` of change-over-time checks (the previous value).
    public let historicValue: SodaNumber?
    /// `diagnostics` exactly as given (`nil` when absent).
    public let diagnostics: SodaJSON?
    /// `group` of group-by children.
    public let group: SodaCheckGroup?
    /// `archetype` of automated-monitoring checks.
    public let archetype: String?
    /// `true` for entries of `automatedMonitoringChecks`.
    public let automatedMonitoring: Bool
    /// `resourceAttributes` as given (`[{"name":..,"value":..}]`).
    public let resourceAttributes: [SodaJSON]
    /// Labels of the check series: `check` = ``key``.
    public let labels: [String: String]
    /// Attributes: `name`, `type`, `definition`, `datasource`, `dataset`, `column`, `filter`, `unit` (`ms` for
    /// a check whose `measure` is `time`),
    /// `location` (`file:line:col`), `identity`, `archetype` — each only when present.
    public let attributes: [String: String]

    /// Creates a check point; ``labels`` and ``attributes`` are computed from the other fields.
    public init(
        key: String, aliases: [String], identity: String, identityVersions: [String: String],
        migratedIdentities: [String: String], identitiesComputed: Bool, name: String, type: String,
        definition: String?, dataSource: String?, dataset: String?, column: String?, filter: String?,
        location: SodaCheckLocation?, metrics: [String], outcome: SodaOutcome, outcomeReasons: [SodaOutcomeReason],
        timeMilliseconds: Int64, value: SodaNumber?, derived: SodaDerivedValue?, fail: SodaThreshold?,
        warn: SodaThreshold?, measure: String?, predictedValue: SodaNumber?, historicValue: SodaNumber?,
        diagnostics: SodaJSON?, group: SodaCheckGroup?, archetype: String?, automatedMonitoring: Bool,
        resourceAttributes: [SodaJSON]
    ) {
        self.key = key
        self.aliases = aliases
        self.identity = identity
        self.identityVersions = identityVersions
        self.migratedIdentities = migratedIdentities
        self.identitiesComputed = identitiesComputed
        self.name = name
        self.type = type
        self.definition = definition
        self.dataSource = dataSource
        self.dataset = dataset
        self.column = column
        self.filter = filter
        self.location = location
        self.metrics = metrics
        self.outcome = outcome
        self.outcomeReasons = outcomeReasons
        self.timeMilliseconds = timeMilliseconds
        self.value = value
        self.derived = derived
        self.fail = fail
        self.warn = warn
        self.measure = measure
        self.predictedValue = predictedValue
        self.historicValue = historicValue
        self.diagnostics = diagnostics
        self.group = group
        self.archetype = archetype
        self.automatedMonitoring = automatedMonitoring
        self.resourceAttributes = resourceAttributes
        self.labels = [SodaLabelName.check: key]
        var attributes: [String: String] = ["name": name, "type": type, "identity": identity]
        attributes["definition"] = definition
        attributes["datasource"] = dataSource
        attributes["dataset"] = dataset
        attributes["column"] = column
        attributes["filter"] = filter
        attributes["archetype"] = archetype
        if measure == "time" { attributes["unit"] = "ms" }   // freshness: Soda's check value is in milliseconds
        if let location {
            attributes["location"] = [location.filePath, location.line.map(String.init), location.column.map(String.init)]
                .compactMap { $0 }.joined(separator: ":")
        }
        self.attributes = attributes
    }

    /// The identity of the measurement this check evaluated: `metrics[0]` (Soda Cloud's
    /// `measurementId` join).
    public var measurementIdentity: String? { metrics.first }

    /// The `v1` identity (anomaly checks fetch their history by it).
    public var v1: String? { identityVersions["v1"] }

    /// Every identity the check answers to: ``key`` then ``aliases``.
    public var allIdentities: [String] { [key] + aliases }
}
