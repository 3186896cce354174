/// The arguments the parser accepts, checked again for queries built in code (`Query`, `Stage` and `StageKind`
/// are public), so that a hand-made stage gets an error instead of trapping the executor. The rules are the
/// parser's; the wording is this file's own (the parser words its errors around the text it reads).
extension StageKind {
    /// The largest count a stage takes (`last`, `top`, `bottom`, `rolling`, `downsample`, `change … last N`).
    public static let maxCount = 1_000_000_000

    /// Throws when an argument breaks a rule the parser enforces; nothing for every stage the parser makes.
    func validate(at span: SourceSpan) throws(QueryError) {
        func count(_ n: Int, _ what: String, least: Int = 1) throws(QueryError) {
            guard n >= least, n <= Self.maxCount else {
                throw QueryError(.invalid, "\(what) must be a whole number from \(least) to \(Self.maxCount), not \(n)",
                                 at: span)
            }
        }
        func aggregate(_ a: Aggregate) throws(QueryError) {
            guard case .percentile(let p) = a else { return }
            guard p >= 0, p <= 100 else {
                throw QueryError(.invalid, "a percentile must be from 0 to 100, not \(p)", at: span)
            }
        }
        switch self {
        case .last(let n):
            try count(n, "the number of points of `last`")
        case .top(let n, let a), .bottom(let n, let a):
            try count(n, "the number of series of `top` and `bottom`")
            try aggregate(a)
        case .rolling(let n, let a):
            try count(n, "the window of `rolling`")
            try aggregate(a)
        case .downsample(let n):
            try count(n, "the number of points of `downsample`", least: 2)
        case .change(let c):
            switch c.baseline {
            case .average(let n), .minimum(let n), .maximum(let n):
                try count(n, "the number of earlier points of `change`")
            case .previous, .sameDayLastWeek: break
            }
        case .bucket(let b):
            guard Bucketing(width: b.width) != nil else {
                throw QueryError(.invalid, "a bucket width must be greater than zero and either calendar months/years "
                                 + "or a fixed length, not \(b.width)", at: span)
            }
            try aggregate(b.aggregate)
        case .agg(let a, _):
            try aggregate(a)
        case .since, .until, .between, .diff, .latest, .whereValue, .whereNull, .whereOutcome, .outcomes, .external:
            break
        }
    }
}
