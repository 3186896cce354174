import TallySoda
import TallyStorage

/// Reads the JSON points format that `tally export --format json` (and `tally query --format json`) writes into
/// a write batch, so that an export loads back:
///
/// ```json
/// {"series": [{"metric": "row_count", "labels": {"dataset": "orders"},
///              "points": [{"time": "2024-05-01T06:00:00Z", "value": 1204.0, "outcome": "pass"}]}]}
/// ```
///
/// - `time`: ISO 8601 with `Z` or an offset, or integer epoch milliseconds;
/// - `value`: a number, `null`, or the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (as export writes them);
/// - `outcome` (optional): `pass`, `warn`, `fail`, `error` or `not_evaluated`: a series whose points have one is a
///   check series, and then every point needs one;
/// - `labels` may be left out; other members (`reason`, `expected`, `anomaly`, …) are ignored.
///
/// The whole document is validated before anything is returned; the first problem is thrown with its file, JSON
/// path, line and column. A document holds at most `SodaJSONParser.maximumValues` values (about a million points);
/// larger exports load as CSV.
public enum JSONPointsImport {
    /// Parses a JSON points document into a batch.
    public static func parse(_ bytes: [UInt8], fileName: String, origin: BatchOrigin) throws(InputError) -> ParsedFile {
        let root: SodaJSON
        do { root = try SodaJSONParser.parse(bytes) } catch {
            throw InputError(file: fileName, line: error.line, column: error.column, path: error.path.description,
                             message: error.message)
        }
        return try parse(root, from: bytes, fileName: fileName, origin: origin)
    }

    /// Whether a JSON document is a points document (a `series` array) rather than a Soda scan result (which has a
    /// `dataTimestamp`): how `POST /api/v1/ingest` tells the two apart.
    public static func isPointsDocument(_ root: SodaJSON) -> Bool {
        root["series"] != nil && root["dataTimestamp"] == nil
    }

    /// Parses a points document already parsed from `bytes` (errors carry the line and column in `bytes`).
    public static func parse(_ root: SodaJSON, from bytes: [UInt8], fileName: String,
                             origin: BatchOrigin) throws(InputError) -> ParsedFile {
        func fail(_ message: String, at path: SodaJSONPath) -> InputError {
            let position = SodaJSONParser.position(of: path, in: bytes)
            return InputError(file: fileName, line: position?.line, column: position?.column, path: path.description,
                              message: message)
        }
        guard let list = root["series"]?.arrayValue else {
            throw fail("expected an object with a \"series\" array (what `tally export --format json` writes)", at: .root)
        }
        var batch = WriteBatch(origin: origin)
        /// The first element of `series` that names each series of the batch.
        var firstElement: [Int] = []
        for (k, element) in list.enumerated() {
            let at = SodaJSONPath.root.appending("series").appending(k)
            guard let metric = element["metric"]?.stringValue, isValidName(metric) else {
                throw fail("expected a metric name [A-Za-z_][A-Za-z0-9_.]*", at: at.appending("metric"))
            }
            var labels: [Label] = []
            switch element["labels"] {
            case nil, .null?:
                break
            case .object(let members)?:
                for member in members {
                    guard let value = member.value.stringValue else {
                        throw fail("expected the label's value as a string", at: at.appending("labels").appending(member.key))
                    }
                    guard !value.isEmpty else { continue }   // an empty value is no label, as an empty CSV cell
                    labels.append(Label(member.key, value))
                }
            default:
                throw fail("expected an object of label names and values", at: at.appending("labels"))
            }
            let key = SeriesKey(metric: metric, labels: labels)
            do throws(InputError) { try key.validate() } catch {
                throw fail(error.message, at: at.appending("labels"))
            }
            guard let points = element["points"]?.arrayValue else {
                throw fail("expected a \"points\" array", at: at.appending("points"))
            }
            // A series without points in the export (a query range it had none in) brings nothing, and its kind
            // cannot be told: it is left out, not made a measurement series.
            if points.isEmpty { continue }
            let checks = points.first.map { $0["outcome"].map { $0 != .null } ?? false } ?? false
            let before = batch.series.count
            let index = batch.addSeries(key, kind: checks ? .check : .measurement)
            if index == before { firstElement.append(k) }
            if index < before && batch.series[index].kind != (checks ? .check : .measurement) {
                throw fail("series \(key) appears earlier in the file as a \(batch.series[index].kind)", at: at)
            }
            for (i, point) in points.enumerated() {
                let pointAt = at.appending("points").appending(i)
                let time = try self.time(point["time"], at: pointAt.appending("time"), fail: fail)
                let value = try self.value(point["value"], at: pointAt.appending("value"), fail: fail)
                var outcome: Outcome?
                switch point["outcome"] {
                case nil, .null?:
                    if checks { throw fail("a check series needs an outcome on every point", at: pointAt.appending("outcome")) }
                case .string(let text)?:
                    guard let o = Outcome(text: text) else {
                        throw fail("expected pass, warn, fail, error or not_evaluated, found \(quoteLabelValue(text))",
                                   at: pointAt.appending("outcome"))
                    }
                    guard checks else {
                        throw fail("the series' first point has no outcome, so it is a measurement series: give every point an outcome or none",
                                   at: pointAt.appending("outcome"))
                    }
                    outcome = o
                default:
                    throw fail("expected the outcome as a string", at: pointAt.appending("outcome"))
                }
                batch.append(series: index, time: time, columnValue: value, outcomeCode: outcome?.rawValue ?? 0)
            }
        }
        // No points is no data: a batch of nothing would only be listed among the batches.
        if batch.pointCount == 0 {
            throw fail("there are no points to ingest: the \"series\" array is empty, or so is every series' \"points\"",
                       at: SodaJSONPath.root.appending("series"))
        }
        // Two points of one series at one time: which value the file means cannot be told.
        if let repeated = batch.firstRepeatedPoint() {
            var paths: [SodaJSONPath] = []
            var k = 0
            outer: for (e, element) in list.enumerated() {
                for i in (element["points"]?.arrayValue ?? []).indices {
                    if k == repeated.earlier || k == repeated.later {
                        paths.append(SodaJSONPath.root.appending("series").appending(e).appending("points").appending(i))
                        if paths.count == 2 { break outer }
                    }
                    k += 1
                }
            }
            throw fail(batch.repeatedPointMessage(repeated, earlierPlace: "at \(paths[0])"), at: paths[1].appending("time"))
        }
        let elements = firstElement
        return ParsedFile(batch: batch, fileName: fileName, place: { index in
            guard index < elements.count else { return nil }
            let path = SodaJSONPath.root.appending("series").appending(elements[index])
            return SodaJSONParser.position(of: path, in: bytes).map { ($0.line, $0.column, path.description) }
        })
    }

    /// A point's time: an ISO 8601 string or integer epoch milliseconds, at most `WriteBatch.latestTime`.
    private static func time(_ json: SodaJSON?, at path: SodaJSONPath,
                             fail: (String, SodaJSONPath) -> InputError) throws(InputError) -> Int64 {
        let time: Int64?
        switch json {
        case .string(let text)?: time = TimeText.parse(text)
        case .number(let n)?:
            if case .whole(let millis) = n.wholeNumber { time = millis } else { time = nil }
        default: time = nil
        }
        guard let time else {
            let found = json.map { ", found " + $0.foundText } ?? ""
            let problem = json?.stringValue.map(CSVImport.timeProblem) ?? ""
            throw fail("expected an ISO 8601 time with Z or an offset (2024-05-01T06:00:00Z) or integer epoch milliseconds"
                       + found + problem, path)
        }
        guard time <= WriteBatch.latestTime else {
            throw fail("the time is past the latest time a point can have, \(TimeText.format(WriteBatch.latestTime))", path)
        }
        return time
    }

    /// A point's value in column form: a number, null, or `"NaN"`, `"Infinity"`, `"-Infinity"`.
    private static func value(_ json: SodaJSON?, at path: SodaJSONPath,
                              fail: (String, SodaJSONPath) -> InputError) throws(InputError) -> Double {
        if let json, let v = JSONPointValue.columnValue(of: json) { return v }
        switch json {
        case .number(let n)?:
            throw fail("\(n.literal) is beyond the largest number a value can be (±1.7976931348623157e308)", path)
        case .string(let text)?:
            throw fail("expected \(JSONPointValue.forms), found \(quoteLabelValue(text))", path)
        default:
            throw fail("expected \(JSONPointValue.forms)", path)
        }
    }
}
