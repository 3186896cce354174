import Logging
import Tally

/// The Soda Cloud API as soda-core 3.5.6 (and 4.x, for the history) uses it: `POST /api/command` and
/// `POST /api/query` with a JSON body whose `type` names the request (docs/soda.md, "Using tally serve as Soda
/// Cloud").
extension TallyServer {
    func sodaCloud(_ request: APIRequest) async -> APIResponse {
        guard request.method == "POST" else {
            var response = APIResponse.error(405, "\(request.path) takes POST with a JSON body")
            response.headers.append(("Allow", "POST"))
            return response
        }
        let body = request.body
        let path = request.path
        let parsed: SodaCloudRequest
        do {
            parsed = try await runBlocking { try SodaCloudRequest.parse(path: path, body: body) }
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

        // Every other request carries the token of a login in its body; a key in the headers also works.
        let checked: Principal?
        do {
            if let token = parsed.token {
                checked = try token.hasPrefix("tst_") ? auth.principal(sessionToken: token) : auth.principal(credential: token)
            } else if let credential = request.credential {
                checked = try auth.principal(credential: credential)
            } else {
                checked = nil
            }
        } catch {
            return credentialsUnchecked(error)
        }
        guard let principal = checked else { return .unauthorized }

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
            guard let info, let v1 = info.attributes["identity_v1"], let v2 = info.attributes["identity_v2"],
                  let v3 = info.attributes["identity_v3"] else {
                return .error(404, "no check \(checkId)")
            }
            return .json(200, SodaCloudResponse.checkIdentities(
                SodaCheckIdentities(v1: v1, v2: v2, v3: v3, v4: info.attributes["identity_v4"])))
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
    /// "isCorrectlyClassified": bool|null, "isAnomaly": bool|null, "reason": str|null, "freeTextReason": str|null}`;
    /// `{"testResultId": …, "feedback": null}` removes it. Later history answers carry it.
    func sodaFeedback(_ request: APIRequest, principal: Principal) async -> APIResponse {
        guard principal.role.allows(.write) else { return .forbidden("feedback") }
        let object: SodaJSONObject
        do {
            guard let parsed = try SodaJSONParser.parse(request.body).objectValue else {
                return .error(400, "expected a JSON object")
            }
            object = parsed
        } catch {
            return sodaError(error)
        }
        guard let id = object["testResultId"]?.stringValue, !id.isEmpty else {
            return .error(400, "missing testResultId (the testResultId of a historic check result)", extra: [("path", "$.testResultId")])
        }
        // A result id is `<lsn>-<check series id>` (see SodaHistory).
        let parts = id.split(separator: "-")
        guard parts.count == 2, LSN(parts[0]) != nil, let seriesID = SeriesID(parts[1]),
              store.series(id: seriesID)?.kind == .check else {
            return .error(404, "no check result \(id) (use a testResultId from sodaCoreHistoricCheckResults)")
        }
        if let skip = object["skipMeasurements"], !skip.isNull,
           skip.stringValue.flatMap(SodaFeedback.SkipMeasurements.init(rawValue:)) == nil {
            return .error(400, "skipMeasurements must be this, previous, previousAndThis or null", extra: [("path", "$.skipMeasurements")])
        }
        for key in ["isCorrectlyClassified", "isAnomaly"] {
            if let value = object[key], !value.isNull, !(value == .bool(true) || value == .bool(false)) {
                return .error(400, "\(key) must be a boolean or null", extra: [("path", "$." + key)])
            }
        }
        for key in ["reason", "freeTextReason"] {
            if let value = object[key], !value.isNull, value.stringValue == nil {
                return .error(400, "\(key) must be a string or null", extra: [("path", "$." + key)])
            }
        }
        let remove = object.contains("feedback") && object["feedback"]?.isNull == true
        let feedback = SodaFeedback(
            isCorrectlyClassified: object["isCorrectlyClassified"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
            isAnomaly: object["isAnomaly"].flatMap { if case .bool(let b) = $0 { return b } else { return nil } },
            reason: object["reason"]?.stringValue, freeTextReason: object["freeTextReason"]?.stringValue,
            skipMeasurements: object["skipMeasurements"]?.stringValue.flatMap(SodaFeedback.SkipMeasurements.init(rawValue:)))
        let text = remove ? nil : String(decoding: feedback.json.compactBytes, as: UTF8.self)
        let tables = sideTables
        do {
            try await runBlocking { try tables.setFeedback(resultID: id, text) }
        } catch {
            return internalError(error)
        }
        return .json(200, remove ? "{\"testResultId\": \(JSONText.string(id)), \"feedback\": null}"
                                 : "{\"testResultId\": \(JSONText.string(id)), \"feedback\": \(text!)}")
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
