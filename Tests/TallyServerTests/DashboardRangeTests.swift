import Foundation
import Tally
import TallyTestSupport
import Testing

@testable import TallyServer

/// The dataset page's `range`: one of the offered ones, ending now, or at the dataset's latest point when the
/// dataset has nothing in it (as the overview's sparklines do).
@Suite(.serialized) struct DashboardRangeTests {
    /// Days 1…11 of the Soda series: 2024-05-01 … 2024-05-11, at 06:00, data source `hist`, dataset `orders`.
    static func seedOldScans(_ store: Store) throws {
        for day in 1...11 { try store.ingestSoda(try SodaFixtures.day(day), source: "day\(day).json") }
    }

    static let page = "/dataset?datasource=hist&dataset=orders"

    @Test func aRangeThePageDoesNotOfferIsA400PageNamingTheOnesItDoes() async throws {
        let server = try await TestServer(seed: Self.seedOldScans)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        for (range, found) in [("2y", "found <code>2y</code>"), ("", "found nothing"), ("90", "found <code>90</code>"),
                               ("<b>", "found <code>&lt;b&gt;</code>")] {
            let answer = try await server.page(Self.page + "&" + formEncode([("range", range)]), cookie: cookie)
            #expect(answer.status == 400, "range=\(range)")
            #expect(answer.headers["content-type"] == "text/html; charset=utf-8")
            #expect(answer.text.contains("range must be one of 7d, 30d, 90d, 1y; " + found), "range=\(range): \(answer.text)")
            for offered in TallyServer.dashboardRanges {
                #expect(answer.text.contains("href=\"/dataset?datasource=hist&amp;dataset=orders&amp;range=\(offered)\""))
            }
            #expect(!answer.text.contains("<h2>Check outcomes</h2>"))
        }
        // Without `range`, 90 days.
        let plain = try await server.page(Self.page, cookie: cookie)
        #expect(plain.status == 200 && plain.text.contains("aria-current=\"page\">90d</a>"))
    }

    @Test func aDatasetWithNothingInTheRangeShowsTheRangeBeforeItsLatestScan() async throws {
        let server = try await TestServer(seed: Self.seedOldScans)
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        // The overview draws the series (its sparklines end at their latest points).
        let overview = try await server.page("/", cookie: cookie)
        #expect(overview.status == 200 && overview.text.contains("stroke-width=\"1.4\""))
        for (range, words, start) in [("90d", "90 days", "2024-02-11T06:00:00Z"), ("1y", "year", "2023-05-11T06:00:00Z"),
                                      ("7d", "7 days", "2024-05-04T06:00:00Z")] {
            let answer = try await server.page(Self.page + "&range=" + range, cookie: cookie)
            let html = answer.text
            #expect(answer.status == 200, "\(range)")
            #expect(html.contains("<p class=\"notice\">Nothing in the last \(words): the latest scan was on 2024-05-11 06:00 UTC; "
                                  + "showing the \(words) before it.</p>"), "\(range): \(html)")
            #expect(!html.contains("No data"), "\(range): a chart without points")
            #expect(html.contains("<h2>row_count</h2>") && html.contains("data-outcome=\"pass\""), "\(range)")
            // The charts' queries (and the links to them) name that range.
            let query = #"row_count{dataset="orders", datasource="hist"} | since \#(start) | anomalies"#
            #expect(html.contains(HTMLText.escape(HTMLText.url("/query", [("q", query)]))), "\(range): \(html)")
        }
        // The link opens the same chart in the query page.
        let query = #"row_count{dataset="orders", datasource="hist"} | since 2024-02-11T06:00:00Z | anomalies"#
        let opened = try await server.page(HTMLText.url("/query", [("q", query)]), cookie: cookie)
        #expect(opened.status == 200 && !opened.text.contains("No data") && opened.text.contains("2024-05-11 06:00 UTC"))
    }

    @Test func aDatasetWithRecentDataShowsTheRangeUpToNow() async throws {
        let now = currentTimeMillis()
        let day: Int64 = 86_400_000
        var csv = "time,metric,value,datasource,dataset\n"
        for k in 1...5 { csv += "\(TimeText.format(now - Int64(k) * day)),row_count,\(100 + k),shop,orders\n" }
        let server = try await TestServer(seed: { store in try store.ingestCSV(Array(csv.utf8), fileName: "recent.csv") })
        defer { Task { await server.stop() } }
        let cookie = try await server.sessionCookie(server.readKey)
        let answer = try await server.page("/dataset?datasource=shop&dataset=orders&range=30d", cookie: cookie)
        #expect(answer.status == 200)
        #expect(!answer.text.contains("class=\"notice\"") && !answer.text.contains("No data"), "\(answer.text)")
        let query = #"row_count{dataset="orders", datasource="shop"} | since 30d | anomalies"#
        #expect(answer.text.contains(HTMLText.escape(HTMLText.url("/query", [("q", query)]))), "\(answer.text)")
    }
}
