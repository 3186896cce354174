/// Writes ``SodaJSON`` as compact JSON text.
///
/// Rules (these define the *canonical form* used for content hashes when `sortKeys` is `true`):
/// * no whitespace between tokens;
/// * object members sorted by the UTF-8 bytes of their keys (canonical) or kept in stored order;
/// * numbers written as their literal (`10`, `10.0`, `1e5` stay as given);
/// * strings escaped minimally: `"` and `\` with a backslash, U+0008/0009/000A/000C/000D as
///   `\b \t \n \f \r`, other control characters below U+0020 as `\u00XX` (lowercase hex);
///   everything else, including non-ASCII and `/`, written as raw UTF-8.
public enum SodaJSONWriter {
    /// The JSON bytes of `value`.
    public static func bytes(_ value: SodaJSON, sortKeys: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(value, sortKeys: sortKeys, into: &out)
        return out
    }

    /// The JSON text of `value`.
    public static func string(_ value: SodaJSON, sortKeys: Bool) -> String {
        String(decoding: bytes(value, sortKeys: sortKeys), as: UTF8.self)
    }

    static func write(_ value: SodaJSON, sortKeys: Bool, into out: inout [UInt8]) {
        switch value {
        case .null: out.append(contentsOf: Array("null".utf8))
        case let .bool(b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case let .number(n): out.append(contentsOf: Array(n.literal.utf8))
        case let .string(s): writeString(s, into: &out)
        case let .array(elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                write(element, sortKeys: sortKeys, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case let .object(object):
            out.append(UInt8(ascii: "{"))
            var members = object.members
            if sortKeys {
                members.sort { a, b in a.key.utf8.lexicographicallyPrecedes(b.key.utf8) }
            }
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &out)
                out.append(UInt8(ascii: ":"))
                write(member.value, sortKeys: sortKeys, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let hex = Array("0123456789abcdef".utf8)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0F)])
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
