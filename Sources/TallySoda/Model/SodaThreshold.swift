/// A `fail` or `warn` zone as a check's diagnostics give it.
///
/// Soda writes the *bad* zone (the inverse of the check's pass condition): `row_count > 0` gives
/// `"fail": {"lessThanOrEqual": 0.0}`. Bounds are kept exactly as given.
public struct SodaThreshold: Sendable, Equatable {
    /// `greaterThan`.
    public var greaterThan: SodaNumber?
    /// `greaterThanOrEqual`.
    public var greaterThanOrEqual: SodaNumber?
    /// `lessThan`.
    public var lessThan: SodaNumber?
    /// `lessThanOrEqual`.
    public var lessThanOrEqual: SodaNumber?

    /// Creates a zone.
    public init(
        greaterThan: SodaNumber? = nil, greaterThanOrEqual: SodaNumber? = nil,
        lessThan: SodaNumber? = nil, lessThanOrEqual: SodaNumber? = nil
    ) {
        self.greaterThan = greaterThan
        self.greaterThanOrEqual = greaterThanOrEqual
        self.lessThan = lessThan
        self.lessThanOrEqual = lessThanOrEqual
    }

    /// Whether the zone is *split* (bad below one bound **or** above another), as for
    /// `between 5 and 100` → `{"greaterThan": 100.0, "lessThan": 5.0}`.
    ///
    /// Soda does not write its `is_split_zone` flag; it is inferred: the zone has a lower-side bound
    /// (`greaterThan*`) and an upper-side bound (`lessThan*`) and the lower-side bound is not below the
    /// upper-side one. `{"greaterThanOrEqual": 5, "lessThanOrEqual": 10}` (from `not between 5 and 10`)
    /// is an inner zone instead.
    public var isSplitZone: Bool {
        guard let low = (greaterThan ?? greaterThanOrEqual)?.doubleValue,
            let high = (lessThan ?? lessThanOrEqual)?.doubleValue
        else { return false }
        return low >= high
    }

    /// Whether `value` is in the zone, with soda-core's `ThresholdCfg.is_bad` rules: all bounds must
    /// hold, except in a split zone where the `greaterThan*` side or the `lessThan*` side is enough.
    public func contains(_ value: Double) -> Bool {
        let gt = greaterThan.map { value > $0.doubleValue } ?? true
        let gte = greaterThanOrEqual.map { value >= $0.doubleValue } ?? true
        let lt = lessThan.map { value < $0.doubleValue } ?? true
        let lte = lessThanOrEqual.map { value <= $0.doubleValue } ?? true
        if isSplitZone { return (gt && gte) || (lt && lte) }
        return gt && gte && lt && lte
    }

    /// The zone as Soda writes it (keys in Soda's order; absent bounds left out).
    public var json: SodaJSON {
        .object(SodaJSONObject([
            "greaterThanOrEqual": greaterThanOrEqual.map(SodaJSON.number),
            "greaterThan": greaterThan.map(SodaJSON.number),
            "lessThan": lessThan.map(SodaJSON.number),
            "lessThanOrEqual": lessThanOrEqual.map(SodaJSON.number),
        ]))
    }
}
