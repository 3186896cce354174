import ArgumentParser
import Tally

extension TallyCommand {
    struct Compact: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge small and overlapping segments into large per-series blocks (a later write always wins).")

        @OptionGroup var location: StoreLocation

        func run() throws {
            try runReportingErrors {
                let store = try location.openForWriting()
                let report = try store.compact()
                try store.close()
                printOut(describe(report, verb: "compacted"))
            }
        }
    }

    struct Retain: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drop points older than a limit and reclaim their space.",
            discussion: "Example: tally retain --older-than 400d   or   tally retain --before 2024-01-01 'row_count{dataset=\"tmp\"}'")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Only these series (default: all).") var selector: String = ""
        @Option(help: "Drop points older than this duration before now (e.g. 400d, 18mo).") var olderThan: String?
        @Option(help: "Drop points before this time.") var before: String?

        func validate() throws {
            if (olderThan == nil) == (before == nil) { throw ValidationError("give exactly one of --older-than and --before") }
        }

        func run() throws {
            try runReportingErrors {
                let now = currentTimeMillis()
                let cutoff: Int64
                if let olderThan {
                    guard let duration = try? QueryDuration(parsing: olderThan) else {
                        throw CLIFailure(message: "--older-than: expected a duration like 400d or 18mo, found \(olderThan)", code: 2)
                    }
                    cutoff = duration.subtracted(from: now)
                } else {
                    cutoff = try parseInstant(before!, now: now, option: "--before")
                }
                // Keeping only points from now (or a future time) on drops every point: a typo (2030 for 2026,
                // 0d for 30d), not a policy.
                guard cutoff < now else {
                    let given = olderThan.map { "--older-than \($0)" } ?? "--before \(before!)"
                    throw CLIFailure(message: "\(given) is not in the past (\(TimeText.format(cutoff))): retain "
                                     + "would drop every point; to delete everything, use `tally delete`", code: 2)
                }
                let seriesSelector = try parseSelectorOrExit(selector)
                let store = try location.openForWriting()
                defer { try? store.close() }
                if !selector.isEmpty { try requireMatches(seriesSelector, text: selector, in: store) }
                let report = try store.retain(before: cutoff, selector: selector.isEmpty ? nil : seriesSelector)
                try store.close()
                printOut("dropped \(counted(report.pointsDropped, "point")) before \(TimeText.format(cutoff)); " + describe(report, verb: "rewrote"))
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete points: of a selector in a time range, or everything one batch (import or scan) wrote.")

        @OptionGroup var location: StoreLocation
        @Argument(help: "Which series.") var selector: String?
        @Option(help: "Only points at or after this time.") var since: String?
        @Option(help: "Only points before this time.") var until: String?
        @Option(name: .customLong("import"),
                help: "Delete everything this batch wrote and forget it (its id as `tally batches` lists it or `tally ingest` printed it).")
        var batch: UInt64?

        func validate() throws {
            if selector != nil && batch != nil {
                throw ValidationError("a SELECTOR and --import ID cannot be combined: --import deletes everything the batch wrote, in every series")
            }
            if selector == nil && batch == nil { throw ValidationError("give a SELECTOR or --import ID") }
            if batch != nil && (since != nil || until != nil) { throw ValidationError("--since and --until go with a SELECTOR") }
        }

        func run() throws {
            try runReportingErrors {
                let store = try location.openForWriting()
                defer { try? store.close() }
                let report: RewriteReport
                var forgot = ""
                if let batch {
                    // An id that names nothing exits 1, as for `tally scan` and `feedback remove`.
                    guard try store.importRecord(lsn: batch) != nil else {
                        throw CLIFailure(message: "no batch \(batch) in \(location.path): never written, or deleted (tally batches lists them)", code: 1)
                    }
                    report = try store.delete(batch: batch)
                    forgot = "forgot batch \(batch); "
                } else {
                    let now = currentTimeMillis()
                    let range = try timeRangeOptions(since: since, until: until, now: now)
                    let seriesSelector = try parseSelectorOrExit(selector!)
                    try requireMatches(seriesSelector, text: selector!, in: store)
                    report = try store.delete(seriesSelector, in: range)
                }
                printOut("deleted \(counted(report.pointsDropped, "point")); \(forgot)\(describe(report, verb: "rewrote"))")
            }
        }
    }
}

func describe(_ report: RewriteReport, verb: String) -> String {
    "\(verb) \(counted(report.segmentsRemoved, "segment")) into \(report.segmentsWritten) "
        + "(\(report.bytesBefore) → \(report.bytesAfter) bytes, \(counted(report.pointsAfter, "point")))"
}

/// The series `selector` (written `text`) matches in `store`; exits 2 when there are none: a misspelt metric or
/// label must not pass as "nothing to do".
@discardableResult
func requireMatches(_ selector: SeriesSelector, text: String, in store: Store, includingEmpty: Bool = false) throws -> [SeriesInfo] {
    let infos = store.series(matching: selector, includingEmpty: includingEmpty)
    if infos.isEmpty { throw CLIFailure(message: "\(text) matches no series", code: 2) }
    return infos
}

/// Parses a selector, printing a positioned error and exiting with code 2 when it is malformed.
func parseSelectorOrExit(_ text: String) throws -> SeriesSelector {
    do throws(QueryError) {
        return try parseSelector(text)
    } catch {
        printError(error.render(query: text))
        throw ExitCode(2)
    }
}
