/// Reads typed members of a JSON object, producing ``SodaError``s that name the JSON path.
struct SodaObjectReader {
    let object: SodaJSONObject
    let path: SodaJSONPath

    init(_ value: SodaJSON?, at path: SodaJSONPath) throws(SodaError) {
        guard case let .object(object)? = value else { throw SodaError.expected("an object", at: path, found: value) }
        self.object = object
        self.path = path
    }

    func contains(_ key: String) -> Bool { object.contains(key) }

    subscript(key: String) -> SodaJSON? { object[key] }

    func required(_ key: String, _ what: String) throws(SodaError) -> SodaJSON {
        guard let value = object[key] else { throw SodaError.expected(what, at: path.appending(key), found: nil) }
        return value
    }

    func string(_ key: String) throws(SodaError) -> String {
        let value = try required(key, "a string")
        guard case let .string(s) = value else { throw SodaError.expected("a string", at: path.appending(key), found: value) }
        return try SodaObjectReader.withoutNUL(s, at: path.appending(key))
    }

    /// Absent or `null` → `nil`; otherwise must be a string.
    func optionalString(_ key: String) throws(SodaError) -> String? {
        guard let value = object[key] else { return nil }
        switch value {
        case .null: return nil
        case let .string(s): return try SodaObjectReader.withoutNUL(s, at: path.appending(key))
        default: throw SodaError.expected("a string or null", at: path.appending(key), found: value)
        }
    }

    /// Present (may be `null`) → value; absent → error.
    func requiredNullableString(_ key: String) throws(SodaError) -> String? {
        let value = try required(key, "a string or null")
        switch value {
        case .null: return nil
        case let .string(s): return try SodaObjectReader.withoutNUL(s, at: path.appending(key))
        default: throw SodaError.expected("a string or null", at: path.appending(key), found: value)
        }
    }

    /// The strings read by name become series labels and attributes, which the catalog keeps as C strings: a NUL
    /// character (`\u0000`) would cut them short, so two different identities could become one series.
    static func withoutNUL(_ text: String, at path: SodaJSONPath) throws(SodaError) -> String {
        guard text.utf8.contains(0) else { return text }
        throw SodaError.invalid(path, "the string has a NUL character (\\u0000), which Tally cannot keep in a label or attribute")
    }

    func bool(_ key: String) throws(SodaError) -> Bool {
        let value = try required(key, "true or false")
        guard case let .bool(b) = value else { throw SodaError.expected("true or false", at: path.appending(key), found: value) }
        return b
    }

    func optionalBool(_ key: String) throws(SodaError) -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case let .bool(b) = value else { throw SodaError.expected("true, false or null", at: path.appending(key), found: value) }
        return b
    }

    func array(_ key: String) throws(SodaError) -> [SodaJSON] {
        let value = try required(key, "an array")
        guard case let .array(a) = value else { throw SodaError.expected("an array", at: path.appending(key), found: value) }
        return a
    }

    /// Absent or `null` → `nil`; otherwise must be an array.
    func optionalArray(_ key: String) throws(SodaError) -> [SodaJSON]? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case let .array(a) = value else { throw SodaError.expected("an array or null", at: path.appending(key), found: value) }
        return a
    }

    /// Absent or `null` → `nil`; otherwise must be an object.
    func optionalObject(_ key: String) throws(SodaError) -> SodaObjectReader? {
        guard let value = object[key], !value.isNull else { return nil }
        return try SodaObjectReader(value, at: path.appending(key))
    }

    /// Absent or `null` → `nil`; otherwise must be a number.
    func optionalNumber(_ key: String) throws(SodaError) -> SodaNumber? {
        guard let value = object[key], !value.isNull else { return nil }
        guard case let .number(n) = value else { throw SodaError.expected("a number or null", at: path.appending(key), found: value) }
        return n
    }

    /// A non-negative integer that fits `Int`, absent or `null` → `nil`.
    func optionalInt(_ key: String) throws(SodaError) -> Int? {
        guard let number = try optionalNumber(key) else { return nil }
        guard number.isInteger, let v = number.int64Value, let i = Int(exactly: v) else {
            throw SodaError.expected("an integer", at: path.appending(key), found: .number(number))
        }
        return i
    }

    func timestamp(_ key: String, mode: SodaTimestamp.Mode = .strict) throws(SodaError) -> SodaTimestamp {
        let what = "an ISO-8601 timestamp with offset like \"2024-05-10T06:00:00+00:00\""
        let value = try required(key, what)
        guard case let .string(text) = value, let time = SodaTimestamp(text, mode: mode) else {
            throw SodaError.expected(what, at: path.appending(key), found: value)
        }
        return time
    }

    /// An object whose values are all strings (or `null`, skipped). Absent or `null` → empty.
    func stringMap(_ key: String) throws(SodaError) -> [String: String] {
        guard let reader = try optionalObject(key) else { return [:] }
        var result: [String: String] = [:]
        for member in reader.object {
            let memberPath = reader.path.appending(member.key)
            _ = try SodaObjectReader.withoutNUL(member.key, at: memberPath)
            switch member.value {
            case .null: continue
            case let .string(s): result[member.key] = try SodaObjectReader.withoutNUL(s, at: memberPath)
            default: throw SodaError.expected("a string or null", at: reader.path.appending(member.key), found: member.value)
            }
        }
        return result
    }
}
