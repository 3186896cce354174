import ArgumentParser
import Tally

extension TallyCommand {
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export points as CSV or JSON.")
        func run() throws {}
    }
    struct SeriesCommand: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "series", abstract: "List series.")
        func run() throws {}
    }
}
