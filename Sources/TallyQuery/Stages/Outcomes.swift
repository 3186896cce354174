import TallyStorage

/// `outcomes [by (label, ...)]`: the number of check results of each outcome per scan time.
enum OutcomesStage {
    /// Counts, at each time where any input check point has an outcome, how many were pass, warn, fail and error.
    ///
    /// The output holds, per group (one group without `by`), one series per outcome, named `outcomes`, with the
    /// group's `by` labels plus `outcome` = `pass` | `warn` | `fail` | `error` (and `not_evaluated` when any
    /// point has it). All of a group's series share the same timestamps, with 0 where no check had that
    /// outcome, so they stack. Series without outcomes are ignored. Output is sorted by labels.
    static func evaluate(_ input: [ResultSeries], by: [String]?) -> [ResultSeries] {
        var groups: [Labels: [Int64: [Int]]] = [:]
        for s in input {
            guard let codes = s.outcomes else { continue }
            let key = s.labels.keeping(by ?? [])
            var counts = groups[key] ?? [:]
            for i in 0..<s.count {
                let code = Int(codes[i])
                guard (1...5).contains(code) else { continue }
                counts[s.times[i], default: [0, 0, 0, 0, 0, 0]][code] += 1
            }
            groups[key] = counts
        }
        var output: [ResultSeries] = []
        for (key, counts) in groups where !counts.isEmpty {
            let times = counts.keys.sorted()
            var outcomes: [CheckOutcome] = [.pass, .warn, .fail, .error]
            if times.contains(where: { counts[$0]![5] > 0 }) { outcomes.append(.notEvaluated) }
            for outcome in outcomes {
                var labels = key
                labels["outcome"] = outcome.name
                let values = times.map { Double(counts[$0]![Int(outcome.rawValue)]) }
                output.append(ResultSeries(metric: "outcomes", labels: labels, times: times, values: values))
            }
        }
        return output.sorted { $0.sortsBefore($1) }
    }
}
