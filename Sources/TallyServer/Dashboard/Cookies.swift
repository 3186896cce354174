/// Reading the `Cookie` header and writing `Set-Cookie` for the dashboard's session.
enum Cookies {
    /// The value of cookie `name` in a `Cookie` header (`a=1; b=2`), or nil. The first one wins.
    static func value(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2, String(pair[0]).trimmingSpaces == name else { continue }
            var value = String(pair[1]).trimmingSpaces
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            return value
        }
        return nil
    }

    /// The session cookie: readable by the server only (`HttpOnly`), sent over secure contexts only (`Secure`:
    /// HTTPS, or loopback, which browsers treat as secure), never on requests from other sites (`SameSite=Strict`).
    static func session(_ token: String, maxAgeSeconds: Int64) -> String {
        "\(DashboardSessions.cookieName)=\(token); Path=/; Max-Age=\(maxAgeSeconds); HttpOnly; Secure; SameSite=Strict"
    }

    /// Tells the browser to forget the session cookie.
    static var clearedSession: String {
        "\(DashboardSessions.cookieName)=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
    }
}
