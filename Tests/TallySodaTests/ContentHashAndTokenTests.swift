import Foundation
import Testing

@testable import TallySoda

@Suite("Content hash and token stripping")
struct ContentHashAndTokenTests {
    static let minimal = """
        {"definitionName": "d", "defaultDataSource": "ds", "dataTimestamp": "2024-05-10T06:00:00+00:00", \
        "scanStartTimestamp": "2024-05-10T06:00:01+00:00", "scanEndTimestamp": "2024-05-10T06:00:02+00:00", \
        "hasErrors": false, "hasWarnings": false, "hasFailures": false, \
        "metrics": [{"identity": "metric-d-ds-t-row_count", "metricName": "row_count", "value": 10}], "checks": []}
        """

    /// Same content: other key order, whitespace and string escapes.
    static let reordered = """
        {
          "checks" : [ ],
          "metrics" : [ { "value" : 10, "metricName" : "row_count", "identity" : "metric-d-ds-t-row_count" } ],
          "hasFailures" : false, "hasWarnings" : false, "hasErrors" : false,
          "scanEndTimestamp" : "2024-05-10T06:00:02+00:00",
          "scanStartTimestamp" : "2024-05-10T06:00:01+00:00",
          "dataTimestamp" : "2024-05-10T06:00:00+00:00",
          "defaultDataSource" : "\\u0064s",
          "definitionName" : "d"
        }
        """

    @Test("stable across key order, whitespace and escapes; different for different content")
    func contentHash() throws {
        let a = try SodaScan.parse(Self.minimal)
        let b = try SodaScan.parse(Self.reordered)
        #expect(a.contentHash == b.contentHash)
        #expect(a.contentHash.count == 64)
        #expect(a.canonicalDocument == b.canonicalDocument)
        let decimal = try SodaScan.parse(Self.minimal.replacingOccurrences(of: #""value": 10"#, with: #""value": 10.0"#))
        #expect(decimal.contentHash != a.contentHash)
        #expect(decimal.measurements[0].isInteger == false)
        let otherTime = try SodaScan.parse(Self.minimal.replacingOccurrences(of: "06:00:00+00:00", with: "07:00:00+00:00"))
        #expect(otherTime.contentHash != a.contentHash)
        let withToken = try SodaScan.parse(Self.minimal.replacingOccurrences(of: #"{"definitionName""#, with: #"{"token": "t0k", "definitionName""#))
        #expect(withToken.contentHash == a.contentHash)
        // The hash is SHA-256 of the canonical bytes.
        #expect(a.contentHash == SHA256.hexHash(a.canonicalDocument))
    }

    @Test("the same fixture read twice hashes the same; different fixtures differ")
    func fixtureHashes() throws {
        var hashes = Set<String>()
        for name in Fixtures.scanDocuments {
            let first = try SodaScan.parse(try Fixtures.bytes(name))
            let second = try SodaScan.parse(try Fixtures.bytes(name))
            #expect(first.contentHash == second.contentHash)
            hashes.insert(first.contentHash)
        }
        #expect(hashes.count == Fixtures.scanDocuments.count)
    }

    @Test("the -srf file and the insert payload of the same scan share resultsHash, not contentHash")
    func resultsHash() throws {
        let file = try SodaScan.parse(try Fixtures.bytes("series_result_12.json"))
        let payload = try SodaScan.parse(try Fixtures.bytes("cloud_insert_payload.json"))
        #expect(file.kind == .scanResultsFile)
        #expect(payload.kind == .insertPayload)
        #expect(file.contentHash != payload.contentHash)
        #expect(file.resultsHash == payload.resultsHash)
        #expect(file.resultsHash != (try SodaScan.parse(try Fixtures.bytes("series_result_11.json"))).resultsHash)
    }

    static func payloadWithToken() throws -> [UInt8] {
        let text = try Fixtures.text("cloud_insert_payload.json")
        let brace = try #require(text.firstIndex(of: "{"))
        var withToken = text
        withToken.insert(contentsOf: "\n  \"token\": \"SECRET-tok-0123\",", at: withToken.index(after: brace))
        return Array(withToken.utf8)
    }

    @Test("the token never reaches the model or the kept document")
    func tokenStripped() throws {
        let bytes = try Self.payloadWithToken()
        #expect(String(decoding: bytes, as: UTF8.self).contains("SECRET-tok-0123"))
        let scan = try SodaScan.parse(bytes)
        #expect(scan.document["token"] == nil)
        #expect(!String(decoding: scan.canonicalDocument, as: UTF8.self).contains("SECRET"))
        #expect(!String(reflecting: scan).contains("SECRET"))
        let original = try SodaScan.parse(try Fixtures.bytes("cloud_insert_payload.json"))
        #expect(scan.contentHash == original.contentHash)
        #expect(scan == original)
    }

    @Test("strippingToken returns equivalent JSON without the token, numbers exact")
    func strippingBytes() throws {
        let stripped = try SodaDocument.strippingToken(try Self.payloadWithToken())
        let text = String(decoding: stripped, as: UTF8.self)
        #expect(!text.contains("SECRET") && !text.contains("\"token\""))
        // Equivalent JSON, read by Foundation on both sides.
        let expected = try JSONSerialization.jsonObject(with: Data(try Fixtures.bytes("cloud_insert_payload.json"))) as! NSDictionary
        let got = try JSONSerialization.jsonObject(with: Data(stripped)) as! NSDictionary
        #expect(got == expected)
        // Literals kept: the row_count metric 300 (int) and the anomaly value 300.0 (float).
        #expect(text.contains(#""metricName":"row_count","value":300}"#))
        #expect(text.contains(#""value":300.0"#))
        #expect(throws: SodaError.self) { try SodaDocument.strippingToken(Array("[1]".utf8)) }
    }

    @Test("the request parser hands the token to authentication only")
    func requestToken() throws {
        let request = try SodaCloudRequest.parse(path: "/api/command", body: try Self.payloadWithToken())
        #expect(request.token == "SECRET-tok-0123")
        #expect(!request.description.contains("SECRET"))
        guard case let .insertScanResults(scan) = request.body else {
            Issue.record("not an insert")
            return
        }
        #expect(scan.document["token"] == nil)
        let login = try SodaCloudRequest.parse(path: "/api/command", body: Array(#"{"type": "login", "apiKeyId": "id-1", "apiKeySecret": "s3cr3t"}"#.utf8))
        #expect(!"\(login)".contains("s3cr3t"))
        if case let .login(body) = login.body {
            #expect(body.apiKeySecret == "s3cr3t")
            #expect(!body.description.contains("s3cr3t"))
        } else {
            Issue.record("not a login")
        }
    }
}
