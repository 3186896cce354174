#if canImport(Glibc)
import Glibc
#endif
import Tally

/// A JSON value whose object members keep the order they were given in (so results read like the kit's).
enum JSONValue {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Compact JSON on one line.
    func rendered() -> String {
        var out = ""
        write(to: &out, indent: nil, depth: 0)
        return out
    }

    /// JSON with one member per line.
    func renderedIndented() -> String {
        var out = ""
        write(to: &out, indent: "  ", depth: 0)
        return out
    }

    private func write(to out: inout String, indent: String?, depth: Int) {
        switch self {
        case .int(let v): out += String(v)
        case .double(let v): out += v.isFinite ? "\(v)" : "null"
        case .bool(let v): out += v ? "true" : "false"
        case .string(let v): out += quoted(v)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                item.write(to: &out, indent: indent, depth: depth + 1)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out += "," }
                if let indent {
                    out += "\n" + String(repeating: indent, count: depth + 1)
                } else if i > 0 {
                    out += " "
                }
                out += quoted(key) + ": "
                value.write(to: &out, indent: indent, depth: depth + 1)
            }
            if let indent, !members.isEmpty { out += "\n" + String(repeating: indent, count: depth) }
            out += "}"
        }
    }

    private func quoted(_ s: String) -> String { JSONText.string(s) }
}

/// Writes a line to stdout (results), unbuffered.
func printOut(_ line: String) {
    writeAll(1, line + "\n")
}

/// Writes a line to stderr (progress, warnings, errors), unbuffered.
func printError(_ line: String) {
    writeAll(2, line + "\n")
}

private func writeAll(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    var offset = 0
    bytes.withUnsafeBytes { raw in
        while offset < raw.count {
            let n = write(fd, raw.baseAddress! + offset, raw.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }
}

/// Formats a figure for progress lines: `digits` decimals.
func fixed(_ value: Double, _ digits: Int = 2) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    let text = "\(rounded)"
    guard let dot = text.firstIndex(of: "."), !text.contains("e") else { return text }
    let decimals = text.distance(from: text.index(after: dot), to: text.endIndex)
    return decimals >= digits ? text : text + String(repeating: "0", count: digits - decimals)
}
