/// One metric of a scan, as a Tally measurement (a point of a metric series).
///
/// * Series: ``metricName`` + ``labels``. Labels come from the parts of the Soda metric identity
///   (see ``SodaMetricIdentity``): `datasource`, `dataset`, `column`, `filter`, `scan_definition`,
///   plus `config_hash` and `automated_monitoring` when the identity has them. A label is absent when
///   Soda gives none. Rebuilding the identity from the labels gives the Soda identity back, so two
///   Soda series never share a Tally series.
/// * Point time: the scan's `dataTimestamp` in epoch milliseconds.
/// * Point value: ``value``: the number Soda gave (literal kept, see ``SodaNumber/isInteger``) or a
///   number derived from a non-numeric value (``derived``).
public struct SodaMeasurement: Sendable, Equatable {
    /// Soda's `metricName` (`row_count`, `missing_count`, `schema`, a user-defined name ...).
    public let metricName: String
    /// Soda's metric identity (`metric-nightly_orders_scan-shop-orders-row_count`).
    public let identity: String
    /// The identity split into parts, `nil` when it does not have Soda's form.
    public let identityParts: SodaMetricIdentity?
    /// How the split was decided (`nil` when there is no split).
    public let identityResolution: SodaMetricIdentity.Resolution?
    /// Identifying labels (see the type documentation).
    public let labels: [String: String]
    /// Non-identifying attributes: `identity` (the Soda metric identity).
    public let attributes: [String: String]
    /// The point time: the scan's data timestamp in epoch milliseconds.
    public let timeMilliseconds: Int64
    /// The value exactly as Soda gave it (number, string, list, object or null).
    public let rawValue: SodaJSON
    /// A number derived from a non-numeric ``rawValue``, when a rule applies.
    public let derived: SodaDerivedValue?

    /// Creates a measurement.
    public init(
        metricName: String, identity: String, identityParts: SodaMetricIdentity?,
        identityResolution: SodaMetricIdentity.Resolution?, labels: [String: String], attributes: [String: String],
        timeMilliseconds: Int64, rawValue: SodaJSON, derived: SodaDerivedValue?
    ) {
        self.metricName = metricName
        self.identity = identity
        self.identityParts = identityParts
        self.identityResolution = identityResolution
        self.labels = labels
        self.attributes = attributes
        self.timeMilliseconds = timeMilliseconds
        self.rawValue = rawValue
        self.derived = derived
    }

    /// The number Soda gave, when the value is a number.
    public var number: SodaNumber? { rawValue.numberValue }

    /// The point's numeric value: ``number``, else ``derived``'s value, else `nil` (Soda gave `null`
    /// or a value no rule turns into a number).
    public var value: SodaNumber? { number ?? derived?.value }

    /// Whether the point's value is an integer (`10`), as opposed to a decimal (`10.0`); `nil` without
    /// a value.
    public var isInteger: Bool? { value?.isInteger }

    /// `true` when the value is not a plain number (kept raw; see ``rawValue``).
    public var isRawJSON: Bool { number == nil && !rawValue.isNull }

    /// The labels as sorted `(name, value)` pairs.
    public var sortedLabels: [(name: String, value: String)] {
        labels.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}

extension SodaMeasurement {
    /// The derived number for a non-numeric metric value (`nil` when no rule applies). See
    /// ``SodaValueRule`` for the rules.
    public static func derive(metricName: String, value: SodaJSON) -> SodaDerivedValue? {
        switch value {
        case let .array(elements) where metricName == "schema":
            return SodaDerivedValue(rule: .schemaColumnCount, value: SodaNumber(elements.count))
        case let .array(elements) where metricName == "group by":
            return SodaDerivedValue(rule: .groupCount, value: SodaNumber(elements.count))
        case let .string(text):
            guard let time = SodaTimestamp(text, mode: .lenient) else { return nil }
            return SodaDerivedValue(rule: .timestampEpochSeconds, value: time.epochSecondsNumber)
        default:
            return nil
        }
    }
}
