/// Names of the labels and attributes this module puts on measurements and check points.
public enum SodaLabelName {
    /// Data source name (label).
    public static let datasource = "datasource"
    /// Table, Soda's "dataset" (label).
    public static let dataset = "dataset"
    /// Column (label).
    public static let column = "column"
    /// Dataset filter / partition name (label).
    public static let filter = "filter"
    /// Scan definition name (label).
    public static let scanDefinition = "scan_definition"
    /// The 8-hex configuration hash at the end of a metric identity (label). Without it two metrics
    /// that differ only by configuration (a plain `row_count` and the `row_count` of a failed-rows
    /// `fail condition`) would fall into one series.
    public static let configHash = "config_hash"
    /// `"true"` for automated-monitoring metrics (label).
    public static let automatedMonitoring = "automated_monitoring"
    /// The full Soda metric identity: an attribute always, and a label only when the identity could not
    /// be split into the labels above (so distinct identities never share a series).
    public static let identity = "identity"
    /// The key of a check series (label on check points).
    public static let check = "check"
}
