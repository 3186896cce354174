import ArgumentParser
import Tally

extension TallyCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load data into the store.",
            subcommands: [CSV.self, JSON.self, Soda.self]
        )
    }
}

extension TallyCommand.Ingest {
    struct CSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "csv",
            abstract: "Load CSV files of points (columns time, metric, value, optional outcome; others are labels).",
            discussion: """
                Each file is validated whole and lands atomically, or not at all; with several files each stands \
                alone and the command says which landed. `-` reads standard input.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "CSV files to load (`-` for standard input).") var files: [String]

        func run() throws {
            try ingestPointFiles(files, into: location) { bytes, name throws(StoreError) in
                try Store.parseCSV(bytes, fileName: name)
            }
        }
    }

    struct JSON: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "json",
            abstract: "Load JSON files of points: what `tally export --format json` writes.",
            discussion: """
                {"series": [{"metric": "row_count", "labels": {"dataset": "orders"}, "points": [{"time": \
                "2024-05-01T06:00:00Z", "value": 1204.0, "outcome": "pass"}]}]}. `value` is a number, null, or \
                "NaN", "Infinity", "-Infinity"; `time` ISO 8601 or epoch milliseconds; `outcome` makes a check \
                series; other point fields (reason, expected, …) are ignored. Each file lands whole or not at all.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "JSON files to load (`-` for standard input).") var files: [String]

        func run() throws {
            try ingestPointFiles(files, into: location) { bytes, name throws(StoreError) in
                try Store.parsePointsJSON(bytes, fileName: name)
            }
        }
    }
}

/// Loads each file as one batch (validated whole first), saying which landed; exit 2 when one was bad input,
/// 1 for another failure. The store is opened at the first valid file: a command whose files are all bad leaves
/// no new store behind.
func ingestPointFiles(_ files: [String], into location: StoreLocation,
                      parse: ([UInt8], String) throws(StoreError) -> ParsedFile) throws {
    try runReportingErrors {
        let store = LazyStore(location)
        defer { store.close() }
        var failures = 0
        var lastFailure: (any Error)?
        for path in files {
            let name = path == "-" ? "<stdin>" : path
            do {
                let bytes = try readInput(path)
                if stderrIsTerminal && bytes.count > 8 << 20 {
                    printError("validating \(name) (\(bytes.count >> 20) MiB)…")
                }
                let file = try parse(bytes, name)
                let receipt = try store.open().ingestPoints(file)
                printOut("\(name): landed \(counted(receipt.pointCount, "point")), \(receipt.newSeriesCount) new series (batch \(receipt.lsn))")
            } catch let error as LazyStore.OpenFailure {
                throw error.underlying
            } catch {
                failures += 1
                lastFailure = error
                printError("\(name): not loaded: \(error)")
            }
        }
        if failures > 0 {
            if let error = lastFailure as? StoreError, case .invalid = error { throw ExitCode(2) }
            if lastFailure is InputError { throw ExitCode(2) }
            throw ExitCode(1)
        }
    }
}

extension TallyCommand.Ingest {
    struct Soda: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "soda",
            abstract: "Load Soda Core scan results (`soda scan -srf FILE` output or a Soda Cloud insert payload).",
            discussion: """
                Each document becomes one batch: a measurement series per metric, a check series per check, at the \
                scan's data timestamp; the document itself is kept (without its token) and `tally scan ID --raw` \
                gives it back. Sending the same document again changes nothing (unless its scan was deleted with \
                `tally delete --import`). `-` reads standard input.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "Scan result files (`-` for standard input).") var files: [String]

        func run() throws {
            try runReportingErrors {
                let store = LazyStore(location)
                defer { store.close() }
                var failure: (any Error)?
                for path in files {
                    let name = path == "-" ? "<stdin>" : path
                    do {
                        let scan = try Store.parseSoda(try readInput(path), source: name)
                        let receipt = try store.open().ingestSoda(scan, source: name)
                        if receipt.isDuplicate {
                            printOut("\(name): already stored as scan \(receipt.lsn); nothing changed")
                        } else {
                            printOut("\(name): scan \(receipt.lsn) (\(scan.definitionName ?? "no definition"), data time \(TimeText.format(scan.timeMilliseconds))): \(counted(scan.measurements.count, "metric")), \(counted(scan.checks.count, "check")), \(receipt.newSeriesCount) new series")
                        }
                    } catch let error as LazyStore.OpenFailure {
                        throw error.underlying
                    } catch {
                        failure = error
                        printError("\(name): not loaded: \(error)")
                    }
                }
                if let failure {
                    if let error = failure as? StoreError, case .invalid = error { throw ExitCode(2) }
                    throw ExitCode(1)
                }
            }
        }
    }
}

/// The store an ingest writes to, opened (or created) when the first valid file is about to land.
private final class LazyStore {
    /// The store could not be opened: the whole command stops (every file would fail the same way).
    struct OpenFailure: Error {
        var underlying: any Error
    }

    private let location: StoreLocation
    private var store: Store?

    init(_ location: StoreLocation) { self.location = location }

    func open() throws -> Store {
        if let store { return store }
        do {
            let opened = try location.openOrCreateForWriting()
            store = opened
            return opened
        } catch {
            throw OpenFailure(underlying: error)
        }
    }

    func close() { try? store?.close() }
}
