/// The `filter` of a Soda Cloud history query, typed.
///
/// soda-core 3.5.6 sends `{"type": "and", "andExpressions": [...]}` whose expressions compare a
/// column (`{"type": "columnValue", "columnName": ...}`) with a value:
///
/// ```json
/// {"type": "equals", "left": {"type": "columnValue", "columnName": "metric.identity"},
///  "right": {"type": "string", "value": "metric-daily_orders-hist-orders-row_count"}}
/// {"type": "greaterThanOrEqual", "left": {"type": "columnValue", "columnName": "measurement.dataTime"},
///  "right": {"type": "time", "scanTime": false, "time": "2026-11-22T00:00:00+00:00"}}
/// ```
public indirect enum SodaCloudFilter: Sendable, Equatable {
    /// `{"type": "and", "andExpressions": [...]}`.
    case and([SodaCloudFilter])
    /// A comparison of a column with a value.
    case comparison(SodaCloudComparison)

    /// Every comparison in the filter, flattened.
    public var comparisons: [SodaCloudComparison] {
        switch self {
        case let .and(children): return children.flatMap(\.comparisons)
        case let .comparison(c): return [c]
        }
    }

    /// The filter as Soda writes it.
    public var json: SodaJSON {
        switch self {
        case let .and(children):
            return .object(SodaJSONObject(["type": .string("and"), "andExpressions": .array(children.map(\.json))]))
        case let .comparison(c):
            return c.json
        }
    }

    /// Reads a filter.
    public static func parse(_ value: SodaJSON, at path: SodaJSONPath) throws(SodaError) -> SodaCloudFilter {
        let reader = try SodaObjectReader(value, at: path)
        let type = try reader.string("type")
        if type == "and" {
            var children: [SodaCloudFilter] = []
            for (i, element) in try reader.array("andExpressions").enumerated() {
                children.append(try parse(element, at: path.appending("andExpressions").appending(i)))
            }
            return .and(children)
        }
        guard let op = SodaCloudComparison.Operator(rawValue: type) else {
            throw SodaError(
                kind: .unsupported, path: path.appending("type"),
                message: "unsupported filter expression \(SodaJSON.string(type).shortDescription); expected and, equals, greaterThan, greaterThanOrEqual, lessThan or lessThanOrEqual")
        }
        let left = try SodaObjectReader(try reader.required("left", "a columnValue object"), at: path.appending("left"))
        let leftType = try left.string("type")
        guard leftType == "columnValue" else {
            throw SodaError.expected("\"columnValue\"", at: left.path.appending("type"), found: .string(leftType))
        }
        let column = try left.string("columnName")
        let right = try SodaObjectReader(try reader.required("right", "a value object"), at: path.appending("right"))
        let rightType = try right.string("type")
        let operand: SodaCloudComparison.Operand
        switch rightType {
        case "string":
            operand = .string(try right.string("value"))
        case "time":
            operand = .time(try right.timestamp("time"), scanTime: try right.optionalBool("scanTime") ?? false)
        case "number":
            guard let n = try right.optionalNumber("value") else {
                throw SodaError.expected("a number", at: right.path.appending("value"), found: right["value"])
            }
            operand = .number(n)
        default:
            throw SodaError.expected("one of string, time, number", at: right.path.appending("type"), found: .string(rightType))
        }
        return .comparison(SodaCloudComparison(op: op, column: column, operand: operand))
    }
}

/// One comparison of a history-query filter.
public struct SodaCloudComparison: Sendable, Equatable {
    /// The comparison.
    public enum Operator: String, Sendable, CaseIterable {
        /// `equals`.
        case equals
        /// `greaterThan`.
        case greaterThan
        /// `greaterThanOrEqual`.
        case greaterThanOrEqual
        /// `lessThan`.
        case lessThan
        /// `lessThanOrEqual`.
        case lessThanOrEqual
    }

    /// The right-hand value.
    public enum Operand: Sendable, Equatable {
        /// `{"type": "string", "value": ...}`.
        case string(String)
        /// `{"type": "time", "scanTime": ..., "time": ...}`.
        case time(SodaTimestamp, scanTime: Bool)
        /// `{"type": "number", "value": ...}`.
        case number(SodaNumber)

        /// `a string`, `a time`, `a number`: for error messages.
        public var kindText: String {
            switch self {
            case .string: return "a string"
            case .time: return "a time"
            case .number: return "a number"
            }
        }
    }

    /// The comparison.
    public let op: Operator
    /// The `columnName` on the left (`metric.identity`, `check.identity`, `measurement.dataTime`).
    public let column: String
    /// The value on the right.
    public let operand: Operand

    /// Creates a comparison.
    public init(op: Operator, column: String, operand: Operand) {
        self.op = op
        self.column = column
        self.operand = operand
    }

    /// The comparison as Soda writes it.
    public var json: SodaJSON {
        let right: SodaJSON
        switch operand {
        case let .string(s):
            right = .object(SodaJSONObject(["type": .string("string"), "value": .string(s)]))
        case let .time(t, scanTime):
            right = .object(SodaJSONObject(["type": .string("time"), "scanTime": .bool(scanTime), "time": .string(t.text)]))
        case let .number(n):
            right = .object(SodaJSONObject(["type": .string("number"), "value": .number(n)]))
        }
        return .object(SodaJSONObject([
            "type": .string(op.rawValue),
            "left": .object(SodaJSONObject(["type": .string("columnValue"), "columnName": .string(column)])),
            "right": right,
        ]))
    }
}

/// One end of a time range on `measurement.dataTime`.
public struct SodaTimeBound: Sendable, Equatable {
    /// The bound.
    public let time: SodaTimestamp
    /// Whether the bound itself is included (`...OrEqual`).
    public let inclusive: Bool

    /// Creates a bound.
    public init(time: SodaTimestamp, inclusive: Bool) {
        self.time = time
        self.inclusive = inclusive
    }
}
