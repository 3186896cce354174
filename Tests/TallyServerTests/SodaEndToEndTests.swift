import Foundation
import Tally
import TallyTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

@testable import TallyServer

/// Real soda-core 3.5.6 against `tally serve` as its Soda Cloud: twelve daily scans of a DuckDB table whose
/// row count, missing values and average change (a column appears on day 10, the row count jumps on day 12).
/// The history checks must be evaluated with the history Tally served, with the values soda-core computes from it.
///
/// The virtualenv is built once by soda-e2e/setup.sh (cached in $TALLY_SODA_VENV, default /tmp/tally-soda-venv).
/// If it cannot be built the test fails with the reason; it is never skipped silently.
@Suite("soda-core 3.5.6 end to end", .serialized)
struct SodaEndToEndTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("soda-e2e")

    /// The table's numbers per day, as make_day.py builds them.
    enum Day {
        static let rows = [100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 300]
        static func rowCount(_ d: Int) -> Int { rows[d - 1] }
        static func missing(_ d: Int) -> Int { d == 12 ? 30 : 5 + d % 4 }
        static func average(_ d: Int) -> Double {
            let n = rowCount(d)
            return (0..<n).map { 20.0 + Double(d) / 2.0 + Double($0 % 5 - 2) }.reduce(0, +) / Double(n)
        }
        static func columns(_ d: Int) -> Int { d >= 10 ? 6 : 5 }
    }

    @Test("twelve daily `soda scan`s use the history tally serve keeps", .timeLimit(.minutes(20)))
    func dailyScans() async throws {
        // 1. The virtualenv.
        guard let (venv, scientific) = try await Self.virtualenv() else { return }
        if !scientific {
            print("note: soda-core-scientific is not installed in \(venv); the anomaly detection check is left out")
        }

        // 2. A store, a write key (made with the CLI), and `tally serve` on a free loopback port.
        let work = TemporaryDirectory("tally-soda-e2e")
        let store = work.child("store")
        let created = try await runProgram(tallyBinary, ["keys", "create", "--store", store, "--role", "write", "--name", "soda", "--format", "json"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as! [String: String]
        let server = try await ServeProcess.start(storePath: store, logPath: work.child("serve.log"))
        let port = server.port
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        try await waitUntilHealthy(port: port)

        // 3. Soda's configuration: DuckDB, and tally serve as Soda Cloud. No telemetry.
        var checkFiles = [Self.directory.appendingPathComponent("checks.yml").path]
        if scientific { checkFiles.append(Self.directory.appendingPathComponent("checks-anomaly.yml").path) }
        let soda = try SodaRun(venv: venv, work: work, cloud: "host: 127.0.0.1\n  port: \(port)\n  scheme: http", key: key,
                               checkFiles: checkFiles)

        // 4. Twelve days.
        var previous: [String: Any]?
        for d in 1...12 {
            let document = try await soda.scan(day: d)
            try Self.verify(day: d, document: document, previous: previous, scientific: scientific)
            previous = document
        }

        // 5. What Soda pushed is in the store and queryable, while the server runs.
        let query = try await runProgram(tallyBinary, ["query", "--store", store, "--format", "json",
                                                      "row_count{scan_definition=\"tally_e2e\", dataset=\"orders\"}"])
        #expect(query.status == 0, "\(query.stderr)")
        let result = try JSONSerialization.jsonObject(with: Data(query.stdout.utf8)) as! [String: Any]
        let series = result["series"] as! [[String: Any]]
        #expect(series.count == 1)
        let points = series.first?["points"] as? [[String: Any]] ?? []
        #expect(points.map { ($0["value"] as? NSNumber)?.intValue ?? -1 } == Day.rows)
        #expect(points.first?["time"] as? String == "2024-05-01T06:00:00Z")
        let average = try await runProgram(tallyBinary, ["query", "--store", store, "--format", "csv", "avg{column=\"amount\"} | last 1"])
        #expect(average.stdout.contains("26"))
        let scans = try await runProgram(tallyBinary, ["scans", "--store", store, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(scans.stdout.utf8)) as? [Any])?.count == 12)
        // Day 12's check outcomes, counted: the four change checks on row count and missing values fail (and
        // the anomaly check); row_count > 0, schema and the average pass.
        let outcomes = try await runProgram(tallyBinary, ["query", "--store", store, "--format", "json",
                                                         "check{dataset=\"orders\"} | outcomes | last 1"])
        #expect(outcomes.status == 0, "\(outcomes.stderr)")
        let counts = ((try JSONSerialization.jsonObject(with: Data(outcomes.stdout.utf8)) as? [String: Any])?["series"] as? [[String: Any]] ?? [])
            .reduce(into: [String: Int]()) { out, s in
                let outcome = (s["labels"] as? [String: String])?["outcome"] ?? "?"
                out[outcome] = ((s["points"] as? [[String: Any]])?.first?["value"] as? NSNumber)?.intValue
            }
        #expect(counts["fail"] == (scientific ? 5 : 4) && counts["pass"] == 3 && counts["warn"] == 0, "\(counts)")

        // 6. Soda talked to Tally: logins, history queries and inserts; then a clean stop.
        let status = try await server.terminate()
        #expect(status == 0)
        let log = server.log
        #expect(log.contains("soda login"))
        #expect(log.contains("path=/api/query status=200"))
        #expect(!log.contains("status=4") && !log.contains("status=5"), "\(log.suffix(3000))")
        #expect(log.contains("store closed"))
    }

    /// soda-core over HTTPS: `tally serve --tls-cert --tls-key` with the test certificate, which soda-core's
    /// `requests` trusts through `REQUESTS_CA_BUNDLE`. Day 2's change checks need day 1's measurements, so the
    /// history is read back over TLS too.
    @Test("two daily `soda scan`s over HTTPS", .timeLimit(.minutes(10)))
    func scansOverHTTPS() async throws {
        guard let (venv, _) = try await Self.virtualenv() else { return }
        let work = TemporaryDirectory("tally-soda-tls")
        let store = work.child("store")
        let created = try await runProgram(tallyBinary, ["keys", "create", "--store", store, "--role", "write", "--format", "json"])
        #expect(created.status == 0, "\(created.stderr)")
        let key = try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as! [String: String]
        let server = try await ServeProcess.start(storePath: store, logPath: work.child("serve.log"),
                                                  extraArguments: ["--tls-cert", TLSTests.certificate, "--tls-key", TLSTests.key])
        let port = server.port
        defer { if server.process.isRunning { kill(server.process.processIdentifier, SIGKILL) } }
        #expect(server.log.contains("listening on https://127.0.0.1:\(port)"), "\(server.log)")

        let soda = try SodaRun(venv: venv, work: work, cloud: "host: localhost\n  port: \(port)\n  scheme: https", key: key,
                               checkFiles: [Self.directory.appendingPathComponent("checks.yml").path],
                               environment: ["REQUESTS_CA_BUNDLE": TLSTests.certificate])
        var previous: [String: Any]?
        for d in 1...2 {
            let document = try await soda.scan(day: d)
            try Self.verify(day: d, document: document, previous: previous, scientific: false)
            previous = document
        }
        let scans = try await runProgram(tallyBinary, ["scans", "--store", store, "--format", "json"])
        #expect((try JSONSerialization.jsonObject(with: Data(scans.stdout.utf8)) as? [Any])?.count == 2, "\(scans.stdout)")
        #expect(try await server.terminate() == 0)
        #expect(server.log.contains("path=/api/query status=200"), "\(server.log.suffix(3000))")
    }

    /// The soda-core virtualenv (built once by setup.sh) and whether soda-core-scientific is in it; nil, with the
    /// reason recorded as a test failure, when it cannot be built.
    static func virtualenv() async throws -> (path: String, scientific: Bool)? {
        let setup = try await runProgram("/bin/bash", [directory.appendingPathComponent("setup.sh").path], timeoutSeconds: 1800)
        guard setup.status == 0, let venv = setup.stdout.split(separator: "\n").last.map(String.init) else {
            Issue.record("cannot build the soda-core virtualenv (soda-e2e/setup.sh exited \(setup.status)):\n\(setup.stderr.suffix(3000))")
            return nil
        }
        let marker = (try? String(contentsOfFile: venv + "/.tally-soda-ready", encoding: .utf8)) ?? ""
        return (venv, marker.contains("scientific=yes"))
    }

    /// Checks one day's scan results against the numbers soda-core computes from the previous day's measurement
    /// (which only Tally could have given it).
    static func verify(day d: Int, document: [String: Any], previous: [String: Any]?, scientific: Bool) throws {
        let checks = document["checks"] as? [[String: Any]] ?? []
        func check(_ name: String) -> [String: Any]? { checks.first { $0["name"] as? String == name } }
        func value(_ c: [String: Any]?) -> Double? { ((c?["diagnostics"] as? [String: Any])?["value"] as? NSNumber)?.doubleValue }
        func historic(_ c: [String: Any]?) -> Double? {
            (((c?["diagnostics"] as? [String: Any])?["diagnostics"] as? [String: Any])?["historic_value"] as? NSNumber)?.doubleValue
        }
        let metrics = document["metrics"] as? [[String: Any]] ?? []
        func metric(_ suffix: String) -> Any? { metrics.first { ($0["identity"] as? String)?.hasSuffix(suffix) == true }?["value"] }

        // The table really changed.
        #expect((metric("orders-row_count") as? NSNumber)?.intValue == Day.rowCount(d), "day \(d) row_count")
        #expect((metric("customer-missing_count") as? NSNumber)?.intValue == Day.missing(d), "day \(d) missing")
        #expect(abs(((metric("amount-avg") as? NSNumber)?.doubleValue ?? -1) - Day.average(d)) < 1e-9, "day \(d) avg")
        #expect((metric("orders-schema") as? [Any])?.count == Day.columns(d))

        let changes = ["change for row_count < 50", "change percent for row_count between -20% and +20%",
                       "change avg last 7 for row_count < 50", "change for missing_count(customer) < 20",
                       "change for avg(amount) between -2 and 2"]
        let schema = checks.first { $0["type"] as? String == "generic" && ($0["name"] as? String)?.lowercased().contains("schema") == true }
        if d == 1 {
            // No history yet: change checks are not evaluated (and not sent); schema evolution has nothing to compare.
            for name in changes { #expect(check(name) == nil, "day 1: \(name) must not be evaluated") }
            #expect(schema != nil && schema?["outcome"] is NSNull, "day 1 schema: \(String(describing: schema))")
        } else {
            let rows = Double(Day.rowCount(d)), before = Double(Day.rowCount(d - 1))
            let expected: [(String, Double, Double, (Double) -> Bool)] = [
                (changes[0], rows - before, before, { $0 < 50 }),
                (changes[1], (rows - before) / before * 100, before, { $0 >= -20 && $0 <= 20 }),
                // soda-core 3.5.6 parses `avg last 7` but compares with the latest measurement.
                (changes[2], rows - before, before, { $0 < 50 }),
                (changes[3], Double(Day.missing(d) - Day.missing(d - 1)), Double(Day.missing(d - 1)), { $0 < 20 }),
                (changes[4], Day.average(d) - Day.average(d - 1), Day.average(d - 1), { $0 >= -2 && $0 <= 2 }),
            ]
            for (name, want, previousValue, passes) in expected {
                let c = check(name)
                #expect(c != nil, "day \(d): \(name) was not evaluated")
                guard let c else { continue }
                let got = value(c) ?? .nan
                #expect(abs(got - want) < 1e-9, "day \(d): \(name) = \(got), expected \(want)")
                #expect(abs((historic(c) ?? .nan) - previousValue) < 1e-9, "day \(d): \(name) historic value \(String(describing: historic(c)))")
                #expect(c["outcome"] as? String == (passes(want) ? "pass" : "fail"), "day \(d): \(name) outcome")
            }
            let schemaOutcome = schema?["outcome"] as? String
            #expect(schemaOutcome == (d == 10 ? "warn" : "pass"), "day \(d) schema evolution: \(String(describing: schema))")
        }
        if scientific {
            let anomaly = check("anomaly detection for row_count")
            #expect(anomaly != nil, "day \(d): the anomaly check is missing")
            let diagnostics = anomaly?["diagnostics"] as? [String: Any]
            if d < 5 {
                // Five points (four from history) are needed.
                #expect(anomaly?["outcome"] is NSNull, "day \(d) anomaly: \(String(describing: anomaly))")
            } else {
                let outcome = anomaly?["outcome"] as? String
                #expect(outcome != nil, "day \(d): anomaly detection not evaluated: \(String(describing: anomaly))")
                // Prophet extends the steady growth of the history Tally served: the forecast for day d is
                // day d's steady value (2 rows a day from 100), also on day 12, where 300 came instead.
                let predicted = (diagnostics?["anomalyPredictedValue"] as? NSNumber)?.doubleValue ?? .nan
                #expect(abs(predicted - Double(100 + 2 * (d - 1))) < 0.01, "day \(d): predicted \(predicted)")
                #expect(outcome == (d == 12 ? "fail" : "pass"), "day \(d) anomaly: \(String(describing: diagnostics))")
            }
        }
        _ = previous
    }
}

/// `soda scan`s of the day-by-day DuckDB table, with `tally serve` as Soda Cloud.
struct SodaRun {
    let venv: String
    let work: TemporaryDirectory
    let configuration: String
    let checkFiles: [String]
    let environment: [String: String]

    /// Writes soda's configuration: DuckDB, the `soda_cloud` lines `cloud` (host, port, scheme) with `key`, and no
    /// telemetry.
    init(venv: String, work: TemporaryDirectory, cloud: String, key: [String: String], checkFiles: [String],
         environment: [String: String] = [:]) throws {
        let home = work.child("home")
        try FileManager.default.createDirectory(atPath: home + "/.soda", withIntermediateDirectories: true)
        try "send_anonymous_usage_stats: false\n".write(toFile: home + "/.soda/config.yml", atomically: true, encoding: .utf8)
        configuration = work.child("configuration.yml")
        try """
            data_source shop:
              type: duckdb
              path: \(work.child("shop.duckdb"))
            soda_cloud:
              \(cloud)
              api_key_id: \(key["id"]!)
              api_key_secret: \(key["secret"]!)
            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        self.venv = venv
        self.work = work
        self.checkFiles = checkFiles
        self.environment = environment.merging(["HOME": home, "PYTHONDONTWRITEBYTECODE": "1"]) { a, _ in a }
    }

    /// Makes day `d`'s table, scans it, checks that soda-core reported no errors and talked to the cloud without
    /// a failure, and returns the scan results document.
    func scan(day d: Int) async throws -> [String: Any] {
        let made = try await runProgram(venv + "/bin/python", [SodaEndToEndTests.directory.appendingPathComponent("make_day.py").path,
                                                                work.child("shop.duckdb"), "\(d)"], environment: environment)
        #expect(made.status == 0, "make_day.py \(d): \(made.stderr)")
        let results = work.child(String(format: "result_%02d.json", d))
        let scan = try await runProgram(
            venv + "/bin/soda",
            ["scan", "-d", "shop", "-c", configuration, "-s", "tally_e2e", "-t", String(format: "2024-05-%02dT06:00:00+00:00", d),
             "-srf", results] + checkFiles,
            environment: environment, currentDirectory: work.path, timeoutSeconds: 300)
        // Exit codes: 0 all pass, 1 warnings, 2 failures, 3 errors.
        #expect(scan.status < 3, "day \(d): soda scan exited \(scan.status)\n\(scan.stdout.suffix(4000))\n\(scan.stderr.suffix(2000))")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as! [String: Any]
        #expect(document["hasErrors"] as? Bool == false, "day \(d): \(scan.stdout.suffix(4000))")
        #expect(!scan.stdout.contains("Soda Cloud login failed") && !scan.stdout.contains("Error while executing Soda Cloud"),
                "day \(d): \(scan.stdout.suffix(3000))")
        return document
    }
}
