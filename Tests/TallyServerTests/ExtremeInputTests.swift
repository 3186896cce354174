import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// Requests at the edges: reversed and duplicated time bounds, times at the ends of Int64, values at the ends of
/// Double, lifetimes too long to add to a clock. Each once trapped the server (or answered wrongly).
@Suite("Requests at the edges", .serialized)
struct ExtremeInputTests {
    /// A Soda `sodaCoreHistoricMeasurements` body for the fixtures' row count, with `measurement.dataTime` bounds.
    static func history(token: String, bounds: [(op: String, time: String)]) -> [String: Any] {
        var expressions: [[String: Any]] = [[
            "type": "equals", "left": ["type": "columnValue", "columnName": "metric.identity"],
            "right": ["type": "string", "value": "metric-daily_orders-hist-orders-row_count"],
        ]]
        for bound in bounds {
            expressions.append(["type": bound.op, "left": ["type": "columnValue", "columnName": "measurement.dataTime"],
                                "right": ["type": "time", "scanTime": false, "time": bound.time]])
        }
        return ["type": "sodaCoreHistoricMeasurements", "token": token, "filter": ["type": "and", "andExpressions": expressions]]
    }

    static func seedScans(_ store: Store) throws {
        for day in 1...5 { try store.ingestSoda(try SodaFixtures.day(day), source: "day\(day).json") }
    }

    @Test func sodaHistoryWithBoundsThatLeaveNothingBetweenThemIsEmpty() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        let token = try await server.sodaLogin(server.readKey)
        // Points on May 1 … 5 at 06:00; `>= May 4 and <= May 2` has points between its bounds, the wrong way round.
        let reversed = try await server.soda("/api/query", Self.history(token: token, bounds: [
            ("greaterThanOrEqual", "2024-05-04T00:00:00+00:00"), ("lessThanOrEqual", "2024-05-02T23:59:59+00:00"),
        ]))
        #expect(reversed.status == 200, "\(reversed.text)")
        #expect((reversed.object["results"] as? [Any])?.isEmpty == true, "\(reversed.text)")
        // `> T AND < T`: the same time on both sides, which leaves no whole millisecond between them either.
        let between = try await server.soda("/api/query", Self.history(token: token, bounds: [
            ("greaterThan", "2024-05-03T06:00:00+00:00"), ("lessThan", "2024-05-03T06:00:00+00:00"),
        ]))
        #expect(between.status == 200 && (between.object["results"] as? [Any])?.isEmpty == true, "\(between.text)")
        // The server is still there, and a sound range still answers.
        let sound = try await server.soda("/api/query", Self.history(token: token, bounds: [
            ("greaterThanOrEqual", "2024-05-02T00:00:00+00:00"), ("lessThanOrEqual", "2024-05-04T23:59:59+00:00"),
        ]))
        #expect((sound.object["results"] as? [Any])?.count == 3, "\(sound.text)")
    }

    @Test func sodaBatchHistoryWithMinScanTimeAfterMaxScanTimeIsABadRequest() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        let token = try await server.sodaLogin(server.readKey)
        // A range asked for, unlike the 3.x filter bounds: refused in the words of `since` and `until`.
        let reversed = try await server.soda("/api/query", [
            "type": "sodaCoreHistoricMeasurements2", "token": token, "metricIdentities": ["m"],
            "minScanTime": "2024-05-04T06:00:00.000+00:00", "maxScanTime": "2024-05-02T06:00:00.000+00:00"])
        #expect(reversed.status == 400, "\(reversed.text)")
        #expect(reversed.errorMessage == "minScanTime (2024-05-04T06:00:00Z) is after maxScanTime (2024-05-02T06:00:00Z): "
                + "a time range cannot end before it starts", "\(reversed.text)")
        #expect((reversed.object["error"] as? [String: Any])?["path"] as? String == "$.minScanTime", "\(reversed.text)")
        // Equal times are the one millisecond there.
        let same = try await server.soda("/api/query", [
            "type": "sodaCoreHistoricMeasurements2", "token": token, "metricIdentities": ["m"],
            "minScanTime": "2024-05-04T06:00:00.000+00:00", "maxScanTime": "2024-05-04T06:00:00.000+00:00"])
        #expect(same.status == 200, "\(same.text)")
    }

    @Test func theTightestOfTwoBoundsAtTheSameTimeHolds() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        let token = try await server.sodaLogin(server.readKey)
        // `> May 3 06:00` and `>= May 3 06:00`: the point at May 3 06:00 is not after it, in either order.
        for bounds in [[("greaterThan", "2024-05-03T06:00:00+00:00"), ("greaterThanOrEqual", "2024-05-03T06:00:00+00:00")],
                       [("greaterThanOrEqual", "2024-05-03T06:00:00+00:00"), ("greaterThan", "2024-05-03T06:00:00+00:00")],
                       ] as [[(String, String)]] {
            let answer = try await server.soda("/api/query", Self.history(token: token, bounds: bounds.map { (op: $0.0, time: $0.1) }))
            let times = (answer.object["results"] as? [[String: Any]])?.compactMap { $0["dataTime"] as? String }
            #expect(times == ["2024-05-05T06:00:00Z", "2024-05-04T06:00:00Z"], "\(bounds): \(answer.text)")
        }
        // The same for upper bounds.
        let upper = try await server.soda("/api/query", Self.history(token: token, bounds: [
            ("lessThanOrEqual", "2024-05-02T06:00:00+00:00"), ("lessThan", "2024-05-02T06:00:00+00:00"),
        ]))
        let times = (upper.object["results"] as? [[String: Any]])?.compactMap { $0["dataTime"] as? String }
        #expect(times == ["2024-05-01T06:00:00Z"], "\(upper.text)")
    }

    @Test func feedbackAtTheLastMillisecondOfTimeIsNotFound() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        for at in ["9223372036854775807", "+292278994-08-17T07:12:55.807Z"] {
            let body = "{\"match\": \"row_count\", \"at\": \"\(at)\", \"verdict\": \"exclude\"}"
            let answer = try await server.send("POST", "/api/v1/feedback", key: server.writeKey,
                                               headers: ["Content-Type": "application/json"], body: Array(body.utf8))
            #expect(answer.status == 404, "\(at): \(answer.text)")
        }
        #expect(try await server.get("/healthz").status == 200)
    }

    @Test func scansSinceAfterUntilIsABadRequest() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        let reversed = try await server.get("/api/v1/scans?since=2024-05-04T00:00:00Z&until=2024-05-02T00:00:00Z")
        #expect(reversed.status == 400, "\(reversed.text)")
        #expect(reversed.errorMessage == "since (2024-05-04T00:00:00Z) is after until (2024-05-02T00:00:00Z): "
                + "a time range cannot end before it starts", "\(reversed.text)")
        // Equal bounds are an empty range, not an error.
        let empty = try await server.get("/api/v1/scans?since=2024-05-03T06:00:00Z&until=2024-05-03T06:00:00Z")
        #expect(empty.status == 200 && (empty.json as? [Any])?.isEmpty == true, "\(empty.text)")
        let sound = try await server.get("/api/v1/scans?since=2024-05-02T00:00:00Z&until=2024-05-04T00:00:00Z")
        #expect(sound.status == 200 && (sound.json as? [Any])?.count == 2, "\(sound.text)")
        // A time that does not parse: the error names the parameter.
        for name in ["since", "until"] {
            let bad = try await server.get("/api/v1/scans?\(name)=yesterdayish")
            #expect(bad.status == 400 && bad.errorMessage?.hasPrefix("\(name): ") == true, "\(bad.text)")
        }
    }

    @Test func theOverviewDrawsSeriesAtTheEndsOfTimeAndOfDouble() async throws {
        // A series whose latest point is the earliest time a point can have, and one whose values span all of Double.
        let csv = """
            time,metric,value,datasource,dataset
            -9223372036854775808,row_count,5,edge,early
            2024-05-01T00:00:00Z,row_count,1.7976931348623157e308,edge,wide
            2024-05-02T00:00:00Z,row_count,-1.7976931348623157e308,edge,wide
            2024-05-03T00:00:00Z,row_count,0,edge,wide

            """
        let server = try await TestServer(seed: { store in try store.ingestCSV(Array(csv.utf8), fileName: "edge.csv") })
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let page = try await server.page("/", cookie: cookie)
        #expect(page.status == 200, "\(page.text.prefix(500))")
        #expect(page.text.contains("early") && page.text.contains("wide"))
        #expect(!page.text.contains("nan") && !page.text.contains("inf"))
    }

    /// `(a+)+b` takes a backtracking engine time exponential in the value's length (seconds at 18 characters);
    /// selectors use a linear-time matcher, so a read key cannot hold a worker with it. No clock is read: with a
    /// backtracking engine the requests would not return.
    @Test func aSelectorRegexWithNestedRepetitionAnswersPromptly() async throws {
        let fortyAs = String(repeating: "a", count: 40)
        let csv = "time,metric,value,dataset\n2024-05-01T00:00:00Z,row_count,1,\(fortyAs)\n"
        let server = try await TestServer(seed: { store in try store.ingestCSV(Array(csv.utf8), fileName: "a.csv") })
        defer { Task { await server.stop() } }
        let none = try await server.get("/api/v1/query?" + formEncode([("q", "row_count{dataset=~\"(a+)+b\"}")]))
        #expect(none.status == 200 && (none.object["series"] as? [Any])?.isEmpty == true, "\(none.text)")
        let listed = try await server.get("/api/v1/series?" + formEncode([("match", "{dataset=~\"(.*)*b\"}")]))
        #expect(listed.status == 200 && (listed.json as? [Any])?.isEmpty == true, "\(listed.text)")
        let all = try await server.get("/api/v1/query?" + formEncode([("q", "row_count{dataset!~\"(a|a)*b\"}")]))
        #expect((all.object["series"] as? [Any])?.count == 1, "\(all.text)")
        // What cannot be matched in linear time is refused, with its column in the pattern.
        let refused = try await server.get("/api/v1/query?" + formEncode([("q", "row_count{dataset=~\"(a)\\\\1\"}")]))
        #expect(refused.status == 400)
        #expect(refused.errorMessage?.hasPrefix("invalid regular expression \"(a)\\\\1\": backreference \"\\1\" at column 4") == true,
                "\(refused.text)")
    }

    @Test func aChartSizeThatIsNotANumberIsRefused() async throws {
        let server = try await TestServer(seed: Self.seedScans)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        for size in ["width=abc", "height=1e3", "width=99999999999999999999", "width=", "height=-5"] {
            let answer = try await server.page("/chart.svg?q=row_count&" + size, cookie: cookie)
            let (name, value) = (size.prefix { $0 != "=" }, size.drop { $0 != "=" }.dropFirst())
            #expect(answer.status == 400 && answer.text.hasPrefix("\(name) must be a whole number from ")
                    && answer.text.contains("found `\(value)`"), "\(size): \(answer.status) \(answer.text.prefix(200))")
        }
        let sound = try await server.page("/chart.svg?q=row_count&width=600&height=300", cookie: cookie)
        #expect(sound.status == 200 && sound.text.contains("width=\"600\""), "\(sound.text.prefix(200))")
    }

    @Test func lifetimesTooLongForTheClockAreTheEndOfTime() async throws {
        // A server whose tokens and sessions never expire starts, logs in and signs in.
        let directory = TemporaryDirectory("tally-lifetime-test")
        let configuration = ServerConfiguration(port: 0, storePath: directory.child("store"),
                                                tokenLifetimeSeconds: Int.max, sessionLifetimeSeconds: Int.max)
        let server = try TallyServer(configuration: configuration)
        let keys = try KeyManager(storePath: configuration.storePath)
        let key = try keys.create(role: .read, name: "forever")
        let login = try #require(try server.auth.login(keyID: key.record.id, secret: key.secret))
        #expect(try server.auth.principal(sessionToken: login.token, now: Int64.max - 1)?.keyID == key.record.id)
        let session = server.sessions.create(keyID: key.record.id)
        #expect(try server.sessions.principal(token: session)?.keyID == key.record.id)
        #expect(server.auth.tokenLifetimeMillis == .max && server.sessions.lifetimeMillis == .max)
        try await server.shutdown()
        // Ordinary lifetimes are kept as they are.
        let day = try TallyServer(configuration: ServerConfiguration(port: 0, storePath: directory.child("day"),
                                                                   tokenLifetimeSeconds: 86_400, sessionLifetimeSeconds: 3_600))
        #expect(day.auth.tokenLifetimeMillis == 86_400_000 && day.sessions.lifetimeMillis == 3_600_000)
        let dayKey = try KeyManager(storePath: directory.child("day")).create(role: .read, name: "a day")
        let dayLogin = try #require(try day.auth.login(keyID: dayKey.record.id, secret: dayKey.secret, now: 1_000))
        #expect(try day.auth.principal(sessionToken: dayLogin.token, now: 86_400_999) != nil)
        #expect(try day.auth.principal(sessionToken: dayLogin.token, now: 86_401_001) == nil)
        try await day.shutdown()
    }
}
