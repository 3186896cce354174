import Tally

/// Prints a few queries over the demo store and their results, to show the query language at work.
func printDemoQueries(_ db: Store, summary: DemoStore.Summary, storePath: String) throws {
    let now = summary.to
    let queries = [
        #"row_count{dataset="orders"} | since 8w | bucket 1w avg"#,
        #"row_count{datasource="warehouse"} | change avg last 7 percent"#,
        #"check{datasource="warehouse"} | since 4d | outcomes | bucket 1d sum | where value > 0"#,
        #"missing_count{column="email"} | since 6w | bucket 1w max"#,
    ]
    for query in queries {
        printOut("")
        printOut("$ tally query --store \(storePath) '\(query)'")
        var text = try db.query(query, now: now).table()
        if text.hasSuffix("\n") { text.removeLast() }
        printOut(text)
    }
}
