import TallyCharts

/// Escaping for the dashboard's HTML: everything that comes from the store, the request or an error message goes
/// through one of these before it reaches a page.
enum HTMLText {
    /// Text escaped for HTML element content and (double- or single-quoted) attribute values: `&`, `<`, `>`, `"`
    /// and `'` become references; control characters other than newline and tab become spaces.
    static func escape(_ text: String) -> String {
        ChartText.xml(text)
    }

    /// One query-string component: every byte except unreserved characters (`A-Z a-z 0-9 - . _ ~`) percent-encoded,
    /// so that the result is safe inside a URL and (after ``escape(_:)``, which changes nothing here) an attribute.
    static func urlComponent(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `path?a=1&b=x%20y` from a path and parameters (in order); just `path` without parameters.
    static func url(_ path: String, _ parameters: [(String, String)] = []) -> String {
        guard !parameters.isEmpty else { return path }
        return path + "?" + parameters.map { urlComponent($0.0) + "=" + urlComponent($0.1) }.joined(separator: "&")
    }

    /// A local path to return to after signing in: it must start with one `/` (not `//`, which would leave the
    /// site) and hold no backslash or control character; anything else gives `/`.
    static func localPath(_ candidate: String?) -> String {
        guard let candidate, candidate.hasPrefix("/"), !candidate.hasPrefix("//"),
              !candidate.unicodeScalars.contains(where: { $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }) else {
            return "/"
        }
        return candidate
    }
}
