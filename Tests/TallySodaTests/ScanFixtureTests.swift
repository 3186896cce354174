import Foundation
import Testing

@testable import TallySoda

/// Whether two optional doubles are equal up to 1e-12 relative. Foundation's JSONSerialization on
/// Linux reads some decimals one or two ulps off (177.77777777777777 → 177.77777777777774), so it
/// is only a near reference for values; exact literals are checked against the raw text instead.
func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (x?, y?): return abs(x - y) <= 1e-12 * max(1, abs(y))
    default: return false
    }
}

/// Every fixture document, checked field by field against the same file read by Foundation's
/// JSONSerialization (and, for number literals, against the raw text).
@Suite("Scan documents from the fixtures")
struct ScanFixtureTests {
    @Test("top-level fields", arguments: Fixtures.scanDocuments)
    func topLevel(_ name: String) throws {
        let doc = try Fixtures.foundationJSON(name)
        let scan = try SodaScan.parse(try Fixtures.bytes(name))
        #expect(scan.kind == (doc.string("type") == "sodaCoreInsertScanResults" ? .insertPayload : .scanResultsFile))
        #expect(scan.definitionName == doc.string("definitionName"))
        #expect(scan.defaultDataSource == doc.string("defaultDataSource"))
        #expect(scan.hasErrors == (doc["hasErrors"] as? Bool))
        #expect(scan.hasWarnings == (doc["hasWarnings"] as? Bool))
        #expect(scan.hasFailures == (doc["hasFailures"] as? Bool))
        #expect(scan.sourceOwner == doc.string("sourceOwner"))
        let dataText = try #require(doc.string("dataTimestamp"))
        let dataTime = try #require(Fixtures.foundationMillis(dataText))
        #expect(scan.timeMilliseconds == dataTime)
        #expect(scan.dataTimestamp.text == doc.string("dataTimestamp"))
        #expect(scan.scanStartTimestamp.epochMilliseconds == Fixtures.foundationMillis(doc.string("scanStartTimestamp")!))
        #expect(scan.scanEndTimestamp.epochMilliseconds == Fixtures.foundationMillis(doc.string("scanEndTimestamp")!))
        #expect(scan.contentHash.count == 64)
        #expect(scan.measurements.count == doc.array("metrics")?.count)
        let expectedChecks = (doc.array("checks")?.count ?? 0) + (doc.array("automatedMonitoringChecks")?.count ?? 0)
        #expect(scan.checks.count == expectedChecks)
    }

    @Test("every metric becomes a measurement with identity, name, time and value", arguments: Fixtures.scanDocuments)
    func metrics(_ name: String) throws {
        let doc = try Fixtures.foundationJSON(name)
        let text = try Fixtures.text(name)
        let scan = try SodaScan.parse(try Fixtures.bytes(name))
        let dataTime = try #require(Fixtures.foundationMillis(doc.string("dataTimestamp")!))
        let metrics = try #require(doc.array("metrics") as? [[String: Any]])
        for (metric, measurement) in zip(metrics, scan.measurements) {
            let identity = try #require(metric.string("identity"))
            #expect(measurement.identity == identity)
            #expect(measurement.attributes["identity"] == identity)
            #expect(measurement.metricName == metric.string("metricName"))
            #expect(measurement.timeMilliseconds == dataTime)
            #expect(measurement.labels["scan_definition"] == doc.string("definitionName"))
            #expect(measurement.labels["datasource"] == doc.string("defaultDataSource"))
            // The labels rebuild the Soda identity exactly.
            let parts = try #require(measurement.identityParts, "\(identity)")
            #expect(parts.identity == identity)
            #expect(measurement.labels["identity"] == nil)

            switch metric["value"] {
            case let number as NSNumber:
                let literal = try #require(Fixtures.rawMetricValueLiteral(in: text, identity: identity))
                let got = try #require(measurement.number, "\(identity)")
                #expect(got.literal == literal)
                #expect(close(got.doubleValue, number.doubleValue))
                #expect(measurement.isInteger == !literal.contains("."))
                #expect(measurement.derived == nil)
            case is NSNull:
                #expect(measurement.rawValue == .null)
                #expect(measurement.value == nil)
            case let string as String:
                #expect(measurement.rawValue == .string(string))
                let derived = try #require(measurement.derived)
                #expect(derived.rule == .timestampEpochSeconds)
                #expect(Int64(derived.value.literal).map { $0 * 1000 } == Fixtures.foundationMillis(string))
            case let list as [Any]:
                let derived = try #require(measurement.derived, "\(identity)")
                #expect(derived.value.int64Value == Int64(list.count))
                #expect(derived.rule == (metric.string("metricName") == "schema" ? .schemaColumnCount : .groupCount))
                #expect(measurement.isRawJSON)
                #expect(measurement.rawValue.arrayValue?.count == list.count)
            default:
                Issue.record("unexpected metric value in \(name): \(String(describing: metric["value"]))")
            }
        }
    }

    @Test("every check becomes a check point with key, aliases, outcome, value, zones and link", arguments: Fixtures.scanDocuments)
    func checks(_ name: String) throws {
        let doc = try Fixtures.foundationJSON(name)
        let scan = try SodaScan.parse(try Fixtures.bytes(name))
        let dataTime = try #require(Fixtures.foundationMillis(doc.string("dataTimestamp")!))
        let checks = try #require(doc.array("checks") as? [[String: Any]])
        for (check, point) in zip(checks, scan.checks) {
            let identities = try #require(check.dict("identities") as? [String: String])
            let expectedKey = identities["v4"] ?? identities["v3"] ?? check.string("identity")!
            #expect(point.key == expectedKey)
            #expect(point.identity == check.string("identity"))
            for version in identities.values where version != expectedKey {
                #expect(point.aliases.contains(version))
            }
            #expect(!point.aliases.contains(point.key))
            #expect(point.v1 == identities["v1"])
            #expect(point.identityVersions == identities)
            #expect(!point.identitiesComputed)
            #expect(point.labels == ["check": expectedKey])
            #expect(point.name == check.string("name"))
            #expect(point.type == check.string("type"))
            #expect(point.definition == check.string("definition"))
            #expect(point.dataSource == check.string("dataSource"))
            #expect(point.dataset == check.string("table"))
            #expect(point.column == check.string("column"))
            #expect(point.attributes["name"] == check.string("name"))
            #expect(point.attributes["dataset"] == check.string("table"))
            #expect(point.attributes["column"] == check.string("column"))
            #expect(point.attributes["datasource"] == check.string("dataSource"))
            #expect(point.attributes["definition"] == check.string("definition"))
            #expect(point.metrics == (check.array("metrics") as? [String]))
            #expect(point.measurementIdentity == (check.array("metrics") as? [String])?.first)
            #expect(scan.measurement(for: point) != nil, "\(point.name): metrics[0] is in the scan")
            #expect(point.timeMilliseconds == dataTime)
            let location = try #require(check.dict("location"))
            #expect(point.location == SodaCheckLocation(filePath: location.string("filePath")!, line: location["line"] as? Int, column: location["col"] as? Int))

            let expectedOutcome: SodaOutcome
            switch check["outcome"] {
            case let s as String: expectedOutcome = try #require(["pass": .pass, "warn": .warn, "fail": .fail][s])
            default: expectedOutcome = .notEvaluated
            }
            #expect(point.outcome == expectedOutcome)
            #expect(point.outcome.rawValue == ["pass": 1, "warn": 2, "fail": 3][check.string("outcome") ?? ""] ?? 5)

            let diagnostics = try #require(check.dict("diagnostics"))
            if let value = diagnostics["value"] as? NSNumber {
                #expect(close(point.value?.doubleValue, value.doubleValue))
            } else {
                #expect(point.value == nil)
            }
            for (zoneName, zone) in [("fail", point.fail), ("warn", point.warn)] {
                if let expected = diagnostics.dict(zoneName) {
                    let got = try #require(zone, "\(zoneName) of \(point.name)")
                    #expect(close(got.greaterThan?.doubleValue, (expected["greaterThan"] as? NSNumber)?.doubleValue))
                    #expect(close(got.greaterThanOrEqual?.doubleValue, (expected["greaterThanOrEqual"] as? NSNumber)?.doubleValue))
                    #expect(close(got.lessThan?.doubleValue, (expected["lessThan"] as? NSNumber)?.doubleValue))
                    #expect(close(got.lessThanOrEqual?.doubleValue, (expected["lessThanOrEqual"] as? NSNumber)?.doubleValue))
                } else {
                    #expect(zone == nil)
                }
            }
            let reasons = (check.array("outcomeReasons") as? [[String: Any]]) ?? []
            #expect(point.outcomeReasons.map(\.code) == reasons.compactMap { $0.string("code") })
            #expect(close(point.predictedValue?.doubleValue, (diagnostics["anomalyPredictedValue"] as? NSNumber)?.doubleValue))
            #expect(close(point.historicValue?.doubleValue, ((diagnostics.dict("diagnostics"))?["historic_value"] as? NSNumber)?.doubleValue))
            if let group = check.dict("group") {
                #expect(point.group == SodaCheckGroup(identity: group.string("identity"), name: group.string("name"), distinctLabel: group.string("distinctLabel")))
            } else {
                #expect(point.group == nil)
            }
        }
    }

    /// Generic checks only: anomaly checks evaluate on unrounded bounds and report floor/ceil-rounded
    /// bands for integer series (series_result_06: value 102 passes with warn band `<= 102.0`).
    @Test("the zones reproduce Soda's outcome for every evaluated generic check", arguments: Fixtures.scanDocuments)
    func zonesReproduceOutcome(_ name: String) throws {
        let scan = try SodaScan.parse(try Fixtures.bytes(name))
        for point in scan.checks where point.type == "generic" && point.outcome != .notEvaluated && (point.fail != nil || point.warn != nil) {
            let value = try #require(point.value, "\(point.name)").doubleValue
            let computed: SodaOutcome =
                point.fail?.contains(value) == true ? .fail : point.warn?.contains(value) == true ? .warn : .pass
            #expect(computed == point.outcome, "\(name): \(point.name) value \(value)")
        }
    }

    /// Labels of rich.json's metrics, read off the identities and checks_rich.yml by hand.
    static let richLabels: [String: (dataset: String?, filter: String?, column: String?, hash: String?)] = [
        "metric-nightly_orders_scan-shop-orders-recent-row_count": ("orders", "recent", nil, nil),
        "metric-nightly_orders_scan-shop-avg_amount > 20-59c6b433": (nil, nil, nil, "59c6b433"),
        "metric-nightly_orders_scan-shop-orders-row_count": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-Average amount per country [XX]": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-Average amount per country [BE]": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-Average amount per country [NL]": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-Average amount per country [US]": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-created_at-max": ("orders", nil, "created_at", nil),
        "metric-nightly_orders_scan-shop-orders-schema": ("orders", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-amount-avg": ("orders", nil, "amount", nil),
        "metric-nightly_orders_scan-shop-orders-customer-missing_percent": ("orders", nil, "customer", nil),
        "metric-nightly_orders_scan-shop-orders-amount-min": ("orders", nil, "amount", nil),
        "metric-nightly_orders_scan-shop-orders-failed rows-b7353a0f": ("orders", nil, nil, "b7353a0f"),
        "metric-nightly_orders_scan-shop-orders-amount-sum": ("orders", nil, "amount", nil),
        "metric-nightly_orders_scan-shop-avg_amount_be > 10-ea87d378": (nil, nil, nil, "ea87d378"),
        "metric-nightly_orders_scan-shop-orders-row_count-19ed9b88": ("orders", nil, nil, "19ed9b88"),
        "metric-nightly_orders_scan-shop-orders-customer-missing_count": ("orders", nil, "customer", nil),
        "metric-nightly_orders_scan-shop-orders-country-invalid_count-0af2e5c3": ("orders", nil, "country", "0af2e5c3"),
        "metric-nightly_orders_scan-shop-orders-group by-59c6b433": ("orders", nil, nil, "59c6b433"),
        "metric-nightly_orders_scan-shop-customers-row_count": ("customers", nil, nil, nil),
        "metric-nightly_orders_scan-shop-orders-customer-reference-e1ad02d6": ("orders", nil, "customer", "e1ad02d6"),
        "metric-nightly_orders_scan-shop-orders-amount-stddev": ("orders", nil, "amount", nil),
        "metric-nightly_orders_scan-shop-orders-id-duplicate_count": ("orders", nil, "id", nil),
    ]

    @Test("rich.json: each metric lands in the right series (labels)")
    func richLabels() throws {
        let scan = try SodaScan.parse(try Fixtures.bytes("rich.json"))
        #expect(scan.measurements.count == Self.richLabels.count)
        for measurement in scan.measurements {
            let expected = try #require(Self.richLabels[measurement.identity], "\(measurement.identity)")
            var labels: [String: String] = ["datasource": "shop", "scan_definition": "nightly_orders_scan"]
            labels["dataset"] = expected.dataset
            labels["filter"] = expected.filter
            labels["column"] = expected.column
            labels["config_hash"] = expected.hash
            #expect(measurement.labels == labels, "\(measurement.identity)")
        }
        // Distinct Soda identities never share a series.
        let seriesKeys = Set(scan.measurements.map { "\($0.metricName)|\($0.sortedLabels.map { "\($0.name)=\($0.value)" })" })
        #expect(seriesKeys.count == scan.measurements.count)
    }

    @Test("rich.json: values, integer-ness and derived numbers of selected metrics and checks")
    func richValues() throws {
        let scan = try SodaScan.parse(try Fixtures.bytes("rich.json"))
        func m(_ suffix: String) throws -> SodaMeasurement {
            try #require(scan.measurement(identity: "metric-nightly_orders_scan-shop-" + suffix))
        }
        #expect(try m("orders-row_count").value?.literal == "10")
        #expect(try m("orders-row_count").isInteger == true)
        #expect(try m("orders-customer-missing_percent").value?.literal == "10.0")
        #expect(try m("orders-customer-missing_percent").isInteger == false)
        #expect(try m("orders-amount-stddev").value?.literal == "7.569125885243729")
        #expect(try m("avg_amount > 20-59c6b433").value == nil)
        #expect(try m("avg_amount > 20-59c6b433").rawValue == .null)
        // schema → number of columns (id, customer, country, amount, created_at)
        #expect(try m("orders-schema").value == SodaNumber(5))
        // group by → number of groups (BE, NL, US, XX)
        #expect(try m("orders-group by-59c6b433").value == SodaNumber(4))
        // max(created_at) = 2024-05-09T12:00:00+00:00 → epoch seconds
        #expect(try m("orders-created_at-max").value?.literal == "1715256000")
        #expect(try m("orders-created_at-max").derived?.rule == .timestampEpochSeconds)

        let rowCountCheck = try #require(scan.checks.first { $0.key == "ea7cc4c3" })
        #expect(rowCountCheck.value?.literal == "10")
        #expect(rowCountCheck.fail == SodaThreshold(lessThanOrEqual: SodaNumber(literal: "0.0")))
        #expect(rowCountCheck.warn == nil)
        #expect(rowCountCheck.aliases == ["389baffb", "182f010e"])
        let udm = try #require(scan.checks.first { $0.name == "avg_amount_be > 10" })
        #expect(udm.value?.literal == "20.0")
        #expect(udm.dataset == "orders")
        #expect(scan.measurement(for: udm)?.labels["dataset"] == nil)
        let freshness = try #require(scan.checks.first { $0.name == "freshness(created_at) < 1d" })
        #expect(freshness.value?.literal == "80735667325")
        #expect(freshness.measure == "time")
        #expect(freshness.attributes["unit"] == "ms")
        #expect(udm.attributes["unit"] == nil)
        #expect(freshness.derived == SodaDerivedValue(rule: .freshnessSeconds, value: SodaNumber(literal: "80735667.325")!))
        let schema = try #require(scan.checks.first { $0.name == "Schema Check" })
        #expect(schema.value == nil)
        #expect(schema.derived == SodaDerivedValue(rule: .schemaEventCount, value: SodaNumber(1)))
        #expect(schema.outcome == .fail)
        let sameAs = try #require(scan.checks.first { $0.name == "row_count same as customers" })
        #expect(sameAs.measurementIdentity == "metric-nightly_orders_scan-shop-orders-row_count")
        #expect(sameAs.metrics.count == 2)
        let split = try #require(scan.checks.first { $0.name == "No missing customers" })
        #expect(split.fail?.isSplitZone == true)
        let group = try #require(scan.checks.first { $0.name == "Average amount per country [BE]" })
        #expect(group.group?.distinctLabel == "BE")
        #expect(group.location == SodaCheckLocation(filePath: "checks_rich.yml", line: 36, column: 11))
        #expect(group.attributes["location"] == "checks_rich.yml:36:11")
    }

    @Test("results1.json: warn zone, series and the CLI default scan definition")
    func results1() throws {
        let scan = try SodaScan.parse(try Fixtures.bytes("results1.json"))
        #expect(scan.definitionName == "Soda Core CLI")
        let max = try #require(scan.checks.first { $0.name == "max(amount) warn when > 30 fail when > 1000" })
        #expect(max.outcome == .warn)
        #expect(max.warn == SodaThreshold(greaterThan: SodaNumber(literal: "30.0")))
        #expect(max.fail == SodaThreshold(greaterThan: SodaNumber(literal: "1000.0")))
        let invalid = try #require(scan.measurement(identity: "metric-Soda Core CLI-shop-orders-country-invalid_percent-0af2e5c3"))
        #expect(invalid.labels == [
            "datasource": "shop", "scan_definition": "Soda Core CLI", "dataset": "orders", "column": "country", "config_hash": "0af2e5c3",
        ])
        #expect(invalid.value?.literal == "20.0")
    }

    @Test("fresh.json: a not-evaluated anomaly check keeps its value and reason")
    func fresh() throws {
        let scan = try SodaScan.parse(try Fixtures.bytes("fresh.json"))
        let ad = try #require(scan.checks.first { $0.type == "anomalyDetection" })
        #expect(ad.outcome == .notEvaluated)
        #expect(ad.outcome.sodaValue == nil)
        #expect(ad.value?.literal == "19.5")
        #expect(ad.fail == nil && ad.warn == nil)
        #expect(ad.outcomeReasons.first?.code == "not_enough_measurements_custom")
        #expect(ad.outcomeReasons.first?.severity == "error")
        let freshness = try #require(scan.checks.first { $0.measure == "time" })
        #expect(freshness.derived?.value.literal == "81426990.802")
    }
}
