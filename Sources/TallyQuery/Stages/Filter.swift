import TallyStorage

/// `latest` and the `where` stages.
enum FilterStages {
    /// The last point of the series, whatever its value (an errored scan is news). No points: no point.
    static func latest(_ s: ResultSeries) -> ResultSeries {
        TimeRangeStage.last(s, 1)
    }

    /// The points whose (non-null) value satisfies `value OP operand`.
    static func whereValue(_ s: ResultSeries, _ op: Comparison, _ operand: Double) -> ResultSeries {
        s.selecting((0..<s.count).filter { !s.isNull(at: $0) && op.holds(s.values[$0], operand) })
    }

    /// The points whose value is null (`isNull`) or not null.
    static func whereNull(_ s: ResultSeries, _ isNull: Bool) -> ResultSeries {
        s.selecting((0..<s.count).filter { s.isNull(at: $0) == isNull })
    }

    /// The check points whose outcome is (or, with `equal == false`, is not) `outcome`.
    /// Points without an outcome (code 0, or a series without outcomes) never match.
    static func whereOutcome(_ s: ResultSeries, equal: Bool, _ outcome: CheckOutcome) -> ResultSeries {
        guard let codes = s.outcomes else { return s.selecting([]) }
        return s.selecting((0..<s.count).filter { codes[$0] != 0 && (codes[$0] == outcome.rawValue) == equal })
    }
}
