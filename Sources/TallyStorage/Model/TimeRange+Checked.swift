/// A time range given the wrong way round: its start is after its end.
///
/// Thrown by ``TimeRange/init(checkedFrom:to:)``. Every place that takes a start and an end from a user (`--since`
/// and `--until`, `since=` and `until=`, `minScanTime` and `maxScanTime`) reports it in the same words, naming
/// the bounds as that user wrote them (``message(start:end:)``).
public struct ReversedTimeRangeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The start, in epoch milliseconds.
    public let lowerBound: Int64
    /// The end, in epoch milliseconds: before ``lowerBound``.
    public let upperBound: Int64

    public init(lowerBound: Int64, upperBound: Int64) {
        self.lowerBound = lowerBound
        self.upperBound = upperBound
    }

    /// `START (time) is after END (time): a time range cannot end before it starts`, with the caller's names
    /// for the bounds.
    ///
    /// - Parameters:
    ///   - start: What the start is called where it was given (`--since`, `since`).
    ///   - end: What the end is called there (`--until`, `until`, `now`).
    public func message(start: String, end: String) -> String {
        "\(start) (\(TimeText.format(lowerBound))) is after \(end) (\(TimeText.format(upperBound))): "
            + "a time range cannot end before it starts"
    }

    /// The message with the bounds called `the start` and `the end`.
    public var description: String { message(start: "the start", end: "the end") }
}

extension TimeRange {
    /// The range from `lowerBound` to `upperBound`, refusing one whose start is after its end.
    ///
    /// Equal bounds are an empty range, not an error: `since 5 until 5` selects nothing, as it says.
    ///
    /// - Throws: ``ReversedTimeRangeError`` with both bounds when `lowerBound > upperBound`.
    public init(checkedFrom lowerBound: Int64, to upperBound: Int64) throws(ReversedTimeRangeError) {
        guard lowerBound <= upperBound else {
            throw ReversedTimeRangeError(lowerBound: lowerBound, upperBound: upperBound)
        }
        self.init(from: lowerBound, to: upperBound)
    }

    /// The range from `lowerBound` to `upperBound`, or the empty range at `lowerBound` when they are the wrong way
    /// round: for bounds that are conditions on a time rather than a range asked for (a filter `t >= a AND t <= b`
    /// with `a > b` holds for no time; the answer is nothing, not an error).
    ///
    /// Never reversed, which the store's reads do not take.
    public init(emptyIfReversedFrom lowerBound: Int64, to upperBound: Int64) {
        self.init(from: lowerBound, to: Swift.max(lowerBound, upperBound))
    }
}
