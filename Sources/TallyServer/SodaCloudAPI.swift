import Logging
import Tally

/// The Soda Cloud API as soda-core 3.5.6 (and 4.x, for the history) uses it: `POST /api/command` and
/// `POST /api/query` with a JSON body whose `type` names the request (docs/soda.md, "Using tally serve as Soda
/// Cloud").
extension TallyServer {
    /// A POST (`preflight` answered any other method).
    func sodaCloud(_ request: APIRequest) async -> APIResponse {
        let body = request.body
        let path = request.path
        let json: SodaJSON
        do {
            json = try await runBlocking { try SodaJSONParser.parse(body) }
        } catch let error as SodaError {
            return sodaError(error)
        } catch {
            return internalError(error)
        }
        // The token comes first (it is in the body, so the body's syntax cannot): only a client that may use the
        // API learns what is wrong with the rest of its body, and no scan is read for one that may not.
        let (type, token) = SodaCloudRequest.credentials(of: json)
        var principal: Principal?
        if type != "login" {
            do {
                if let token {
                    principal = try token.hasPrefix("tst_") ? auth.principal(sessionToken: token) : auth.principal(credential: token)
                } else if let credential = request.credential {
                    principal = try auth.principal(credential: credential)
                }
            } catch {
                return credentialsUnchecked(error)
            }
            guard principal != nil else { return .unauthorized }
        }
        let parsed: SodaCloudRequest
        do {
            parsed = try await runBlocking { try SodaCloudRequest.parse(path: path, json: json, body: body) }
        } catch let error as SodaError {
            return sodaError(error)
        } catch {
            return internalError(error)
        }

        if case .login(let login) = parsed.body {
            let issued: (token: String, principal: Principal)?
            do { issued = try auth.login(keyID: login.apiKeyId, secret: login.apiKeySecret) } catch { return credentialsUnchecked(error) }
            guard let (token, principal) = issued else {
                logger.notice("soda login refused")
                return .unauthorized
            }
            logger.info("soda login", metadata: ["key": "\(principal.keyID)"])
            return .json(200, SodaCloudResponse.login(token: token))
        }

        // Every other request carries the token of a login in its body (a key in the headers also works), checked above.
        guard let principal else { return .unauthorized }

        switch parsed.body {
        case .login:
            return .unauthorized
        case .insertScanResults(let scan):
            guard principal.role.allows(.write) else { return .forbidden("sodaCoreInsertScanResults") }
            return await writeScan(scan, source: "soda-cloud-api", principal: principal, answer: { receipt in
                // soda-core logs this as "Soda Cloud Trace: tally-scan-<id>"; `tally scan <id>` shows the scan.
                var response = APIResponse.json(200, SodaCloudResponse.insertScanResults())
                response.headers.append(("X-Soda-Trace-Id", "tally-scan-\(receipt.lsn)"))
                return response
            })
        case .cloudConfiguration:
            return .json(200, SodaCloudResponse.cloudConfiguration(
                disableCollectingWarehouseData: configuration.disableCollectingWarehouseData))
        case .availableCheckAttributes:
            return .json(200, SodaCloudResponse.availableCheckAttributes(configuration.checkAttributes))
        case .checkIdentities(let checkId):
            let history = self.history
            let info = try? await runBlocking { history.checkSeries(checkId: checkId) }
            guard let info else { return .error(404, "no check \(checkId)") }
            // The versions the scan documents sent (soda-core sends v1–v3, and v4 for a user's `identity:`).
            var stored: [String: String] = [:]
            for version in ["v1", "v2", "v3", "v4"] { stored[version] = info.attributes["identity_" + version] }
            guard !stored.isEmpty else {
                return .error(404, "check \(checkId) has no versioned Soda identities (v1–v4): its scan documents sent none, "
                              + "or it did not come from a Soda scan")
            }
            return .json(200, SodaCloudResponse.checkIdentities(stored: stored))
        case .historicMeasurements(let query):
            return await answer { history, cap in
                let rows = try history.measurements(identities: [query.metricIdentity],
                                                    in: TimeRange(from: query.from, to: query.to),
                                                    newest: min(query.limit ?? cap, cap))
                return SodaCloudResponse.historicMeasurements(rows, for: query)
            }
        case .historicCheckResults(let query):
            return await answer { history, cap in
                let rows = try history.checkResults(identities: [query.checkIdentity], in: .all,
                                                    newest: min(query.limit ?? cap, cap))
                return SodaCloudResponse.historicCheckResults(rows, for: query)
            }
        case .historicMeasurements2(let query):
            return await answer { history, cap in
                let (range, newest) = TimeRange.batch(query.selection, cap: cap)
                let rows = try history.measurements(identities: Set(query.identities), in: range, newest: newest)
                return SodaCloudResponse.historicMeasurements(rows, for: query)
            }
        case .historicCheckResults2(let query):
            return await answer { history, cap in
                let (range, newest) = TimeRange.batch(query.selection, cap: cap)
                let rows = try history.checkResults(identities: Set(query.identities), in: range, newest: newest)
                return SodaCloudResponse.historicCheckResults(rows, for: query)
            }
        }
    }

    /// Runs a history query off the event loops; the answer is cut to ``ServerLimits/maxHistoryRows``.
    private func answer(_ body: @escaping @Sendable (SodaHistory, Int) throws -> SodaJSON) async -> APIResponse {
        let history = self.history
        let cap = configuration.limits.maxHistoryRows
        do {
            var json = try await runBlocking { try body(history, cap) }
            if case .object(let object) = json, case .array(let rows)? = object["results"], rows.count > cap {
                json = SodaCloudResponse.results(Array(rows.prefix(cap)))
            }
            return .json(200, json)
        } catch {
            return internalError(error)
        }
    }

    /// `POST /api/v1/soda/feedback`: feedback on a check result, as Soda Cloud users give it on anomaly checks.
    ///
    /// Body: `{"testResultId": "<lsn>-<series>", "skipMeasurements": "this"|"previous"|"previousAndThis"|null,
    /// "isCorrectlyClassified": bool|null, "isAnomaly": bool|null, "reason": str|null, "freeTextReason": str|null}`,
    /// at least one of them not null; `{"testResultId": …, "feedback": null}` removes it. The result must be one
    /// the history answers with (its scan in the store, its check evaluated there). Later history answers carry it.
    func sodaFeedback(_ request: APIRequest, principal: Principal) async -> APIResponse {
        guard principal.role.allows(.write) else { return .forbidden("feedback") }
        let body = request.body
        let object: SodaJSONObject
        do {
            guard let parsed = try SodaJSONParser.parse(body).objectValue else {
                return bodyError("expected a JSON object {\"testResultId\": ID, …}", at: nil, in: body)
            }
            object = parsed
        } catch {
            return sodaError(error)
        }
        guard let idValue = object["testResultId"], !idValue.isNull else {
            return bodyError("missing testResultId (the testResultId of a historic check result)", at: "testResultId", in: body)
        }
        guard let id = idValue.stringValue else {
            return bodyError("testResultId must be a string, such as \"7-5\"; found \(idValue.foundText)", at: "testResultId", in: body)
        }
        if let skip = object["skipMeasurements"], !skip.isNull,
           skip.stringValue.flatMap(SodaFeedback.SkipMeasurements.init(rawValue:)) == nil {
            return bodyError("skipMeasurements must be this, previous, previousAndThis or null; found \(skip.foundText)",
                             at: "skipMeasurements", in: body)
        }
        for key in ["isCorrectlyClassified", "isAnomaly"] {
            if let value = object[key], !value.isNull, !(value == .bool(true) || value == .bool(false)) {
                return bodyError("\(key) must be a boolean or null; found \(value.foundText)", at: key, in: body)
            }
        }
        for key in ["reason", "freeTextReason"] {
            if let value = object[key], !value.isNull, value.stringValue == nil {
                return bodyError("\(key) must be a string or null; found \(value.foundText)", at: key, in: body)
            }
        }
        let remove = object.contains("feedback")
        if let value = object["feedback"], !value.isNull {
            return bodyError("feedback must be null, which removes the feedback; give the fields at the top level, "
                             + "beside testResultId; found \(value.foundText)", at: "feedback", in: body)
        }
        let feedback = SodaFeedback(
            isCorrectlyClassified: object["isCorrectlyClassified"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
            isAnomaly: object["isAnomaly"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
            reason: object["reason"]?.stringValue, freeTextReason: object["freeTextReason"]?.stringValue,
            skipMeasurements: object["skipMeasurements"]?.stringValue.flatMap(SodaFeedback.SkipMeasurements.init(rawValue:)))
        if !remove && feedback == SodaFeedback() {
            return bodyError("no feedback given: expected at least one of skipMeasurements, isCorrectlyClassified, isAnomaly, "
                             + "reason or freeTextReason not null ({\"testResultId\": …, \"feedback\": null} removes feedback)",
                             at: nil, in: body)
        }
        let text = remove ? nil : String(decoding: feedback.json.compactBytes, as: UTF8.self)
        let store = self.store
        let tables = sideTables
        let missing: String?
        do {
            missing = try await runBlocking { () throws -> String? in
                if let missing = try TallyServer.missingCheckResult(id, in: store) {
                    // Feedback kept for such an id (before ids were checked) may still be removed, and only that.
                    guard remove, try tables.feedback(resultIDs: [id])[id] != nil else { return missing }
                }
                try tables.setFeedback(resultID: id, text)
                return nil
            }
        } catch {
            return internalError(error)
        }
        if let missing { return bodyError(missing, at: "testResultId", in: body, status: 404) }
        return .json(200, remove ? "{\"testResultId\": \(JSONText.string(id)), \"feedback\": null}"
                                 : "{\"testResultId\": \(JSONText.string(id)), \"feedback\": \(text!)}")
    }

    /// Why `id` names no check result that the history answers with, or nil when it names one. A result id is
    /// `<lsn>-<check series id>` (``SodaHistory``): the batch (scan) must be in the store, the series must be a
    /// check, and the check must have a point written by that batch (a later scan at the same time replaces it).
    static func missingCheckResult(_ id: String, in store: Store) throws -> String? {
        let hint = "(use a testResultId from sodaCoreHistoricCheckResults)"
        guard let result = SodaResultID(parsing: id) else {
            return "no check result \(id): a testResultId is <scan>-<check>, two whole numbers such as 7-5 \(hint)"
        }
        let lsn = result.lsn, seriesID = result.series
        guard let info = store.series(id: seriesID) else {
            return "no check result \(id): there is no series \(seriesID) \(hint)"
        }
        guard info.kind == .check else {
            return "no check result \(id): series \(seriesID) is a measurement, not a check (\(id) is a measurementId) \(hint)"
        }
        guard let batch = try store.importRecord(lsn: lsn) else {
            return "no check result \(id): there is no scan \(lsn) in the store (GET /api/v1/scans lists them)"
        }
        // Soda scans write every point at their data time; other batches are searched whole.
        let range = batch.origin.detail("data_time").flatMap { TimeText.parse($0) }.map { TimeRange(from: $0, to: $0 + 1) } ?? .all
        guard try store.read(seriesID, in: range).lsns.contains(lsn) else {
            return "no check result \(id): check \(seriesID) has no result in scan \(lsn) \(hint)"
        }
        return nil
    }
}

extension TimeRange {
    /// The points (whole milliseconds) inside optional Soda time bounds.
    ///
    /// Bounds that leave nothing between them (`dataTime >= June AND dataTime <= May`, or `> T AND < T`) select
    /// nothing, where `GET /api/v1/scans` and the command line refuse a start after the end: they are conditions of
    /// a filter, which soda-core builds itself (the same day last week, for one), not a range a user asked for. A
    /// filter no time meets has no rows: soda-core reads an empty answer as no history, and an error answer as an
    /// error in its scan (docs/http-api.md).
    init(from: SodaTimeBound?, to: SodaTimeBound?) {
        let lower = from.map { $0.inclusive ? $0.time.ceilingMilliseconds : $0.time.epochMilliseconds + 1 }
        let upper = to.map { $0.inclusive ? $0.time.epochMilliseconds + 1 : $0.time.ceilingMilliseconds }
        self.init(emptyIfReversedFrom: lower ?? TimeRange.all.lowerBound, to: upper ?? TimeRange.all.upperBound)
    }

    /// The range and per-series count of a 4.x batch selection.
    static func batch(_ selection: SodaHistoricBatchQuery.Selection, cap: Int) -> (TimeRange, Int?) {
        switch selection {
        case .limit(let n):
            return (.all, min(n, cap))
        case .scanTimeRange(let min, let max):
            return (TimeRange(from: min.ceilingMilliseconds, to: max.epochMilliseconds + 1), cap)
        }
    }
}

extension SodaTimestamp {
    /// The first whole millisecond at or after this instant.
    var ceilingMilliseconds: Int64 {
        nanoseconds % 1_000_000 == 0 ? epochMilliseconds : epochMilliseconds + 1
    }
}
