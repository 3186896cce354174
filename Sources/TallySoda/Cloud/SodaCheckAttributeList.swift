extension SodaCheckAttributeDefinition {
    /// Reads an organisation's check attributes: a JSON array of `{"name", "type", "allowedValues"?, "label"?}`
    /// objects, or Soda Cloud's own answer to `sodaCoreAvailableCheckAttributes` (`{"results": [...]}`), so a list
    /// exported from Soda Cloud can be used as it is.
    ///
    /// - Throws: ``SodaError`` with the line and column of bad JSON, or the JSON path of a bad definition (a
    ///   missing name or type, a name given twice, allowed values that are not an array).
    public static func parseList(_ bytes: [UInt8]) throws(SodaError) -> [SodaCheckAttributeDefinition] {
        let document = try SodaJSONParser.parse(bytes)
        var path = SodaJSONPath.root
        var list = document
        if case let .object(object) = document {
            path = path.appending("results")
            guard let results = object["results"] else {
                throw SodaError.expected("an array of check attributes, or an object with one under \"results\"",
                                         at: .root, found: document)
            }
            list = results
        }
        guard case let .array(elements) = list else {
            throw SodaError.expected("an array of check attributes", at: path, found: list)
        }
        var out: [SodaCheckAttributeDefinition] = []
        var seen: Set<String> = []
        for (i, element) in elements.enumerated() {
            let reader = try SodaObjectReader(element, at: path.appending(i))
            let name = try reader.string("name")
            guard !name.isEmpty else { throw SodaError.invalid(reader.path.appending("name"), "the name is empty") }
            guard seen.insert(name).inserted else {
                throw SodaError.invalid(reader.path.appending("name"), "check attribute \(SodaJSON.string(name).shortDescription) is defined twice")
            }
            let type = try reader.string("type")
            guard !type.isEmpty else { throw SodaError.invalid(reader.path.appending("type"), "the type is empty") }
            out.append(SodaCheckAttributeDefinition(name: name, type: type,
                                                    allowedValues: try reader.optionalArray("allowedValues"),
                                                    label: try reader.optionalString("label")))
        }
        return out
    }
}
