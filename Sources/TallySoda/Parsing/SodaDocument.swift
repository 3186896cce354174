/// Entry points for raw Soda document bytes: token removal and kind detection.
public enum SodaDocument {
    /// The key of the Soda Cloud API token in request bodies.
    public static let tokenKey = "token"

    /// Returns the document's bytes with the top-level `token` removed, as canonical JSON (compact,
    /// keys sorted, numbers exactly as written; see ``SodaJSONWriter``). The result is equivalent JSON
    /// minus the token and is what Tally keeps as the raw document.
    ///
    /// - Throws: ``SodaError`` when the bytes are not JSON or not a JSON object.
    public static func strippingToken(_ bytes: [UInt8]) throws(SodaError) -> [UInt8] {
        let json = try SodaJSONParser.parse(bytes)
        return try strippingToken(json).canonicalBytes
    }

    /// The document without its top-level `token`.
    public static func strippingToken(_ json: SodaJSON) throws(SodaError) -> SodaJSON {
        guard case var .object(object) = json else {
            throw SodaError.expected("an object", at: .root, found: json)
        }
        object[tokenKey] = nil
        return .object(object)
    }

    /// The kind of a scan document from its `type` (`nil` type → `-srf` file).
    public static func kind(of json: SodaJSON) throws(SodaError) -> SodaDocumentKind {
        let reader = try SodaObjectReader(json, at: .root)
        switch reader["type"] {
        case nil, .null?: return .scanResultsFile
        case .string("sodaCoreInsertScanResults")?: return .insertPayload
        case let other?:
            throw SodaError.expected("\"sodaCoreInsertScanResults\" or no type", at: SodaJSONPath.root.appending("type"), found: other)
        }
    }
}
