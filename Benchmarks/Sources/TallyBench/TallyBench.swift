import ArgumentParser

/// `tally-bench`: measures Tally on the peer benchmark kit's workloads (see docs/performance.md).
///
/// Every subcommand prints one JSON object on stdout; progress and errors go to stderr.
@main
struct TallyBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-bench",
        abstract: "Benchmarks for the Tally store.",
        discussion: """
            peer         load the peer kit's dataset, then time queries (a), (b), (c) cold and warm
            scan-ingest  one durable write per scan, one point per series per scan
            open         time to open an existing store and answer its first query
            many-series  a store of 1M series of a few points: open time and index bytes per series
            replay       WAL replay rate of a crashed store whose head was never flushed
            anomaly      tally check (the default detector) over 10,000 series of a year of days
            read-range   a recent range of many series against their whole history, per read
            rolling      `rolling W AGG` over one long series, narrow to very wide windows
            csv          CSV parsing: an ordinary file, and one with a very wide header
            label-regex  selector regexes over 10,000 series keys: LabelPattern next to Swift's Regex
            Exit codes: 0 success, 1 failure (including a wrong query answer).
            """,
        subcommands: [Peer.self, ScanIngest.self, OpenStore.self, ManySeries.self, Replay.self, Anomaly.self, ReadRange.self,
                      Rolling.self, CSV.self, LabelRegex.self]
    )
}

/// How a subcommand prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    /// One JSON object on one line (what side_by_side.sh parses).
    case json
    /// The same fields, one per line, indented.
    case text
}

/// A failure the harness reports in words and with exit status 1.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Runs a subcommand's body: failures are printed to stderr as `tally-bench: error: …` and exit with status 1.
func runReportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let failure as BenchFailure {
        printError("tally-bench: error: \(failure)")
        throw ExitCode(1)
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("tally-bench: error: \(error)")
        throw ExitCode(1)
    }
}

/// Prints the result object in the chosen format.
func emit(_ result: JSONValue, format: OutputFormat) {
    switch format {
    case .json: printOut(result.rendered())
    case .text: printOut(result.renderedIndented())
    }
}
