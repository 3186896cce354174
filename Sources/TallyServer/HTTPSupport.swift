import Tally

/// A request as the API handlers see it: the body already read (within the limit).
struct APIRequest: Sendable {
    var method: String
    var path: String
    /// Query parameters, decoded (`+` is a space, `%XX` a byte); the first of repeated names wins here, and
    /// `/api/v1/` refuses a repeated name (``repeatedQueryNames``).
    var query: [String: String]
    /// The names given more than once in the query string, in order of their second appearance.
    var repeatedQueryNames: [String] = []
    /// `Authorization: Bearer …` or `X-API-Key: …`, when given.
    var credential: String?
    /// The media type of `Content-Type`, lowercased, without parameters.
    var contentType: String?
    var body: [UInt8]
    /// The request's headers by lowercased name; repeated headers are joined (`, `, or `; ` for `Cookie`).
    var headers: [String: String] = [:]
    /// Who sent it, once the credentials were checked (before the body was read, see `TallyServer.preflight`).
    var principal: Principal?

    init(method: String, path: String, query: [String: String] = [:], credential: String? = nil,
         contentType: String? = nil, body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.credential = credential
        self.contentType = contentType
        self.body = body
    }
}

/// A response before it becomes HTTP.
struct APIResponse: Sendable {
    var status: Int
    var contentType: String
    var body: [UInt8]
    var headers: [(String, String)] = []

    static func json(_ status: Int, _ text: String) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: Array(text.utf8))
    }

    static func json(_ status: Int, _ value: SodaJSON) -> APIResponse {
        APIResponse(status: status, contentType: "application/json", body: value.compactBytes)
    }

    /// `{"error": {"message": …, "line": …, "column": …, …}}`.
    static func error(_ status: Int, _ message: String, line: Int? = nil, column: Int? = nil,
                      extra: [(String, String)] = []) -> APIResponse {
        var fields = ["\"message\": " + JSONText.string(message)]
        if let line { fields.append("\"line\": \(line)") }
        if let column { fields.append("\"column\": \(column)") }
        for (name, value) in extra { fields.append(JSONText.string(name) + ": " + JSONText.string(value)) }
        return json(status, "{\"error\": {" + fields.joined(separator: ", ") + "}}")
    }

    static let unauthorized: APIResponse = {
        var r = error(401, "invalid or missing credentials")
        r.headers.append(("WWW-Authenticate", "Bearer realm=\"tally\""))
        return r
    }()

    /// The credentials could not be checked (the key catalog could not be read): 503, so that the client retries
    /// rather than looking for a bad key. The cause goes to the server's log, not to an unauthenticated client.
    static let credentialsUnchecked = error(503, "cannot check credentials now: the server could not read its key catalog; try again")
        .retryingAfter(seconds: 1)

    /// The same answer with `Retry-After` (for a 503 that a client should try again soon).
    func retryingAfter(seconds: Int) -> APIResponse {
        var r = self
        r.headers.append(("Retry-After", String(seconds)))
        return r
    }

    /// 405 with the methods the path takes in `Allow`.
    static func notAllowed(_ request: APIRequest, allow: String) -> APIResponse {
        var r = error(405, "\(request.method) is not allowed on \(request.path); it takes \(allow)")
        r.headers.append(("Allow", allow))
        return r
    }

    static func forbidden(_ what: String) -> APIResponse {
        error(403, "this API key has the read role; \(what) needs a key with the write role")
    }

    static func tooLarge(_ message: String) -> APIResponse { error(413, message) }
}

/// Reads `a=1&b=x+y%20z`.
func parseQueryString(_ text: String?) -> [String: String] {
    parseQueryParameters(text).values
}

/// Decodes `a=1&b=2` (also a form body): each name's first value, and the names given more than once.
func parseQueryParameters(_ text: String?) -> (values: [String: String], repeated: [String]) {
    guard let text, !text.isEmpty else { return ([:], []) }
    var out: [String: String] = [:]
    var repeated: [String] = []
    for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let name = percentDecode(parts[0])
        let value = parts.count > 1 ? percentDecode(parts[1]) : ""
        if out[name] == nil {
            out[name] = value
        } else if !repeated.contains(name) {
            repeated.append(name)
        }
    }
    return (out, repeated)
}

/// `+` → space, `%XX` → byte; malformed escapes are kept as they are; invalid UTF-8 is repaired.
func percentDecode(_ text: Substring) -> String {
    var bytes: [UInt8] = []
    let utf8 = Array(text.utf8)
    var i = 0
    func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    while i < utf8.count {
        let c = utf8[i]
        if c == UInt8(ascii: "+") {
            bytes.append(UInt8(ascii: " "))
            i += 1
        } else if c == UInt8(ascii: "%"), i + 2 < utf8.count, let h = hex(utf8[i + 1]), let l = hex(utf8[i + 2]) {
            bytes.append(h << 4 | l)
            i += 3
        } else {
            bytes.append(c)
            i += 1
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}

/// `{"a": "b", …}` from pairs.
func jsonObject(_ pairs: [Label]) -> String {
    "{" + pairs.map { JSONText.string($0.name) + ": " + JSONText.string($0.value) }.joined(separator: ", ") + "}"
}

/// A JSON number or `null` for a stored value.
func jsonValue(_ cell: Double) -> String {
    optionalValue(cell).map(JSONText.number) ?? "null"
}
