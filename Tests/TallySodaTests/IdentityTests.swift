import Foundation
import Testing

@testable import TallySoda

@Suite("Soda identities")
struct IdentityTests {
    @Test("check identities v1/v2/v3 computed from definition equal the fixtures'", arguments: Fixtures.scanDocuments)
    func checkIdentities(_ name: String) throws {
        let doc = try Fixtures.foundationJSON(name)
        let checks = try #require(doc.array("checks") as? [[String: Any]])
        #expect(!checks.isEmpty)
        for check in checks {
            let expected = try #require(check.dict("identities") as? [String: String])
            let computed = try SodaCheckIdentityCalculator.identities(
                definition: try #require(check.string("definition")), dataSource: try #require(check.string("dataSource")),
                filePath: try #require(check.dict("location")?.string("filePath")))
            #expect(computed.v1 == expected["v1"], "\(name): \(check.string("name") ?? "")")
            #expect(computed.v2 == expected["v2"])
            #expect(computed.v3 == expected["v3"])
            #expect(computed.v3 == check.string("identity"))
        }
    }

    @Test("the !!omap text rebuilt from a definition")
    func omapText() throws {
        let source = try SodaCheckIdentityCalculator.parseDefinition(
            "checks for orders:\n  - failed rows:\n      name: Big amounts\n      fail condition: amount > 30\n")
        #expect(source.header == "checks for orders")
        #expect(source.line == "failed rows")
        #expect(source.configurationYAML == "!!omap\n  - fail condition: amount > 30\n")
        let plain = try SodaCheckIdentityCalculator.parseDefinition("checks for orders [recent]:\n  row_count > 0")
        #expect(plain.line == "row_count > 0")
        #expect(plain.configurationYAML == nil)
        // Anomaly-detection tuning keys are not part of the identity.
        let ad = try SodaCheckIdentityCalculator.parseDefinition(
            "checks for orders:\n  - anomaly detection for row_count:\n      model:\n        type: prophet\n")
        #expect(ad.configurationYAML == nil)
        #expect(throws: SodaCheckIdentityError.self) {
            try SodaCheckIdentityCalculator.parseDefinition("checks for orders:\n  - x:\n      q: " + String(repeating: "y", count: 80) + "\n")
        }
        #expect(throws: SodaCheckIdentityError.self) { try SodaCheckIdentityCalculator.parseDefinition("no header") }
    }

    @Test("documents without identities get them computed (Python API variant)")
    func computedWhenMissing() throws {
        var text = try Fixtures.text("rich.json")
        text = text.replacingOccurrences(of: #""identities": {"v1": "389baffb", "v2": "182f010e", "v3": "ea7cc4c3"}, "#, with: "")
        let scan = try SodaScan.parse(text)
        let check = try #require(scan.checks.first { $0.identity == "ea7cc4c3" })
        #expect(check.identitiesComputed)
        #expect(check.key == "ea7cc4c3")
        #expect(check.aliases == ["389baffb", "182f010e"])
    }

    @Test("a user identity (v4) becomes the key; migrated identities are aliases")
    func userIdentity() throws {
        var text = try Fixtures.text("rich.json")
        text = text.replacingOccurrences(
            of: #""identities": {"v1": "389baffb", "v2": "182f010e", "v3": "ea7cc4c3"}, "migratedIdentities": null"#,
            with: #""identities": {"v1": "389baffb", "v2": "182f010e", "v3": "ea7cc4c3", "v4": "orders-not-empty"}, "migratedIdentities": {"v1": "389baffb", "v2": "0badc0de"}"#)
        let scan = try SodaScan.parse(text)
        let check = try #require(scan.checks.first { $0.identity == "ea7cc4c3" })
        #expect(check.key == "orders-not-empty")
        #expect(check.aliases == ["389baffb", "182f010e", "ea7cc4c3", "0badc0de"])
        #expect(scan.checks(identity: "389baffb").count == 1)
    }

    @Test("metric identities built from their hashed configuration equal the fixtures'")
    func metricIdentities() {
        let base = (scan: "nightly_orders_scan", source: "shop")
        let cases: [(SodaMetricIdentity, String)] = [
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", column: "country", metricName: "invalid_count",
                                hashParts: [.property("valid_values", .list([.string("BE"), .string("NL"), .string("US")]))]),
             "metric-nightly_orders_scan-shop-orders-country-invalid_count-0af2e5c3"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, metricName: "avg_amount_be > 10",
                                hashParts: [.string("SELECT AVG(amount) FROM orders WHERE country = 'BE'")]),
             "metric-nightly_orders_scan-shop-avg_amount_be > 10-ea87d378"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", metricName: "failed rows",
                                hashParts: [.string("SELECT * FROM orders WHERE amount < 0")]),
             "metric-nightly_orders_scan-shop-orders-failed rows-b7353a0f"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", metricName: "row_count",
                                hashParts: [.string("amount > 30")]),
             "metric-nightly_orders_scan-shop-orders-row_count-19ed9b88"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", metricName: "group by",
                                hashParts: [.string("SELECT country, AVG(amount) AS avg_amount FROM orders GROUP BY country")]),
             "metric-nightly_orders_scan-shop-orders-group by-59c6b433"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, metricName: "avg_amount > 20",
                                hashParts: [.string("SELECT country, AVG(amount) AS avg_amount FROM orders GROUP BY country")]),
             "metric-nightly_orders_scan-shop-avg_amount > 20-59c6b433"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", column: "customer", metricName: "reference",
                                hashParts: [.string("customer"), .string("customers"), .string("cid")]),
             "metric-nightly_orders_scan-shop-orders-customer-reference-e1ad02d6"),
            (SodaMetricIdentity(scanDefinition: base.scan, dataSource: base.source, dataset: "orders", filter: "recent", metricName: "row_count",
                                hashParts: []),
             "metric-nightly_orders_scan-shop-orders-recent-row_count"),
            (SodaMetricIdentity(scanDefinition: nil, dataSource: "shop", dataset: "orders", metricName: "row_count", automatedMonitoring: true),
             "metric-shop-orders-row_count-automated_monitoring"),
        ]
        for (parts, expected) in cases {
            #expect(parts.identity == expected)
        }
    }

    @Test("every fixture metric identity splits and rebuilds", arguments: Fixtures.scanDocuments)
    func roundTrip(_ name: String) throws {
        let scan = try SodaScan.parse(try Fixtures.bytes(name))
        for m in scan.measurements {
            #expect(m.identityParts?.identity == m.identity)
        }
    }

    @Test("decomposition with and without hints, names containing dashes")
    func decomposition() throws {
        let plain = try #require(SodaMetricIdentity.decompose(
            "metric-s-ds-orders-recent-row_count", metricName: "row_count", scanDefinition: "s", dataSources: ["ds"]))
        #expect(plain.parts.dataset == "orders" && plain.parts.filter == "recent" && plain.parts.column == nil)
        let column = try #require(SodaMetricIdentity.decompose(
            "metric-s-ds-orders-amount-avg", metricName: "avg", scanDefinition: "s", dataSources: ["ds"]))
        #expect(column.parts.column == "amount" && column.parts.filter == nil)
        #expect(column.resolution == .inferred)
        let hinted = try #require(SodaMetricIdentity.decompose(
            "metric-s-my-ds-order-lines-recent-unit-price-avg", metricName: "avg", scanDefinition: "s", dataSources: ["my-ds"],
            dataset: .value("order-lines"), column: .value("unit-price")))
        #expect(hinted.parts.dataSource == "my-ds")
        #expect(hinted.parts.dataset == "order-lines" && hinted.parts.filter == "recent" && hinted.parts.column == "unit-price")
        #expect(hinted.resolution == .confirmed)
        let hash = try #require(SodaMetricIdentity.decompose(
            "metric-s-ds-t-c-invalid_count-automated_monitoring-0af2e5c3", metricName: "invalid_count", scanDefinition: "s", dataSources: ["ds"]))
        #expect(hash.parts.configHash == "0af2e5c3" && hash.parts.automatedMonitoring && hash.parts.column == "c")
        // A hint the identity contradicts is ignored: the identity wins.
        let udm = try #require(SodaMetricIdentity.decompose(
            "metric-s-ds-x > 1-ea87d378", metricName: "x > 1", scanDefinition: "s", dataSources: ["ds"], dataset: .value("orders")))
        #expect(udm.parts.dataset == nil && udm.parts.configHash == "ea87d378")
        #expect(SodaMetricIdentity.decompose("metric-other-ds-t-row_count", metricName: "row_count", scanDefinition: "s", dataSources: ["ds"]) == nil)
        #expect(SodaMetricIdentity.decompose("check-s-ds-t-row_count", metricName: "row_count", scanDefinition: "s", dataSources: ["ds"]) == nil)
        #expect(SodaMetricIdentity.decompose("metric-s-ds-t-row_count", metricName: "avg", scanDefinition: "s", dataSources: ["ds"]) == nil)
    }

    @Test("an identity that cannot be split keeps series distinct with an identity label")
    func undecomposable() throws {
        let text = ContentHashAndTokenTests.minimal.replacingOccurrences(of: "metric-d-ds-t-row_count", with: "custom-id-42")
        let scan = try SodaScan.parse(text)
        let m = try #require(scan.measurements.first)
        #expect(m.identityParts == nil)
        #expect(m.labels == ["datasource": "ds", "scan_definition": "d", "identity": "custom-id-42"])
    }
}
