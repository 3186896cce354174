import Tally

/// The dashboard's static files, served by Tally itself (no CDN, no external URL). They hold no data, so they are
/// served without a session (the sign-in page uses them too).
enum DashboardAssets {
    struct Asset: Sendable {
        var contentType: String
        var body: [UInt8]
        /// A strong validator: the SHA-256 of the body (first 16 hex digits), quoted.
        var etag: String
    }

    static func asset(_ contentType: String, _ text: String) -> Asset {
        let body = Array(text.utf8)
        return Asset(contentType: contentType, body: body, etag: "\"" + String(SHA256.hexHash(body).prefix(16)) + "\"")
    }

    /// The files by path.
    static let files: [String: Asset] = [
        "/assets/tally.css": asset("text/css; charset=utf-8", stylesheet),
        "/assets/favicon.svg": asset("image/svg+xml", favicon),
    ]

    /// How long browsers may reuse a file before asking again (with `If-None-Match`).
    static let cacheControl = "public, max-age=3600"

    /// The answer to `GET path`: the file, `304 Not Modified` when `If-None-Match` names its current ETag, or nil
    /// when there is no such file.
    static func response(path: String, ifNoneMatch: String?) -> APIResponse? {
        guard let asset = files[path] else { return nil }
        let headers = [("Cache-Control", cacheControl), ("ETag", asset.etag), ("X-Content-Type-Options", "nosniff")]
        // `*`, or any listed tag that is ours, strong or weak (`W/"…"`): GET compares tags weakly (RFC 9110 §13.1.2).
        if let ifNoneMatch, ifNoneMatch.split(separator: ",").contains(where: { tag in
            let t = String(tag).trimmingSpaces
            return t == "*" || t == asset.etag || t == "W/" + asset.etag
        }) {
            return APIResponse(status: 304, contentType: asset.contentType, body: [], headers: headers)
        }
        return APIResponse(status: 200, contentType: asset.contentType, body: asset.body, headers: headers)
    }

    static let favicon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#0072b2"/>\
        <path d="M3 12 L6 7 L9 9 L13 3" fill="none" stroke="#ffffff" stroke-width="1.6"/></svg>
        """

    static let stylesheet = """
        :root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#ffffff;--soft:#f6f8fa;--link:#0b5cad;\
        --pass:#59a14f;--warn:#edc948;--fail:#e15759;--error:#b07aa1;--none:#bab0ac}
        *{box-sizing:border-box}
        body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:var(--fg);\
        background:var(--bg);line-height:1.45;font-size:14px}
        a{color:var(--link);text-decoration:none}
        a:hover{text-decoration:underline}
        header.top{display:flex;align-items:center;gap:20px;padding:10px 24px;border-bottom:1px solid var(--line);background:var(--soft)}
        header.top .brand{font-weight:700;font-size:16px;color:var(--fg)}
        header.top nav{display:flex;gap:16px;flex:1}
        header.top form{margin:0}
        main{max-width:1240px;margin:0 auto;padding:16px 24px 48px}
        h1{font-size:22px;margin:8px 0 4px}
        h2{font-size:18px;margin:28px 0 8px;padding-bottom:4px;border-bottom:1px solid var(--line)}
        h3{font-size:15px;margin:18px 0 6px}
        .muted{color:var(--muted)}
        .crumbs{color:var(--muted);margin:0}
        table{border-collapse:collapse;width:100%;margin:6px 0 12px}
        th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
        th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
        td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
        th.num{text-align:right}
        .dataset{border:1px solid var(--line);border-radius:8px;padding:4px 16px 8px;margin:12px 0}
        .dataset h3 a{font-size:16px}
        .badge{display:inline-block;min-width:44px;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;\
        text-align:center;color:#fff;background:var(--none)}
        .badge.pass{background:var(--pass)}
        .badge.warn{background:var(--warn);color:#3b3000}
        .badge.fail{background:var(--fail)}
        .badge.error{background:var(--error)}
        .badge.anomaly{background:#d62728}
        .counts .badge{margin-right:4px}
        svg.sparkline{display:block}
        figure.chart{margin:12px 0 4px;overflow-x:auto}
        figure.chart svg{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
        .ranges a{margin-right:10px}
        @media (max-width:700px){main{padding:10px 10px 32px}header.top{flex-wrap:wrap;gap:8px 14px;padding:8px 10px}\
        table{display:block;overflow-x:auto;white-space:nowrap}.dataset{padding:4px 8px 8px}}
        .ranges a.current{font-weight:700;color:var(--fg)}
        form.query textarea{width:100%;min-height:70px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;\
        font-size:14px;padding:8px;border:1px solid var(--line);border-radius:6px}
        button,input[type=submit]{font:inherit;padding:6px 14px;border-radius:6px;border:1px solid #1f6feb;\
        background:#1f6feb;color:#fff;cursor:pointer}
        header.top button{background:transparent;color:var(--link);border-color:var(--line);padding:3px 10px}
        .error-box{border:1px solid var(--fail);background:#fff0f0;border-radius:6px;padding:10px 14px;margin:12px 0}
        .notice{border:1px solid var(--line);background:var(--soft);border-radius:6px;padding:8px 14px;margin:12px 0}
        .error-box pre{margin:6px 0 0;font-size:13px;white-space:pre;overflow-x:auto}
        .signin{max-width:420px;margin:60px auto;border:1px solid var(--line);border-radius:10px;padding:20px 24px}
        .signin input[type=password]{width:100%;font:inherit;padding:7px;border:1px solid var(--line);border-radius:6px;margin:6px 0 12px}
        .examples code{background:var(--soft);padding:1px 5px;border-radius:4px}
        pre.raw{background:var(--soft);padding:8px;border-radius:6px;overflow-x:auto}
        """
}
