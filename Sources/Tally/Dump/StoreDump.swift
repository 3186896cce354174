import TallySoda
import TallyStorage

/// `tally dump` / `tally load`: the whole store as a portable, versioned stream of JSON lines (docs/format/dump.md).
///
/// The first line is `{"tally_dump": 2, ...}`; then one line per series, per batch, per kept document, per verdict
/// on a point, per API key, per check result's feedback and per chunk of at most 10,000 points of a series (times,
/// values, LSNs, outcomes as arrays); the last line gives the counts (`{"end": {"series": N, "points": M, ...}}`), so
/// a cut-off stream is recognised. Version 1 dumps (without verdicts, keys and feedback) load as before.
public enum StoreDump {
    public static let version = 2
    static let chunk = 10_000

    /// Writes the dump, line by line, through `emit` (each string is one line without its newline).
    public static func write(_ store: Store, _ emit: (String) -> Void) throws(StoreError) {
        emit("{\"tally_dump\": \(version), \"created\": \(JSONText.string(TimeText.format(currentTimeMillis())))}")
        let records = store.allSeriesRecords()
        for r in records {
            emit("{\"series\": {\"id\": \(r.id), \"metric\": \(JSONText.string(r.key.metric)), \"kind\": \(JSONText.string(r.kind.description)), "
                 + "\"created_lsn\": \(r.createdLSN), \"labels\": \(object(r.key.labels)), \"attributes\": \(object(r.attributes.entries))}}")
        }
        let imports = try store.imports()
        for i in imports {
            let details = i.origin.details.filter { $0.name != BatchOrigin.documentKey }
            emit("{\"import\": {\"lsn\": \(i.lsn), \"kind\": \(JSONText.string(i.origin.kind)), \"source\": \(JSONText.string(i.origin.source)), "
                 + "\"wall_time\": \(i.origin.wallTime), \"series_count\": \(i.seriesCount), \"point_count\": \(i.pointCount), \"details\": \(object(details))}}")
            // A repair's marker stands for a lost document: there is nothing to carry (the batch keeps no document).
            if let document = try store.document(ofBatch: i.lsn), !document.isLostToDamage {
                emit("{\"document\": {\"lsn\": \(i.lsn), \"kind\": \(JSONText.string(document.kind)), \"base64\": \"\(Base64.encode(document.bytes))\"}}")
            }
        }
        let verdicts = try store.feedback()
        for v in verdicts {
            emit("{\"feedback\": {\"id\": \(v.id), \"series\": \(v.series), \"time\": \(v.time), "
                 + "\"verdict\": \(JSONText.string(v.verdict.rawValue)), \"note\": \(JSONText.string(v.note)), \"created\": \(v.created)}}")
        }
        // API keys (only their hashes are stored) and check results' feedback live in the catalog's side tables.
        let side = try CatalogSideTables(storePath: store.path, readOnly: true)
        let keys = try side.keys()
        for k in keys {
            emit("{\"api_key\": {\"id\": \(JSONText.string(k.id)), \"name\": \(JSONText.string(k.name)), "
                 + "\"role\": \(JSONText.string(k.role.rawValue)), \"secret_hash\": \(JSONText.string(k.secretHash)), "
                 + "\"created\": \(k.created), \"revoked\": \(k.revoked.map(String.init) ?? "null")}}")
        }
        let checkFeedback = try side.allFeedback()
        for f in checkFeedback {
            emit("{\"check_feedback\": {\"result_id\": \(JSONText.string(f.resultID)), \"feedback\": \(JSONText.string(f.feedback)), "
                 + "\"updated\": \(f.updated)}}")
        }
        var total = 0
        for r in records {
            let points = try store.read(r.id)
            total += points.count
            var start = 0
            while start < points.count {
                let end = min(start + chunk, points.count)
                var line = "{\"points\": {\"series\": \(r.id), \"times\": ["
                line += points.times[start..<end].map(String.init).joined(separator: ",")
                line += "], \"values\": [" + points.values[start..<end].map(JSONPointValue.text).joined(separator: ",")
                line += "], \"lsns\": [" + points.lsns[start..<end].map(String.init).joined(separator: ",") + "]"
                if !points.outcomes.isEmpty {
                    line += ", \"outcomes\": [" + points.outcomes[start..<end].map(String.init).joined(separator: ",") + "]"
                }
                emit(line + "}}")
                start = end
            }
        }
        let reserved = try store.reservedIDs()
        emit("{\"end\": {\"series\": \(records.count), \"points\": \(total), \"feedback\": \(verdicts.count), "
             + "\"api_keys\": \(keys.count), \"check_feedback\": \(checkFeedback.count), "
             + "\"last_lsn\": \(reserved.lastLSN), \"next_feedback_id\": \(reserved.nextFeedbackID)}}")
    }

    static func object(_ pairs: [Label]) -> String {
        "{" + pairs.map { JSONText.string($0.name) + ": " + JSONText.string($0.value) }.joined(separator: ", ") + "}"
    }

    /// A dump read and checked in full, ready to load: what ``parse(_:source:)`` gives.
    public struct Contents {
        let series: [SeriesRecord]
        let imports: [ImportRecord]
        let documents: [StoredDocument]
        let points: [SeriesID: PointColumns]
        let verdicts: [FeedbackRecord]
        let keys: [APIKeyRecord]
        let checkFeedback: [(resultID: String, feedback: String, updated: Int64)]
        let reserved: ReservedIDs
    }

    /// Reads a dump and loads it into `store`, which must be empty. The whole dump is checked before anything is
    /// written.
    public static func load(_ bytes: [UInt8], into store: Store, source: String) throws(StoreError) {
        try load(parse(bytes, source: source), into: store)
    }

    /// Loads a checked dump into `store`, which must be empty.
    public static func load(_ contents: Contents, into store: Store) throws(StoreError) {
        try store.load(series: contents.series, imports: contents.imports, documents: contents.documents,
                       points: contents.points, feedback: contents.verdicts, reserved: contents.reserved)
        // The side tables have a connection of their own: they are filled after the store's transaction.
        if !contents.keys.isEmpty || !contents.checkFeedback.isEmpty {
            let side = try CatalogSideTables(storePath: store.path)
            for key in contents.keys { try side.insertKey(key) }
            for f in contents.checkFeedback { try side.setFeedback(resultID: f.resultID, f.feedback, at: f.updated) }
        }
    }

    /// Reads a dump and checks all of it (its lines, numbers, counts and points); the first problem is thrown
    /// with the source and line. `source` names the input in errors.
    public static func parse(_ bytes: [UInt8], source: String) throws(StoreError) -> Contents {
        var series: [SeriesRecord] = []
        var imports: [ImportRecord] = []
        var documents: [StoredDocument] = []
        var points: [SeriesID: PointColumns] = [:]
        var verdicts: [FeedbackRecord] = []
        var keys: [APIKeyRecord] = []
        var checkFeedback: [(resultID: String, feedback: String, updated: Int64)] = []
        var feedbackPoints = Set<FeedbackPoint>(), keyIDs = Set<String>()
        // Each written once: the catalog keeps one import and one document per LSN, and one feedback per result id
        // (a second would be merged into the first, or dropped, without a word).
        var documentLSNs: [LSN: Int] = [:], checkFeedbackIDs = Set<String>()
        var verdictLines: [Int64: Int] = [:]   // verdict id → its line: repeats, and errors found after the last line
        var importLines: [LSN: Int] = [:]      // batch → its import line: repeats, documents, and the point counts at the end
        var uncounted = Set<LSN>()             // batches whose import line has no point_count
        var sawHeader = false, sawEnd = false
        var expected = (series: 0, points: 0)
        var expectedSide: (feedback: Int?, keys: Int?, checkFeedback: Int?) = (nil, nil, nil)
        var reserved = ReservedIDs()
        var lineNumber = 0
        func fail(_ message: String) -> StoreError {
            .invalid(InputError(file: source, line: lineNumber, message: message))
        }
        // Numbers that become ids, LSNs, times and codes are checked for their range here: converting an
        // out-of-range one trapped (a negative id or LSN, an outcome of 300) or wrapped (a verdict's series).
        func number<T: FixedWidthInteger>(_ json: SodaJSON?, _ what: String, as type: T.Type) throws(StoreError) -> T? {
            guard let json, !json.isNull else { return nil }
            guard let n = json.numberValue?.int64Value, let value = T(exactly: n) else {
                throw fail("\(what): expected an integer from \(T.min) to \(T.max), found \(short(json))")
            }
            return value
        }
        func text(_ value: String, _ what: String) throws(StoreError) -> String {
            // Series attributes and document kinds with a NUL are refused, as before. The catalog keeps the other
            // texts (a batch's kind, source and details, notes, keys, check feedback) whole, NULs included (K4).
            guard !value.utf8.contains(0) else { throw fail("\(what): a NUL character (\\u0000) cannot be stored") }
            return value
        }
        func short(_ json: SodaJSON) -> String {
            let text = json.description
            return text.count > 60 ? String(text.prefix(57)) + "..." : text
        }
        var seriesKeys: [SeriesKey: SeriesID] = [:]
        var kinds: [SeriesID: SeriesKind] = [:]
        // Where each points line of a series starts in its columns, and its line number: a repeated time is
        // found after the last line, and reported at the line that holds its second point.
        var pointLines: [SeriesID: [(first: Int, line: Int)]] = [:]
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            lineNumber += 1
            defer { start = end + 1 }
            if end == start { continue }
            let json: SodaJSON
            do throws(SodaError) {
                json = try SodaJSONParser.parse(Array(bytes[start..<end]))
            } catch {
                throw .invalid(InputError(file: source, line: lineNumber, column: error.column, message: error.message))
            }
            if sawEnd { throw fail("content after the end line") }
            if !sawHeader {
                guard let v = json["tally_dump"]?.numberValue?.int64Value else { throw fail("not a Tally dump: expected {\"tally_dump\": \(version), ...} on the first line") }
                guard v <= Int64(version) else { throw fail("dump version \(v) is newer than this Tally supports (\(version))") }
                guard v >= 1 else { throw fail("dump version \(v): versions start at 1") }
                sawHeader = true
                continue
            }
            if let s = json["series"] {
                guard let id = try number(s["id"], "series: id", as: SeriesID.self), let metric = s["metric"]?.stringValue,
                      let kindText = s["kind"]?.stringValue else { throw fail("series: expected id, metric and kind") }
                guard let kind = SeriesKind.allCases.first(where: { $0.description == kindText }) else {
                    throw fail("series \(id): unknown kind \"\(kindText)\" (measurement or check)")
                }
                guard kinds.updateValue(kind, forKey: id) == nil else { throw fail("series \(id) is defined twice") }
                // validate() checks the names and refuses a NUL in a label value.
                let key = SeriesKey(metric: metric, labels: try pairs(s["labels"], fail))
                do throws(InputError) { try key.validate() } catch { throw fail("series \(id): \(error.message)") }
                if let other = seriesKeys.updateValue(id, forKey: key) {
                    throw fail("series \(id) has the key of series \(other), \(key): a key names one series")
                }
                var attributes: [String: String] = [:]
                for pair in try pairs(s["attributes"], fail) {
                    attributes[try text(pair.name, "series \(id): an attribute name")] = try text(pair.value, "series \(id): attribute \(pair.name)")
                }
                series.append(SeriesRecord(
                    id: id, key: key, kind: kind, attributes: Attributes(attributes),
                    createdLSN: try number(s["created_lsn"], "series \(id): created_lsn", as: LSN.self) ?? 0))
            } else if let i = json["import"] {
                guard let lsn = try number(i["lsn"], "import: lsn", as: LSN.self), let kind = i["kind"]?.stringValue,
                      let src = i["source"]?.stringValue else { throw fail("import: expected lsn, kind and source") }
                guard importLines.updateValue(lineNumber, forKey: lsn) == nil else { throw fail("import: batch \(lsn) appears twice") }
                guard lsn >= 1 else { throw fail("import: batch 0: batch numbers (LSNs) start at 1") }
                var origin = BatchOrigin(kind: kind, source: src,
                                         wallTime: i["wall_time"]?.numberValue?.int64Value ?? 0)
                origin.details = try pairs(i["details"], fail).sorted()
                for detail in origin.details {
                    // Where the store keeps a batch's document: its own, set on load from the document line.
                    guard detail.name != BatchOrigin.documentKey else {
                        throw fail("import \(lsn): the detail \"\(BatchOrigin.documentKey)\" is the store's own; a dump carries a batch's document on a document line")
                    }
                }
                // A batch without point_count is given the count of its points the dump holds (set at the end).
                let pointCount = try number(i["point_count"], "import \(lsn): point_count", as: Int.self)
                if let pointCount, pointCount < 0 { throw fail("import \(lsn): point_count \(pointCount): a count is at least 0") }
                if pointCount == nil { uncounted.insert(lsn) }
                imports.append(ImportRecord(lsn: lsn, origin: origin,
                                            seriesCount: try number(i["series_count"], "import \(lsn): series_count", as: Int.self) ?? 0,
                                            pointCount: pointCount ?? 0))
            } else if let d = json["document"] {
                guard let lsn = try number(d["lsn"], "document: lsn", as: LSN.self), let kind = d["kind"]?.stringValue,
                      let encoded = d["base64"]?.stringValue else {
                    throw fail("document: expected lsn, kind and base64")
                }
                guard let data = Base64.decode(encoded) else { throw fail("document \(lsn): base64 is not valid base64 (RFC 4648, padded)") }
                if let earlier = documentLSNs.updateValue(lineNumber, forKey: lsn) {
                    throw fail("document: batch \(lsn) has a document already (line \(earlier)); a batch keeps one")
                }
                documents.append(StoredDocument(lsn: lsn, kind: try text(kind, "document \(lsn): kind"), bytes: data))
            } else if let p = json["points"] {
                guard let id = try number(p["series"], "points: series", as: SeriesID.self), let times = p["times"]?.arrayValue,
                      let values = p["values"]?.arrayValue, let lsns = p["lsns"]?.arrayValue,
                      times.count == values.count, times.count == lsns.count else {
                    throw fail("points: expected series and times, values and lsns of one length")
                }
                var columns = points[id] ?? PointColumns()
                pointLines[id, default: []].append((columns.count, lineNumber))
                for k in times.indices {
                    guard let t = times[k].numberValue?.int64Value, let l = try number(lsns[k], "points: an lsn", as: LSN.self) else {
                        throw fail("points: times and lsns must be integers")
                    }
                    guard t <= WriteBatch.latestTime else {
                        throw fail("points: series \(id) has a point at \(t), past the latest time a point can have (\(WriteBatch.latestTime), \(TimeText.format(WriteBatch.latestTime)))")
                    }
                    guard let v = JSONPointValue.columnValue(of: values[k]) else {
                        throw fail("points: a value must be \(JSONPointValue.forms)")
                    }
                    columns.times.append(t)
                    columns.values.append(v)
                    columns.lsns.append(l)
                }
                // Check series have an outcome per point (codes 1 to 5), measurement series none.
                guard let kind = kinds[id] else {
                    throw fail("points of series \(id), which the dump does not define (before its points)")
                }
                if let outcomes = p["outcomes"]?.arrayValue {
                    guard kind == .check else { throw fail("points: series \(id) is a measurement series; its points have no outcomes") }
                    guard outcomes.count == times.count else { throw fail("points: outcomes of another length") }
                    for o in outcomes {
                        guard let code = try number(o, "points: an outcome", as: UInt8.self), Outcome(rawValue: code) != nil else {
                            throw fail("points: an outcome must be a code from 1 (pass) to 5 (not_evaluated), found \(short(o))")
                        }
                        columns.outcomes.append(code)
                    }
                } else if kind == .check {
                    throw fail("points: series \(id) is a check series; its points need outcomes")
                }
                points[id] = columns
            } else if let f = json["feedback"] {
                guard let id = f["id"]?.numberValue?.int64Value, let series = try number(f["series"], "feedback: series", as: SeriesID.self),
                      let time = f["time"]?.numberValue?.int64Value, let verdictText = f["verdict"]?.stringValue else {
                    throw fail("feedback: expected id, series, time and verdict")
                }
                guard let verdict = FeedbackVerdict(rawValue: verdictText) else {
                    throw fail("feedback: unknown verdict \"\(verdictText)\" (expected, anomaly or exclude)")
                }
                // The catalog holds one verdict per id and one per point; a second would fail only after writing.
                guard verdictLines.updateValue(lineNumber, forKey: id) == nil else { throw fail("feedback: verdict \(id) appears twice") }
                guard feedbackPoints.insert(FeedbackPoint(series: series, time: time)).inserted else {
                    throw fail("feedback: series \(series) has two verdicts at \(TimeText.format(time))")
                }
                verdicts.append(FeedbackRecord(id: id, series: series, time: time,
                                               verdict: verdict, note: f["note"]?.stringValue ?? "",
                                               created: f["created"]?.numberValue?.int64Value ?? 0))
            } else if let k = json["api_key"] {
                guard let id = k["id"]?.stringValue, let roleText = k["role"]?.stringValue,
                      let hash = k["secret_hash"]?.stringValue else { throw fail("api_key: expected id, role and secret_hash") }
                guard let role = APIKeyRole(rawValue: roleText) else { throw fail("api_key: unknown role \"\(roleText)\" (read or write)") }
                guard keyIDs.insert(id).inserted else { throw fail("api_key: key \(id) appears twice") }
                keys.append(APIKeyRecord(id: id, name: k["name"]?.stringValue ?? "", role: role, secretHash: hash,
                                         created: k["created"]?.numberValue?.int64Value ?? 0,
                                         revoked: k["revoked"]?.numberValue?.int64Value))
            } else if let c = json["check_feedback"] {
                guard let id = c["result_id"]?.stringValue, let feedback = c["feedback"]?.stringValue else {
                    throw fail("check_feedback: expected result_id and feedback")
                }
                guard checkFeedbackIDs.insert(id).inserted else {
                    throw fail("check_feedback: result \(id) appears twice")
                }
                // The server answers it as a JSON object (Soda feedback); anything else would be dropped there.
                guard !id.isEmpty, (try? SodaJSONParser.parse(feedback))?.objectValue != nil else {
                    throw fail("check_feedback \(id.isEmpty ? "(no result_id)" : id): expected a result_id and feedback as a JSON object's text")
                }
                checkFeedback.append((id, feedback, c["updated"]?.numberValue?.int64Value ?? 0))
            } else if let e = json["end"] {
                expected = (Int(e["series"]?.numberValue?.int64Value ?? -1), Int(e["points"]?.numberValue?.int64Value ?? -1))
                expectedSide = (e["feedback"]?.numberValue?.int64Value.map(Int.init), e["api_keys"]?.numberValue?.int64Value.map(Int.init),
                                e["check_feedback"]?.numberValue?.int64Value.map(Int.init))
                // Ids the dumped store had given out (dumps before 2026-12-01 do not say: none beyond the contents).
                if let lsn = e["last_lsn"]?.numberValue?.int64Value, lsn > 0 { reserved.lastLSN = LSN(lsn) }
                if let id = e["next_feedback_id"]?.numberValue?.int64Value, id > 0 { reserved.nextFeedbackID = id }
                sawEnd = true
            } else {
                throw fail("unknown line: expected series, import, document, feedback, api_key, check_feedback, points or end")
            }
        }
        guard sawHeader else {
            throw StoreError.invalid(InputError(file: source, line: 1, message: "empty input: not a Tally dump"))
        }
        guard sawEnd else { throw fail("the dump ends early (no end line): it was cut off") }
        let total = points.values.reduce(0) { $0 + $1.count }
        // One point per series and time, as a read returns them: a second one would be dropped without a word. Of
        // several, the one on the earliest line is reported.
        var repeated: (line: Int?, series: SeriesID, time: Int64)?
        for (id, columns) in points {
            // Dumps write times in order, so the set is only for a dump that does not.
            let t = columns.times
            let inOrder = zip(t, t.dropFirst()).allSatisfy { $0 < $1 }
            if inOrder { continue }
            var seen = Set<Int64>(minimumCapacity: t.count)
            guard let second = t.indices.first(where: { !seen.insert(t[$0]).inserted }) else { continue }
            let line = pointLines[id]?.last(where: { $0.first <= second })?.line
            if let earlier = repeated, (earlier.line ?? .max, earlier.series) < (line ?? .max, id) { continue }
            repeated = (line, id, t[second])
        }
        if let repeated {
            throw StoreError.invalid(InputError(file: source, line: repeated.line, field: "times",
                message: "series \(repeated.series) has two points at \(TimeText.format(repeated.time)): a dump holds one point per series and time"))
        }
        guard expected.series == series.count, expected.points == total else {
            throw fail("the end line announces \(expected.series) series and \(expected.points) points; the dump holds \(series.count) and \(total)")
        }
        for (what, announced, held) in [("verdicts", expectedSide.feedback, verdicts.count), ("API keys", expectedSide.keys, keys.count),
                                         ("check feedback entries", expectedSide.checkFeedback, checkFeedback.count)]
        where announced != nil && announced != held {
            throw fail("the end line announces \(announced!) \(what); the dump holds \(held)")
        }
        // A document belongs to a batch: without its import line it would be written and never found.
        for document in documents where importLines[document.lsn] == nil {
            throw StoreError.invalid(InputError(file: source, line: documentLSNs[document.lsn], field: "document",
                message: "a document of batch \(document.lsn), which the dump has no import line for"))
        }
        try checkBatches(of: points, against: &imports, uncounted: uncounted, importLines: importLines, pointLines: pointLines,
                         source: source)
        for verdict in verdicts where kinds[verdict.series] == nil {
            throw StoreError.invalid(InputError(file: source, line: verdictLines[verdict.id], field: "feedback",
                message: "a verdict on series \(verdict.series), which the dump does not define"))
        }
        return Contents(series: series, imports: imports, documents: documents, points: points, verdicts: verdicts,
                        keys: keys, checkFeedback: checkFeedback, reserved: reserved)
    }

    /// Every point was written by a batch, and a batch keeps at most the points it wrote (retention, deletes and
    /// newer points at the same time only take points away). A point whose LSN names no batch could never be
    /// listed or deleted by its batch; a count below the points held is a dump edited by hand or cut together
    /// from two stores. The first problem found, by line, is thrown; imports without a point_count get the count
    /// of their points held.
    private static func checkBatches(of points: [SeriesID: PointColumns], against imports: inout [ImportRecord],
                                     uncounted: Set<LSN>, importLines: [LSN: Int],
                                     pointLines: [SeriesID: [(first: Int, line: Int)]], source: String) throws(StoreError) {
        var held: [LSN: Int] = [:]
        var orphan: (line: Int, series: SeriesID, lsn: LSN)?
        for (id, columns) in points {
            for (k, lsn) in columns.lsns.enumerated() {
                guard importLines[lsn] == nil else { held[lsn, default: 0] += 1; continue }
                let line = pointLines[id]?.last(where: { $0.first <= k })?.line ?? 0
                if let earlier = orphan, (earlier.line, earlier.series) <= (line, id) { break }
                orphan = (line, id, lsn)
                break
            }
        }
        if let orphan {
            throw StoreError.invalid(InputError(file: source, line: orphan.line, field: "lsns",
                message: "series \(orphan.series) has a point of batch \(orphan.lsn), which the dump has no import line for"))
        }
        var over: (line: Int, lsn: LSN, announced: Int, count: Int)?
        for i in imports.indices {
            let count = held[imports[i].lsn] ?? 0
            if uncounted.contains(imports[i].lsn) { imports[i].pointCount = count; continue }
            guard count > imports[i].pointCount, let line = importLines[imports[i].lsn] else { continue }
            if let earlier = over, earlier.line <= line { continue }
            over = (line, imports[i].lsn, imports[i].pointCount, count)
        }
        if let over {
            throw StoreError.invalid(InputError(file: source, line: over.line, field: "point_count",
                message: "batch \(over.lsn) announces \(over.announced) points but the dump holds \(over.count) of its points; a batch keeps at most the points it wrote"))
        }
    }

    private static func pairs(_ json: SodaJSON?, _ fail: (String) -> StoreError) throws(StoreError) -> [Label] {
        guard let object = json?.objectValue else { return [] }
        var out: [Label] = []
        for key in object.keys {
            guard let value = object[key]?.stringValue else { throw fail("\(key): expected a string") }
            out.append(Label(key, value))
        }
        return out
    }
}

/// Base64 (RFC 4648, with padding) for documents inside a dump.
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 2 < bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int(n >> UInt32(shift) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            var n = UInt32(bytes[i]) << 16
            if rest == 2 { n |= UInt32(bytes[i + 1]) << 8 }
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(rest == 2 ? alphabet[Int(n >> 6 & 63)] : UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var lookup = [Int8](repeating: -1, count: 256)
        for (i, c) in alphabet.enumerated() { lookup[Int(c)] = Int8(i) }
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var i = 0
        while i < chars.count {
            var n: UInt32 = 0
            var pad = 0
            for k in 0..<4 {
                let c = chars[i + k]
                if c == UInt8(ascii: "=") && i + 4 == chars.count && k >= 2 { pad += 1; n <<= 6; continue }
                let v = lookup[Int(c)]
                guard v >= 0, pad == 0 else { return nil }
                n = n << 6 | UInt32(v)
            }
            out.append(UInt8(n >> 16 & 0xFF))
            if pad < 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if pad < 1 { out.append(UInt8(n & 0xFF)) }
            i += 4
        }
        return out
    }
}

/// A series and a time: where a verdict is given.
private struct FeedbackPoint: Hashable {
    let series: SeriesID
    let time: Int64
}
