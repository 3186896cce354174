/// `top N by AGG` and `bottom N by AGG`.
enum RankStage {
    /// The `n` series with the largest (`top`) or smallest aggregate over all their points, in rank order.
    ///
    /// Series whose aggregate is null or NaN rank after all others; ties keep the input order.
    static func evaluate(_ input: [ResultSeries], n: Int, aggregate: Aggregate, top: Bool) -> [ResultSeries] {
        let scored = input.enumerated().map { (index: $0.offset, score: aggregate.apply($0.element.values)) }
        let ranked = scored.sorted { a, b in
            switch (a.score, b.score) {
            case let (x?, y?) where !x.isNaN && !y.isNaN:
                if x != y { return top ? x > y : x < y }
                return a.index < b.index
            case let (x?, _) where !x.isNaN:
                return true
            case let (_, y?) where !y.isNaN:
                return false
            default:
                return a.index < b.index
            }
        }
        return ranked.prefix(n).map { input[$0.index] }
    }
}
