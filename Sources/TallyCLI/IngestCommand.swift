import ArgumentParser
import Tally

extension TallyCommand {
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load data into the store.",
            subcommands: [CSV.self]
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
            try runReportingErrors {
                let store = try location.openForWriting()
                defer { try? store.close() }
                var failures = 0
                var lastFailure: (any Error)?
                for path in files {
                    let name = path == "-" ? "<stdin>" : path
                    do {
                        let bytes = try readInput(path)
                        if stderrIsTerminal && bytes.count > 8 << 20 {
                            printError("validating \(name) (\(bytes.count >> 20) MiB)…")
                        }
                        let receipt = try store.ingestCSV(bytes, fileName: name)
                        printOut("\(name): landed \(receipt.pointCount) points, \(receipt.newSeriesCount) new series (batch \(receipt.lsn))")
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
    }
}
