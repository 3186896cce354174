/// A location inside a JSON document, written like `$.checks[3].outcome`.
///
/// Keys that are plain identifiers are written with a dot; other keys are written in brackets with
/// JSON string quoting: `$.metrics[0]["odd key"]`.
public struct SodaJSONPath: Sendable, Hashable, CustomStringConvertible {
    /// One step of a path.
    public enum Component: Sendable, Hashable {
        /// An object member.
        case key(String)
        /// An array element (0-based).
        case index(Int)
    }

    /// The steps from the document root.
    public private(set) var components: [Component]

    /// The root, `$`.
    public static let root = SodaJSONPath(components: [])

    /// Creates a path from components.
    public init(components: [Component]) {
        self.components = components
    }

    /// This path extended by an object key.
    public func appending(_ key: String) -> SodaJSONPath {
        SodaJSONPath(components: components + [.key(key)])
    }

    /// This path extended by an array index.
    public func appending(_ index: Int) -> SodaJSONPath {
        SodaJSONPath(components: components + [.index(index)])
    }

    /// Appends a component in place.
    mutating func push(_ component: Component) { components.append(component) }

    /// Removes the last component in place.
    mutating func pop() { _ = components.popLast() }

    /// The path text, e.g. `$.checks[3].outcome`.
    public var description: String {
        var text = "$"
        for component in components {
            switch component {
            case let .index(i):
                text += "[\(i)]"
            case let .key(k):
                if SodaJSONPath.isIdentifier(k) {
                    text += "." + k
                } else {
                    text += "[" + String(decoding: SodaJSONWriter.bytes(.string(k), sortKeys: false), as: UTF8.self) + "]"
                }
            }
        }
        return text
    }

    static func isIdentifier(_ key: String) -> Bool {
        guard let first = key.utf8.first else { return false }
        func letter(_ b: UInt8) -> Bool {
            (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || b == UInt8(ascii: "_")
        }
        guard letter(first) else { return false }
        return key.utf8.allSatisfy { letter($0) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }
}
