import Foundation
import Testing

@testable import TallySoda

/// Access to the shared Soda fixtures (`shared/fixtures/soda`).
///
/// The folder is found by walking up from this file: the first ancestor `A` with
/// `A/shared/fixtures/soda` wins. That is `<repo root>/../shared` in the main tree (/work/main →
/// /work/shared), in CI (shared/ beside the clone) and in the helper package (/work/helpers/soda →
/// /work/shared). `SODA_FIXTURES` overrides it.
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static let directory: URL? = {
        if let override = ProcessInfo.processInfo.environment["SODA_FIXTURES"] {
            return URL(fileURLWithPath: override, isDirectory: true)
        }
        var dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("shared/fixtures/soda", isDirectory: true)
            if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("rich.json").path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()

    static func url(_ name: String) throws -> URL {
        guard let directory else {
            throw Missing(description: "Soda fixtures not found: no ancestor of \(#filePath) has shared/fixtures/soda/rich.json (set SODA_FIXTURES)")
        }
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw Missing(description: "Soda fixture missing: \(url.path)")
        }
        return url
    }

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(name)))
    }

    static func text(_ name: String) throws -> String {
        String(decoding: try bytes(name), as: UTF8.self)
    }

    /// The fixture read by Foundation's JSONSerialization: an independent reading of the expectations.
    static func foundationJSON(_ name: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(try bytes(name)), options: [.fragmentsAllowed])
        guard let dict = object as? [String: Any] else { throw Missing(description: "\(name) is not a JSON object") }
        return dict
    }

    static let scanDocuments = [
        "rich.json", "results1.json", "fresh.json", "cloud_insert_payload.json",
    ] + seriesDocuments

    static let seriesDocuments = (1...12).map { String(format: "series_result_%02d.json", $0) }

    /// Epoch milliseconds of an ISO-8601 text by Foundation (independent of SodaTimestamp).
    static func foundationMillis(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded()) }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
        return nil
    }

    /// The literal text of the `"value": ...` member that follows `"identity": "<identity>"` in the
    /// raw document text (scalars only). Python's json.dump writes metrics as
    /// `{"identity": .., "metricName": .., "value": ..}`, so this reads the number exactly as written.
    static func rawMetricValueLiteral(in text: String, identity: String) -> String? {
        let escaped = identity.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        guard let idRange = text.range(of: "\"identity\": \"\(escaped)\"") else { return nil }
        guard let valueRange = text.range(of: "\"value\": ", range: idRange.upperBound..<text.endIndex) else { return nil }
        var literal = ""
        for ch in text[valueRange.upperBound...] {
            if ch == "," || ch == "}" || ch == "\n" { break }
            literal.append(ch)
        }
        return literal.trimmingCharacters(in: .whitespaces)
    }

    /// 1-based line of the first occurrence of `needle` in `text`.
    static func line(of needle: String, in text: String) -> Int? {
        guard let range = text.range(of: needle) else { return nil }
        return text[..<range.lowerBound].filter { $0 == "\n" }.count + 1
    }
}

extension Dictionary where Key == String, Value == Any {
    func string(_ key: String) -> String? { self[key] as? String }
    func dict(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    func array(_ key: String) -> [Any]? { self[key] as? [Any] }
    func isNull(_ key: String) -> Bool { self[key] is NSNull }
}
