import Testing
import TallyStorage

@Suite("time ranges from user bounds")
struct TimeRangeCheckedTests {
    @Test func aStartAtOrBeforeTheEndIsTheRangeBetweenThem() throws {
        #expect(try TimeRange(checkedFrom: 1_000, to: 2_000) == TimeRange(from: 1_000, to: 2_000))
        // Equal bounds: empty, not refused.
        #expect(try TimeRange(checkedFrom: 5, to: 5) == TimeRange(from: 5, to: 5))
        #expect(try TimeRange(checkedFrom: .min, to: .max) == .all)
    }

    @Test func aStartAfterTheEndIsRefusedWithBothBounds() {
        #expect(throws: ReversedTimeRangeError(lowerBound: 2_000, upperBound: 1_999)) {
            try TimeRange(checkedFrom: 2_000, to: 1_999)
        }
        #expect(throws: ReversedTimeRangeError(lowerBound: .max, upperBound: .min)) {
            try TimeRange(checkedFrom: .max, to: .min)
        }
    }

    @Test func theMessageNamesTheBoundsAsTheCallerDoes() {
        let error = ReversedTimeRangeError(lowerBound: 1_714_694_400_000, upperBound: 1_714_435_200_000)
        #expect(error.message(start: "--since", end: "--until")
                == "--since (2024-05-03T00:00:00Z) is after --until (2024-04-30T00:00:00Z): a time range cannot end before it starts")
        #expect(error.description
                == "the start (2024-05-03T00:00:00Z) is after the end (2024-04-30T00:00:00Z): a time range cannot end before it starts")
    }

    @Test func filterBoundsTheWrongWayRoundSelectNothing() {
        #expect(TimeRange(emptyIfReversedFrom: 2_000, to: 1_000) == TimeRange(from: 2_000, to: 2_000))
        #expect(!TimeRange(emptyIfReversedFrom: 2_000, to: 1_000).contains(1_500))
        #expect(TimeRange(emptyIfReversedFrom: .max, to: .min) == TimeRange(from: .max, to: .max))
        // Bounds the right way round are kept as they are.
        #expect(TimeRange(emptyIfReversedFrom: 1_000, to: 2_000) == TimeRange(from: 1_000, to: 2_000))
        #expect(TimeRange(emptyIfReversedFrom: 7, to: 7) == TimeRange(from: 7, to: 7))
    }
}
