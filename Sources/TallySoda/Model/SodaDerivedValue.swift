/// A number derived from a value that Soda does not give as a number, and the rule that made it.
public struct SodaDerivedValue: Sendable, Equatable {
    /// Which rule made the number.
    public let rule: SodaValueRule
    /// The number.
    public let value: SodaNumber

    /// Creates a derived value.
    public init(rule: SodaValueRule, value: SodaNumber) {
        self.rule = rule
        self.value = value
    }
}

/// The rules that turn non-numeric Soda values into numbers. Each is documented in `docs/soda.md`.
public enum SodaValueRule: String, Sendable, Hashable, CaseIterable {
    /// Metric `schema` (a list of `{columnName, sourceDataType}`): the number of columns (integer).
    case schemaColumnCount = "schema_column_count"
    /// Metric `group by` (a list of result rows): the number of groups (integer).
    case groupCount = "group_count"
    /// A metric whose value is a timestamp string (`max(created_at)` for freshness, written
    /// `2024-05-09T12:00:00+00:00`): the instant as epoch seconds (integer unless it has a fraction).
    case timestampEpochSeconds = "timestamp_epoch_seconds"
    /// A check with `"measure": "time"` (freshness): the diagnostic value is in milliseconds; this is
    /// it in seconds, written exactly (`80735667325` → `80735667.325`).
    case freshnessSeconds = "freshness_seconds"
    /// A schema check (no diagnostic `value`): the number of schema events, i.e. the `fail` plus
    /// `warn` entries of `valueSeries.values` (what Soda's `valueLabel` "N schema event(s)" counts).
    case schemaEventCount = "schema_event_count"
}
