import ArgumentParser
import Tally
import TallyCharts
#if canImport(Glibc)
import Glibc
#endif

extension TallyCommand {
    struct ChartCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "chart",
            abstract: "Draw a query's result as a trend chart: SVG, HTML, JSON or Vega-Lite (see docs/charts.md).",
            discussion: """
                The extension of --output picks the format: .svg, .html, .json or .vl.json.
                Example: tally chart 'row_count{dataset="orders"} | since 90d' --output orders.svg
                Outcome counts: tally chart 'check | since 30d | outcomes' --output checks.html
                A query error or an unknown extension exits with code 2.
                """
        )

        @OptionGroup var location: StoreLocation
        @Argument(help: "The query.") var query: String
        @Option(help: "The figure's width in pixels (240 to 10000).") var width: Int = 800
        @Option(help: "The height of one chart in pixels (160 to 10000).") var height: Int = 320
        @Option(name: [.short, .long], help: "The file to write: .svg, .html, .json or .vl.json.") var output: String
        @Option(help: nowOptionHelp) var now: String?

        func validate() throws {
            guard (240...10_000).contains(width) else { throw ValidationError("--width must be between 240 and 10000 pixels") }
            guard (160...10_000).contains(height) else { throw ValidationError("--height must be between 160 and 10000 pixels") }
        }

        func run() throws {
            try runReportingErrors {
                guard let format = ChartFormat(path: output) else {
                    throw CLIFailure(message: "--output \(output): unknown chart format; the file name must end in "
                                     + ".svg, .html, .json or .vl.json", code: 2)
                }
                let store = try location.openForReading()
                let result = try runQuery(query, on: store, now: now)
                let spec = store.chartSpec(for: result, title: query, width: width, height: height)
                let chart = Chart(result, spec: spec)
                try writeChartFile(output, chart.render(format))
                let what = chart.kind == .empty ? "an empty chart (the query returned no points)"
                    : "\(chart.kind == .outcomes ? "an outcome" : "a line") chart, \(chart.subtitle)"
                printOut("wrote \(output): \(what), \(chart.width)×\(chart.height) px")
            }
        }
    }
}

/// Writes a text file whole (through a temporary file renamed into place, so a reader never sees half of it).
func writeChartFile(_ path: String, _ text: String) throws {
    let temporary = path + ".tmp"
    do throws(IOError) {
        let file = try File.openForWriting(temporary, create: true, truncate: true)
        try file.write(Array(text.utf8), at: 0)
        try file.sync()
        try Directory.renameDurably(temporary, path)
    } catch {
        try? Directory.remove(temporary)
        throw CLIFailure(message: "cannot write \(path): \(String(cString: strerror(error.errno)))", code: 1)
    }
}
