import Logging
import Tally

/// Tally's own API under `/api/v1` (docs/http-api.md).
extension TallyServer {
    /// `GET /api/v1/query?q=…[&now=…][&format=json|csv]` (also `POST` with the query as the body).
    func query(_ request: APIRequest) async -> APIResponse {
        let text: String
        if request.method == "POST" && !request.body.isEmpty {
            guard request.query["q"] == nil else { return .error(400, "give the query either as ?q= or as the body, not both") }
            text = String(decoding: request.body, as: UTF8.self)
        } else {
            guard let q = request.query["q"] else {
                return .error(400, "missing the query: add ?q=<query>, or send it as a POST body (see docs/query-language.md)")
            }
            text = q
        }
        if text.utf8.count > configuration.limits.maxQueryBytes {
            return .tooLarge("the query is \(text.utf8.count) bytes; the limit is \(configuration.limits.maxQueryBytes)")
        }
        let format = request.query["format"] ?? "json"
        guard format == "json" || format == "csv" else {
            return .error(400, "format must be json or csv, not \(format)")
        }
        let now: Int64
        do { now = try timeParameter("now", of: request, now: currentTimeMillis()) ?? currentTimeMillis() } catch { return error.response }
        let store = self.store
        let limits = configuration.limits.query
        do {
            let result = try await runBlocking { try store.query(text, now: now, limits: limits) }
            if format == "csv" {
                return APIResponse(status: 200, contentType: "text/csv; charset=utf-8", body: Array(result.csv().utf8))
            }
            return .json(200, result.json())
        } catch let error as QueryError {
            return queryError(error)
        } catch {
            return internalError(error)
        }
    }

    func queryError(_ error: QueryError) -> APIResponse {
        let status = error.kind == .limitExceeded ? 413 : 400
        return .error(status, error.fullMessage, line: error.span == nil ? nil : error.line,
                      column: error.span == nil ? nil : error.column)
    }

    /// A time parameter (`now`, `since`, `until`): ISO 8601, epoch milliseconds or a time expression such as
    /// `now-1d`; nil when absent. A bad one is refused with a 400 that names the parameter, and says so when an
    /// unescaped `+` (`+02:00`) arrived as a space.
    func timeParameter(_ name: String, of request: APIRequest, now: Int64) throws(Refusal) -> Int64? {
        guard let text = request.query[name] else { return nil }
        do { return try parseInstant(text, now: now) } catch {
            let hint = text.contains(" ") ? " (a + in a URL's query is a space: write it as %2B)" : ""
            throw Refusal(response: .error(400, "\(name): " + error.fullMessage + hint))
        }
    }

    /// `GET /api/v1/series?match=<selector>`: the series with their latest point (as `tally series --format json`).
    func series(_ request: APIRequest) async -> APIResponse {
        let text = request.query["match"] ?? ""
        if text.utf8.count > configuration.limits.maxQueryBytes {
            return .tooLarge("the selector is \(text.utf8.count) bytes; the limit is \(configuration.limits.maxQueryBytes)")
        }
        let selector: SeriesSelector
        do throws(QueryError) {
            selector = try parseSelector(text)
        } catch {
            return .error(400, error.fullMessage, line: error.line, column: error.column)
        }
        let store = self.store
        let maxListed = configuration.limits.maxSeriesListed
        do {
            return try await runBlocking { () -> APIResponse in
                let infos = store.series(matching: selector)
                if infos.count > maxListed {
                    return .tooLarge("the selector matches \(infos.count) series; the limit is \(maxListed) (narrow it with label matchers)")
                }
                let latest = store.latest(infos.map(\.id))
                let items = zip(infos, latest).map { info, point -> String in
                    var fields = ["\"series\": " + JSONText.string(info.key.description),
                                  "\"metric\": " + JSONText.string(info.key.metric),
                                  "\"labels\": " + jsonObject(info.key.labels),
                                  "\"kind\": " + JSONText.string(info.kind.description),
                                  "\"attributes\": " + jsonObject(info.attributes.entries)]
                    if let point {
                        fields.append("\"latest\": {\"time\": \(JSONText.string(TimeText.format(point.time))), \"value\": \(jsonValue(point.value))}")
                    }
                    return "{" + fields.joined(separator: ", ") + "}"
                }
                return .json(200, "[" + items.joined(separator: ",\n ") + "]")
            }
        } catch {
            return internalError(error)
        }
    }

    /// `POST /api/v1/ingest`: a points CSV (`text/csv`), or as `application/json` a Soda scan document or points as
    /// `tally export --format json` writes them (a `series` array).
    func ingest(_ request: APIRequest, principal: Principal) async -> APIResponse {
        guard principal.role.allows(.write) else { return .forbidden("ingest") }
        let uploadName = request.query["name"].flatMap { $0.isEmpty ? nil : $0 }
        switch request.contentType {
        case "text/csv", "application/csv":
            let name = uploadName ?? "http-upload.csv"
            let bytes = request.body
            let origin = BatchOrigin(kind: "csv", source: name, details: ["bytes": "\(bytes.count)", "key": principal.keyID])
            return await writePoints { () throws(InputError) in
                try CSVImport.parseLocated(bytes, fileName: name, origin: origin)
            }
        case "application/json":
            let bytes = request.body
            let document: SodaJSON
            do {
                document = try await runBlocking { try SodaJSONParser.parse(bytes) }
            } catch let error as SodaError {
                // Not JSON: which kind of document it was meant to be cannot be told, so it is named as an upload.
                return sodaError(error, file: uploadName ?? "http-upload.json")
            } catch {
                return internalError(error)
            }
            // What `tally export --format json` writes loads as `tally ingest json` loads it.
            if JSONPointsImport.isPointsDocument(document) {
                let name = uploadName ?? "http-upload.json"
                let origin = BatchOrigin(kind: "json", source: name, details: ["bytes": "\(bytes.count)", "key": principal.keyID])
                return await writePoints { () throws(InputError) in
                    try JSONPointsImport.parse(document, from: bytes, fileName: name, origin: origin)
                }
            }
            let scan: SodaScan
            do {
                scan = try await runBlocking { try SodaScan.parse(document, from: bytes) }
            } catch let error as SodaError {
                // An object that is neither kind (no `dataTimestamp`, no `series`) is told both kinds it could be.
                if error.path == SodaJSONPath.root.appending("dataTimestamp"), document["dataTimestamp"] == nil {
                    return sodaError(SodaError(kind: error.kind, path: error.path,
                                               message: error.message + " (a JSON body is a Soda scan document, or points as "
                                                + "`tally export --format json` writes them: {\"series\": [...]})",
                                               line: error.line, column: error.column))
                }
                return sodaError(error)
            } catch {
                return internalError(error)
            }
            let name = uploadName ?? "api"
            return await writeScan(scan, source: name, principal: principal, answer: { receipt in
                .json(200, self.receiptJSON(receipt, extra: ["\"scan\": \(receipt.lsn)",
                                                            "\"measurements\": \(scan.measurements.count)",
                                                            "\"checks\": \(scan.checks.count)"]))
            })
        default:
            return TallyServer.unsupportedIngestType(request.contentType)
        }
    }

    /// Parses a points file off the event loops and writes it through the group-commit queue (large files as a
    /// bulk import); an error the store finds while writing names the file's line and column.
    func writePoints(_ parse: @escaping @Sendable () throws(InputError) -> ParsedFile) async -> APIResponse {
        let file: ParsedFile
        do {
            file = try await runBlocking { () throws -> ParsedFile in
                do throws(InputError) { return try parse() } catch { throw StoreError.invalid(error) }
            }
        } catch let error as StoreError {
            return storeError(error)
        } catch {
            return internalError(error)
        }
        let batch = file.batch
        let job: WriteQueue.Job = batch.pointCount >= Store.bulkImportThreshold ? .bulk(batch) : .batch(GroupWrite(batch: batch))
        switch await writer.submit(job) {
        case .success(let receipt): return .json(200, receiptJSON(receipt))
        case .failure(let error): return storeError(file.locate(error))
        }
    }

    /// The body types `POST /api/v1/ingest` takes.
    static let ingestTypes: Set<String> = ["text/csv", "application/csv", "application/json"]

    /// 415 for an ingest body of another type.
    static func unsupportedIngestType(_ type: String?) -> APIResponse {
        .error(415, "Content-Type must be text/csv (a points CSV) or application/json (a Soda scan document, or points as "
               + "`tally export --format json` writes them); got \(type ?? "none")")
    }

    /// Writes a Soda scan through the group-commit queue, keeping its document.
    func writeScan(_ scan: SodaScan, source: String, principal: Principal,
                   answer: (WriteReceipt) -> APIResponse) async -> APIResponse {
        var batch = scan.writeBatch(source: source)
        batch.origin.setDetail("key", principal.keyID)
        let write = GroupWrite(batch: batch, document: (kind: "soda/" + scan.kind.rawValue, bytes: scan.canonicalDocument))
        switch await writer.submit(.batch(write)) {
        case .success(let receipt):
            logger.info("scan stored", metadata: ["lsn": "\(receipt.lsn)", "duplicate": "\(receipt.isDuplicate)",
                                                  "definition": "\(scan.definitionName ?? "")",
                                                  "data_time": "\(scan.dataTimestamp.text)"])
            return answer(receipt)
        case .failure(let error):
            return storeError(error)
        }
    }

    func receiptJSON(_ receipt: WriteReceipt, extra: [String] = []) -> String {
        "{" + (["\"lsn\": \(receipt.lsn)", "\"points\": \(receipt.pointCount)", "\"new_series\": \(receipt.newSeriesCount)",
                "\"duplicate\": \(receipt.isDuplicate)"] + extra).joined(separator: ", ") + "}"
    }

    /// `GET /api/v1/scans[?since=&until=&definition=]`.
    func scans(_ request: APIRequest) async -> APIResponse {
        let now = currentTimeMillis()
        let since: Int64?, until: Int64?
        do {
            since = try timeParameter("since", of: request, now: now)
            until = try timeParameter("until", of: request, now: now)
        } catch {
            return error.response
        }
        let selected: TimeRange
        do {
            selected = try TimeRange(checkedFrom: since ?? TimeRange.all.lowerBound, to: until ?? TimeRange.all.upperBound)
        } catch {
            return .error(400, error.message(start: "since", end: "until"))
        }
        let definition = request.query["definition"]
        let store = self.store
        do {
            let scans = try await runBlocking { try store.scans(dataTime: selected) }
            let items = scans.filter { definition == nil || $0.definition == definition }.map { s -> String in
                let fields = [
                    "\"scan\": \(s.id)",
                    "\"definition\": " + (s.definition.map(JSONText.string) ?? "null"),
                    "\"datasource\": " + (s.dataSource.map(JSONText.string) ?? "null"),
                    "\"data_time\": " + (s.dataTime.map { JSONText.string(TimeText.format($0)) } ?? "null"),
                    "\"received\": " + JSONText.string(TimeText.format(s.received)),
                    "\"source\": " + JSONText.string(s.source),
                    "\"metrics\": \(s.measurements)", "\"checks\": \(s.checks)",
                    "\"failed\": \(s.failedChecks)", "\"warned\": \(s.warnedChecks)",
                    "\"has_errors\": \(s.hasErrors)",
                    "\"content_hash\": " + (s.contentHash.map(JSONText.string) ?? "null"),
                ]
                return "{" + fields.joined(separator: ", ") + "}"
            }
            return .json(200, "[" + items.joined(separator: ",\n ") + "]")
        } catch {
            return internalError(error)
        }
    }

    /// `GET /api/v1/scans/<id>`: the scan's stored document (as `tally scan --raw`).
    func scanDocument(_ idText: String) async -> APIResponse {
        guard let id = LSN(idText) else { return .error(404, "no scan \(idText)") }
        let store = self.store
        do {
            let document = try await runBlocking { () -> StoredDocument? in
                guard try store.scans().contains(where: { $0.id == id }) else { return nil }
                return try store.document(ofBatch: id)
            }
            guard let document else { return .error(404, "no scan \(id) (GET /api/v1/scans lists them)") }
            guard !document.isLostToDamage else {
                return .error(410, "scan \(id)'s document was lost to damage (tally repair put a marker in its place); the scan's points are kept")
            }
            return APIResponse(status: 200, contentType: "application/json", body: document.bytes)
        } catch {
            return internalError(error)
        }
    }

    /// `GET /api/v1/stats`: the store's sizes and the writer's group-commit counters.
    func stats() async -> APIResponse {
        let store = self.store
        do {
            let stats = try await runBlocking { store.stats() }
            let counters = writer.currentCounters
            return .json(200, "{\"series\": \(stats.series), \"points\": \(stats.points), \"bytes\": \(stats.bytes), "
                + "\"write_commits\": \(counters.commits), \"write_batches\": \(counters.batches), "
                + "\"largest_group\": \(counters.largestGroup)}")
        } catch {
            return internalError(error)
        }
    }

    /// `POST /api/v1/feedback`: a verdict for the anomaly detectors, as `tally feedback` records it (which cannot
    /// run while the server holds the store). Body: `{"match": SELECTOR, "at": TIME, "verdict":
    /// "expected"|"anomaly"|"exclude", "note": TEXT}`; every matched series with a point at `at` is marked, the
    /// point found as `tally feedback --at` finds it (``Store/feedbackPoint(of:at:)``: `latest`, or the nearest
    /// point within half the scan interval).
    func feedback(_ request: APIRequest, principal: Principal) async -> APIResponse {
        guard principal.role.allows(.write) else { return .forbidden("feedback") }
        let body = request.body
        let object: SodaJSONObject
        do {
            guard let parsed = try SodaJSONParser.parse(body).objectValue else {
                return bodyError("expected a JSON object {\"match\": SELECTOR, \"at\": TIME, \"verdict\": VERDICT}", at: nil, in: body)
            }
            object = parsed
        } catch {
            return sodaError(error)
        }
        guard let matchValue = object["match"], !matchValue.isNull else {
            return bodyError("missing match: a series selector, such as row_count{dataset=\"orders\"}", at: "match", in: body)
        }
        guard let match = matchValue.stringValue else {
            return bodyError("match must be a string (a series selector); found \(matchValue.foundText)", at: "match", in: body)
        }
        if match.utf8.count > configuration.limits.maxQueryBytes {
            return bodyError("match: the selector is \(match.utf8.count) bytes; the limit is \(configuration.limits.maxQueryBytes)",
                             at: "match", in: body, status: 413)
        }
        let target: FeedbackTarget
        switch object["at"] {
        case nil, .null?:
            return bodyError("missing at: latest, a time (ISO 8601, now-2d, 2d) or epoch milliseconds", at: "at", in: body)
        case .number(let number)?:
            switch number.wholeNumber {
            case .whole(let millis): target = .time(millis)
            case .fraction:
                return bodyError("at: epoch milliseconds must be a whole number; found \(number.literal)", at: "at", in: body)
            case .outOfRange:
                return bodyError("at: epoch milliseconds must be from \(Int64.min) to \(Int64.max); found \(number.literal)",
                                 at: "at", in: body)
            }
        case .string(let text)?:
            do throws(QueryError) {
                target = try FeedbackTarget(parsing: text, now: currentTimeMillis())
            } catch {
                return bodyError("at: \(error.fullMessage)", at: "at", in: body)
            }
        case let other?:
            return bodyError("at must be a string (latest or a time) or a number (epoch milliseconds); found \(other.foundText)",
                             at: "at", in: body)
        }
        guard let verdictValue = object["verdict"], !verdictValue.isNull else {
            return bodyError("missing verdict: expected, anomaly or exclude", at: "verdict", in: body)
        }
        guard let verdictText = verdictValue.stringValue, let verdict = FeedbackVerdict(rawValue: verdictText.lowercased()) else {
            return bodyError("verdict must be expected, anomaly or exclude; found \(verdictValue.foundText)", at: "verdict", in: body)
        }
        // `note` is optional; null is no note.
        let noteValue = object["note"] ?? .null
        guard noteValue.isNull || noteValue.stringValue != nil else {
            return bodyError("note must be a string (or null); found \(noteValue.foundText)", at: "note", in: body)
        }
        let note = noteValue.stringValue ?? ""
        let selector: SeriesSelector
        do throws(QueryError) {
            selector = try parseSelector(match)
        } catch {
            return .error(400, error.fullMessage, line: error.line, column: error.column, extra: [("path", "$.match")])
        }
        let store = self.store
        do {
            let marked = try await runBlocking { () -> [(series: String, time: Int64, value: Double?)] in
                var out: [(series: String, time: Int64, value: Double?)] = []
                for info in store.series(matching: selector) {
                    guard let point = try store.feedbackPoint(of: info, at: target) else { continue }
                    try store.setFeedback(series: info.id, time: point.time, verdict: verdict, note: note)
                    out.append((info.key.description, point.time, point.value))
                }
                return out
            }
            if marked.isEmpty {
                switch target {
                case .latest: return .error(404, "no series of \(match) has a point")
                case .time(let t): return .error(404, "no series of \(match) has a point at or near \(TimeText.format(t))")
                }
            }
            // `time` when every point marked has the same one (always, unless `at` is `latest`).
            let times = Set(marked.map(\.time))
            let time = times.count == 1 ? JSONText.string(TimeText.format(times.first!)) : "null"
            let points: [String] = marked.map { m in
                let value: String = m.value.map(JSONText.number) ?? "null"
                return "{\"series\": \(JSONText.string(m.series)), \"time\": \(JSONText.string(TimeText.format(m.time))), \"value\": \(value)}"
            }
            let names: [String] = marked.map { JSONText.string($0.series) }
            let verdictJSON = JSONText.string(verdict.rawValue)
            let body = "{\"verdict\": \(verdictJSON), \"time\": \(time), \"series\": [\(names.joined(separator: ", "))], "
                + "\"points\": [\(points.joined(separator: ", "))]}"
            return .json(200, body)
        } catch {
            return internalError(error)
        }
    }

    /// An error about a member of a JSON request body (`key`, or the whole body when nil): its message with the
    /// member's `path` and the `line` and `column` where its value starts (of the body when the member is missing).
    func bodyError(_ message: String, at key: String?, in body: [UInt8], status: Int = 400) -> APIResponse {
        let path = key.map { SodaJSONPath.root.appending($0) } ?? .root
        let position = SodaJSONParser.position(of: path, in: body)
        return .error(status, message, line: position?.line, column: position?.column, extra: [("path", path.description)])
    }

    // MARK: Errors

    func storeError(_ error: StoreError) -> APIResponse {
        switch error {
        case .invalid(let input):
            var extra: [(String, String)] = []
            if let file = input.file { extra.append(("file", file)) }
            if let field = input.field { extra.append(("field", field)) }
            // A JSON document's place is a path (`$.series[0].points[1].value`), as Soda documents' errors give it.
            if let path = input.path { extra.append(("path", path)) }
            return .error(400, input.message, line: input.line, column: input.column, extra: extra)
        case .closed:
            return .error(503, "the server is shutting down")
        default:
            logger.error("store error", metadata: ["error": "\(error)"])
            return .error(500, "the store failed: \(error)")
        }
    }

    /// Logs why credentials could not be checked and answers ``APIResponse/credentialsUnchecked`` (503).
    func credentialsUnchecked(_ error: StoreError) -> APIResponse {
        logger.error("cannot check credentials: the key catalog could not be read", metadata: ["error": "\(error)"])
        return .credentialsUnchecked
    }

    /// 400 for a Soda (or any JSON) document: the message, its line, column and JSON path, and `file` when the
    /// document was an upload with a name.
    func sodaError(_ error: SodaError, file: String? = nil) -> APIResponse {
        .error(400, error.message, line: error.line, column: error.column,
               extra: (file.map { [("file", $0)] } ?? []) + [("path", error.path.description)])
    }

    func internalError(_ error: any Error) -> APIResponse {
        if let store = error as? StoreError { return storeError(store) }
        if let query = error as? QueryError { return queryError(query) }
        if let soda = error as? SodaError { return sodaError(soda) }
        logger.error("internal error", metadata: ["error": "\(error)"])
        return .error(500, "internal error: \(error)")
    }
}
