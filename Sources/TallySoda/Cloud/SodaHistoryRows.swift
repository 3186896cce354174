/// One stored measurement, as the history responses need it (plain data: the storage engine fills it).
public struct SodaMeasurementRow: Sendable, Equatable {
    /// The measurement id (Tally's point id; Soda Cloud uses a UUID). Check results point to it with
    /// `measurementId`.
    public var id: String
    /// The Soda metric identity.
    public var identity: String
    /// The value exactly as stored: a number for numeric metrics, the raw list for schema / group-by
    /// metrics (schema evolution compares lists). `nil` leaves the `value` key out; soda-core drops
    /// such rows (its anomaly model requires a float `value`, so `null` must not be sent).
    public var value: SodaJSON?
    /// The data time (the scan's `dataTimestamp`).
    public var dataTime: SodaTimestamp

    /// Creates a row.
    public init(id: String, identity: String, value: SodaJSON?, dataTime: SodaTimestamp) {
        self.id = id
        self.identity = identity
        self.value = value
        self.dataTime = dataTime
    }

    /// Creates a row with a numeric value at a time in epoch milliseconds.
    public init(id: String, identity: String, number: SodaNumber?, timeMilliseconds: Int64) {
        self.init(id: id, identity: identity, value: number.map(SodaJSON.number), dataTime: SodaTimestamp(epochMilliseconds: timeMilliseconds))
    }

    /// Creates a row from an ingested measurement (`null` values become "no value").
    public init(id: String, measurement: SodaMeasurement) {
        self.init(
            id: id, identity: measurement.identity, value: measurement.rawValue.isNull ? nil : measurement.rawValue,
            dataTime: SodaTimestamp(epochMilliseconds: measurement.timeMilliseconds))
    }

    /// The row as Soda Cloud returns it: `{"id", "identity", "value", "dataTime"}` with `dataTime`
    /// written `YYYY-MM-DDTHH:MM:SSZ`.
    public var json: SodaJSON {
        .object(SodaJSONObject([
            "id": .string(id),
            "identity": .string(identity),
            "value": value,
            "dataTime": .string(dataTime.cloudText),
        ]))
    }
}

/// User feedback on an anomaly check result (Soda Cloud "Feedback").
public struct SodaFeedback: Sendable, Equatable {
    /// `skipMeasurements` values.
    public enum SkipMeasurements: String, Sendable, CaseIterable {
        /// Leave this result out of training.
        case this
        /// Keep results from this one on (drop earlier ones).
        case previous
        /// Keep only results after this one.
        case previousAndThis
    }

    /// `isCorrectlyClassified`.
    public var isCorrectlyClassified: Bool?
    /// `isAnomaly`.
    public var isAnomaly: Bool?
    /// `reason` (`expectedWeeklySeasonality`, ...).
    public var reason: String?
    /// `freeTextReason`.
    public var freeTextReason: String?
    /// `skipMeasurements`.
    public var skipMeasurements: SkipMeasurements?

    /// Creates feedback.
    public init(
        isCorrectlyClassified: Bool? = nil, isAnomaly: Bool? = nil, reason: String? = nil, freeTextReason: String? = nil,
        skipMeasurements: SkipMeasurements? = nil
    ) {
        self.isCorrectlyClassified = isCorrectlyClassified
        self.isAnomaly = isAnomaly
        self.reason = reason
        self.freeTextReason = freeTextReason
        self.skipMeasurements = skipMeasurements
    }

    /// The feedback object with all five keys (`null` for unset ones).
    public var json: SodaJSON {
        .object(SodaJSONObject([
            "isCorrectlyClassified": isCorrectlyClassified.map(SodaJSON.bool) ?? .null,
            "isAnomaly": isAnomaly.map(SodaJSON.bool) ?? .null,
            "reason": reason.map(SodaJSON.string) ?? .null,
            "freeTextReason": freeTextReason.map(SodaJSON.string) ?? .null,
            "skipMeasurements": skipMeasurements.map { SodaJSON.string($0.rawValue) } ?? .null,
        ]))
    }
}

/// One stored check result, as the history responses need it (plain data: the storage engine fills it).
public struct SodaCheckResultRow: Sendable, Equatable {
    /// The result id (`testResultId`).
    public var id: String?
    /// The check's id in the store (`testId`).
    public var checkId: String?
    /// Every identity the check answers to (key and aliases); a query by any of them matches. Not
    /// written to the response.
    public var identities: [String]
    /// The identity written as `identity` (`nil` leaves it out).
    public var identity: String?
    /// The id of the measurement the result evaluated (joined by soda-core with ``SodaMeasurementRow/id``).
    public var measurementId: String?
    /// `type` (`generic`, `anomalyDetection`).
    public var type: String?
    /// The outcome (not evaluated is written `null`; `error` is written `"error"`).
    public var outcome: SodaOutcome
    /// The data time.
    public var dataTime: SodaTimestamp
    /// The diagnostics as stored (anomaly checks read `value`, `fail`, `warn`, `anomalyPredictedValue`...).
    public var diagnostics: SodaJSON?
    /// User feedback, when any.
    public var feedback: SodaFeedback?

    /// Creates a row.
    public init(
        id: String?, checkId: String?, identities: [String], identity: String?, measurementId: String?, type: String?,
        outcome: SodaOutcome, dataTime: SodaTimestamp, diagnostics: SodaJSON?, feedback: SodaFeedback? = nil
    ) {
        self.id = id
        self.checkId = checkId
        self.identities = identities
        self.identity = identity
        self.measurementId = measurementId
        self.type = type
        self.outcome = outcome
        self.dataTime = dataTime
        self.diagnostics = diagnostics
        self.feedback = feedback
    }

    /// Creates a row from an ingested check point.
    public init(id: String?, checkId: String?, checkPoint: SodaCheckPoint, measurementId: String?, feedback: SodaFeedback? = nil) {
        self.init(
            id: id, checkId: checkId, identities: checkPoint.allIdentities, identity: checkPoint.key, measurementId: measurementId,
            type: checkPoint.type, outcome: checkPoint.outcome, dataTime: SodaTimestamp(epochMilliseconds: checkPoint.timeMilliseconds),
            diagnostics: checkPoint.diagnostics, feedback: feedback)
    }

    /// Whether the row belongs to a check asked for by `identity`.
    public func matches(_ identity: String) -> Bool {
        identities.contains(identity) || self.identity == identity
    }

    /// The row as Soda Cloud returns it: `type`, `testId`, `testResultId`, `identity`,
    /// `measurementId`, `outcome`, `dataTime`, `diagnostics`, `feedback` (absent optional keys left out;
    /// `outcome` always present, `null` when not evaluated).
    public var json: SodaJSON {
        .object(SodaJSONObject([
            "type": type.map(SodaJSON.string),
            "testId": checkId.map(SodaJSON.string),
            "testResultId": id.map(SodaJSON.string),
            "identity": identity.map(SodaJSON.string),
            "measurementId": measurementId.map(SodaJSON.string),
            "outcome": outcome.sodaValue.map(SodaJSON.string) ?? .null,
            "dataTime": .string(dataTime.cloudText),
            "diagnostics": diagnostics,
            "feedback": feedback?.json,
        ]))
    }
}

/// One check attribute definition of the organisation (`sodaCoreAvailableCheckAttributes`). soda-core
/// validates `attributes:` of checks against `name`, `type` (`checkbox`, `datetime`, `multiSelect`,
/// `number`, `singleSelect`, `text`) and `allowedValues`.
public struct SodaCheckAttributeDefinition: Sendable, Equatable {
    /// `name`.
    public var name: String
    /// `type`.
    public var type: String
    /// `allowedValues` (select and checkbox types).
    public var allowedValues: [SodaJSON]?
    /// `label`.
    public var label: String?

    /// Creates a definition.
    public init(name: String, type: String, allowedValues: [SodaJSON]? = nil, label: String? = nil) {
        self.name = name
        self.type = type
        self.allowedValues = allowedValues
        self.label = label
    }

    /// The definition as Soda Cloud returns it.
    public var json: SodaJSON {
        .object(SodaJSONObject([
            "name": .string(name),
            "type": .string(type),
            "allowedValues": allowedValues.map(SodaJSON.array),
            "label": label.map(SodaJSON.string),
        ]))
    }
}
