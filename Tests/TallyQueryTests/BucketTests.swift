import TallyStorage
import TallyEncoding
import Testing
@testable import TallyQuery

@Suite struct BucketTests {
    @Test func dayBucketsStartAtUTCMidnight() throws {
        let src = FakeDataSource()
        src.add("m", times: [utc(2024, 5, 1, 23, 59, 59, 999), utc(2024, 5, 2), utc(2024, 5, 2, 12), utc(2024, 5, 3, 0, 0, 0, 1)],
                values: [1, 10, 20, 5])
        let r = try run("m | bucket 1d sum", src)
        #expect(r.series.count == 1)
        #expect(r.series[0].times == [utc(2024, 5, 1), utc(2024, 5, 2), utc(2024, 5, 3)])
        #expect(r.series[0].values == [1, 30, 5])
    }

    @Test func hourBucketsAndNegativeTimes() throws {
        let src = FakeDataSource()
        src.add("m", times: [-HOUR - 1, -1, 0, 30 * 60_000], values: [1, 2, 3, 4])
        let r = try run("m | bucket 1h max", src)
        #expect(r.series[0].times == [-2 * HOUR, -HOUR, 0])
        #expect(r.series[0].values == [1, 2, 4])
    }

    @Test func weeksStartOnMonday() throws {
        let src = FakeDataSource()
        // 2024-04-28 is a Sunday, 2024-04-29 a Monday, 2024-05-05 a Sunday, 2024-05-06 a Monday.
        src.add("m", times: [utc(2024, 4, 28, 23), utc(2024, 4, 29), utc(2024, 5, 5, 23, 59), utc(2024, 5, 6, 1)],
                values: [1, 2, 3, 4])
        let r = try run("m | bucket 1w sum", src)
        #expect(r.series[0].times == [utc(2024, 4, 22), utc(2024, 4, 29), utc(2024, 5, 6)])
        #expect(r.series[0].values == [1, 5, 4])
        // Two-week buckets are also Monday-aligned.
        let two = try run("m | bucket 2w count", src)
        #expect(two.series[0].times.allSatisfy { CivilCalendar.floorMod(CivilCalendar.floorDiv($0, DAY) + 3, 7) == 0 })
        #expect(two.series[0].values.reduce(0, +) == 4)
    }

    @Test func monthsStartOnTheFirst() throws {
        let src = FakeDataSource()
        src.add("m", times: [utc(2024, 1, 31, 23), utc(2024, 2, 1), utc(2024, 2, 29, 23, 59), utc(2024, 3, 1), utc(2024, 12, 31)],
                values: [1, 2, 3, 4, 5])
        let r = try run("m | bucket 1mo sum", src)
        #expect(r.series[0].times == [utc(2024, 1, 1), utc(2024, 2, 1), utc(2024, 3, 1), utc(2024, 12, 1)])
        #expect(r.series[0].values == [1, 5, 4, 5])
        let quarters = try run("m | bucket 3mo sum", src)
        #expect(quarters.series[0].times == [utc(2024, 1, 1), utc(2024, 10, 1)])
        #expect(quarters.series[0].values == [10, 5])
        let years = try run("m | bucket 1y count", src)
        #expect(years.series[0].times == [utc(2024, 1, 1)])
        #expect(years.series[0].values == [5])
    }

    @Test func nullsAreSkippedAndAllNullBucketsSayWhy() throws {
        let src = FakeDataSource()
        src.add("m", times: [utc(2024, 5, 1, 1), utc(2024, 5, 1, 2), utc(2024, 5, 2, 1)], values: [NULL, 4, NULL])
        let avg = try run("m | bucket 1d avg", src).series[0]
        #expect(avg.optionalValues == [4, nil])
        #expect(avg.reason(at: 1) == "all values in the bucket are null")
        let count = try run("m | bucket 1d count", src).series[0]
        #expect(count.values == [1, 0])
    }

    func gappy() -> FakeDataSource {
        let src = FakeDataSource()
        // Days 1, 2 (null), 5 of May; days 3 and 4 are absent.
        src.add("m", times: [utc(2024, 5, 1, 6), utc(2024, 5, 2, 6), utc(2024, 5, 5, 6)], values: [10, NULL, 40])
        return src
    }

    @Test func withoutFillEmptyBucketsAreAbsent() throws {
        let s = try run("m | bucket 1d last", gappy()).series[0]
        #expect(s.times == [utc(2024, 5, 1), utc(2024, 5, 2), utc(2024, 5, 5)])
    }

    @Test func fillZeroAndNull() throws {
        let zero = try run("m | bucket 1d last fill zero", gappy()).series[0]
        #expect(zero.times == (1...5).map { utc(2024, 5, $0) })
        #expect(zero.optionalValues == [10, nil, 0, 0, 40])   // the null bucket had a point: it is not filled
        let null = try run("m | bucket 1d last fill null", gappy()).series[0]
        #expect(null.optionalValues == [10, nil, nil, nil, 40])
        #expect(null.reason(at: 2) == "no points in this bucket")
    }

    @Test func fillPrevious() throws {
        let s = try run("m | bucket 1d last fill previous", gappy()).series[0]
        #expect(s.optionalValues == [10, nil, 10, 10, 40])
    }

    @Test func fillLinear() throws {
        let s = try run("m | bucket 1d last fill linear", gappy()).series[0]
        // Between day 1 (10) and day 5 (40): 30 over 4 days.
        #expect(s.optionalValues == [10, nil, 25, 32.5, 40])
    }

    @Test func fillRunsOverTheQueryRangeWhenGiven() throws {
        let src = gappy()
        let s = try run("m | between 2024-04-29 and 2024-05-08 | bucket 1d last fill zero", src).series[0]
        #expect(s.times == (0..<9).map { utc(2024, 4, 29) + Int64($0) * DAY })
        #expect(s.optionalValues == [0, 0, 10, nil, 0, 0, 40, 0, 0])
        // Edges: previous has nothing before the first bucket, linear nothing after the last.
        let p = try run("m | between 2024-04-30 and 2024-05-07 | bucket 1d last fill previous", src).series[0]
        #expect(p.optionalValues == [nil, 10, nil, 10, 10, 40, 40])
        #expect(p.reason(at: 0) == "no earlier bucket to carry forward")
        let l = try run("m | between 2024-04-30 and 2024-05-07 | bucket 1d last fill linear", src).series[0]
        #expect(l.optionalValues == [nil, 10, nil, 25, 32.5, 40, nil])
        // `since` alone fills up to the bucket holding `now`.
        let n = try run("m | since 2024-05-04 | bucket 1d max fill zero", src, now: utc(2024, 5, 7, 12)).series[0]
        #expect(n.times == [utc(2024, 5, 4), utc(2024, 5, 5), utc(2024, 5, 6), utc(2024, 5, 7)])
        #expect(n.values == [0, 40, 0, 0])
    }

    @Test func fillOfAnEmptySeriesOverARange() throws {
        let src = FakeDataSource()
        src.add("m", times: [], values: [])
        let s = try run("m | between 2024-05-01 and 2024-05-03 | bucket 1d count fill zero", src).series[0]
        #expect(s.times == [utc(2024, 5, 1), utc(2024, 5, 2)] && s.values == [0, 0])
        #expect(try run("m | bucket 1d count fill zero", src).series[0].count == 0)
    }

    @Test func fillLimit() throws {
        let src = gappy()
        #expect(throws: QueryError.self) {
            try run("m | bucket 1s last fill zero", src, limits: QueryLimits(maxFilledPoints: 1000))
        }
        do {
            _ = try run("m | bucket 1s last fill zero", src, limits: QueryLimits(maxFilledPoints: 1000))
        } catch let e as QueryError {
            #expect(e.kind == .limitExceeded && e.column == 5)
        }
    }

    @Test func storageFastPathIsUsedAndFilled() throws {
        let src = gappy()
        src.bucketAnswer = { _, from, to, bucketing, aggregate in
            #expect(aggregate == .sum)
            #expect(bucketing.width == QueryDuration(milliseconds: DAY))
            #expect(from == utc(2024, 5, 1) && to == utc(2024, 5, 4))
            return SeriesColumns(times: [utc(2024, 5, 1), utc(2024, 5, 3)], values: [7, 9])
        }
        let s = try run("m | between 2024-05-01 and 2024-05-04 | bucket 1d sum fill zero", src).series[0]
        #expect(src.bucketCalls == 1 && src.reads.isEmpty)
        #expect(s.values == [7, 0, 9])
        // A null bucket from storage says why, as one computed here would.
        src.bucketAnswer = { _, _, _, _, _ in SeriesColumns(times: [utc(2024, 5, 2)], values: [NULL]) }
        let nullBucket = try run("m | bucket 1d avg", src).series[0]
        #expect(nullBucket.value(at: 0) == nil && nullBucket.reason(at: 0) == "all values in the bucket are null")
        #expect(src.bucketCalls == 2)
        // Not for aggregates that block statistics cannot give.
        _ = try run("m | bucket 1d p90", src)
        #expect(src.bucketCalls == 2 && src.reads.count == 1)
        // Declining falls back to reading points.
        src.bucketAnswer = nil
        let fallback = try run("m | bucket 1d sum", src).series[0]
        #expect(fallback.optionalValues == [10, nil, 40])   // the sum of a bucket holding only a null is null
    }
}

/// The last bucket of a result may not have ended when the query ran: the week so far, on a Wednesday.
@Suite struct InProgressBucketTests {
    /// Daily points from Monday 2024-05-06 to Wednesday 2024-05-22 at noon.
    func daily() -> FakeDataSource {
        let src = FakeDataSource()
        let times = (0..<17).map { utc(2024, 5, 6, 12) + Int64($0) * DAY }
        src.add("m", times: times, values: times.map { _ in 1 })
        return src
    }

    @Test func theBucketHoldingNowIsInProgress() throws {
        let now = utc(2024, 5, 22, 18)   // a Wednesday
        let r = try run("m | since 30d | bucket 1w sum", daily(), now: now)
        let bucket = try #require(r.inProgress)
        #expect(bucket.start == utc(2024, 5, 20) && bucket.end == utc(2024, 5, 27) && bucket.width.description == "1w")
        #expect(r.series[0].values == [7, 7, 3], "the last week holds three days so far")
        let json = r.json()
        #expect(json.ranges(of: "\"in_progress\":true").count == 1)
        #expect(json.contains(#"{"time":"2024-05-20T00:00:00Z","value":3.0,"in_progress":true}"#))
        // A table says so under it; CSV keeps its columns (the CLI writes the note to standard error).
        let note = "the last 1w bucket (from 2024-05-20T00:00:00Z) is in progress until 2024-05-27T00:00:00Z: its values hold only part of it"
        #expect(r.inProgressNote == note)
        #expect(r.table().hasSuffix("\nnote: " + note + "\n"), "\(r.table())")
        #expect(!r.csv().contains("note"))
        let cut = try run("m | between 2024-05-06 and 2024-05-15 | bucket 1w sum", daily(), now: now)
        #expect(cut.inProgressNote?.hasSuffix("was cut by the range's end: its values hold only part of it") == true)
        #expect(try run("m | since 30d", daily(), now: now).inProgressNote == nil)
    }

    /// A start written as a time is kept, so its first bucket may hold only part of its time: the result names it,
    /// JSON marks its point `partial`, and a table notes it. A relative start is moved to a bucket's start: none.
    @Test func aRangeStartingInsideABucketMakesItsFirstBucketPartial() throws {
        let now = utc(2024, 6, 1)
        let r = try run("m | between 2024-05-08 and 2024-05-20 | bucket 1w sum", daily(), now: now)
        let first = try #require(r.partialFirst)
        #expect(first.start == utc(2024, 5, 6) && first.end == utc(2024, 5, 13) && first.cutAtStart && !first.endsAtNow)
        #expect(r.series[0].values == [5, 7], "Wednesday to Sunday, then a whole week")
        #expect(r.json().contains(#"{"time":"2024-05-06T00:00:00Z","value":5.0,"partial":true}"#), "\(r.json())")
        #expect(r.inProgressNote == "the first 1w bucket (from 2024-05-06T00:00:00Z) began before the range: its values hold only part of it")
        #expect(try run("m | between 2024-05-06 and 2024-05-20 | bucket 1w sum", daily(), now: now).partialFirst == nil,
                "a range that starts on a bucket's start")
        #expect(try run("m | since 20d | bucket 1w sum", daily(), now: utc(2024, 5, 22, 18)).partialFirst == nil,
                "a relative start is moved to its bucket's start")
        #expect(try run("m | between 2024-05-08 and 2024-05-10 | bucket 1w sum", daily(), now: now).partialFirst == nil,
                "a range within one bucket: that bucket is the last, cut at its end")
    }

    @Test func aRangeEndingInsideABucketLeavesItInProgress() throws {
        let src = daily()
        let cut = try run("m | between 2024-05-06 and 2024-05-15 | bucket 1w sum", src, now: utc(2024, 6, 1))
        #expect(cut.inProgress?.start == utc(2024, 5, 13))
        // Cut by the range, not in progress: JSON tells the two apart.
        #expect(cut.json().contains(#""partial":true"#) && !cut.json().contains("in_progress"))
        // A range that ends where a bucket ends leaves none in progress, as does now at a bucket's end.
        #expect(try run("m | between 2024-05-06 and 2024-05-13 | bucket 1w sum", src, now: utc(2024, 6, 1)).inProgress == nil)
        #expect(try run("m | bucket 1d sum", src, now: utc(2024, 5, 23) - 1).inProgress == nil)
        // A point at now is read, so the bucket that starts at now holds it and is in progress.
        #expect(try run("m | bucket 1d sum", src, now: utc(2024, 5, 23)).inProgress?.start == utc(2024, 5, 23))
    }

    /// `since 10d` on Wednesday the 22nd at 18:00 starts on Sunday the 12th at 18:00; the first week, of the 6th, is
    /// read whole when the `bucket` comes right after the range or after stages that keep each point's time.
    @Test func theFirstBucketIsWholeAlsoAfterStagesThatKeepTimes() throws {
        let now = utc(2024, 5, 22, 18)
        for query in ["m | since 10d | bucket 1w sum", "m | since 10d | where value > 0 | bucket 1w sum",
                      "m | since 10d | agg sum | bucket 1w sum"] {
            let r = try run(query, daily(), now: now)
            #expect(r.series.first?.values == [7, 7, 3], "\(query)")
        }
        // A stage that combines points across time ends the rule: the range starts on the 12th at 18:00, so the
        // first point read is the 13th's, in the week of the 13th.
        let rolled = try run("m | since 10d | rolling 2 sum | bucket 1w sum", daily(), now: now)
        #expect(rolled.series.first?.times.first == utc(2024, 5, 13))
    }

    @Test func pointsAfterTheBucketMeanItsTimeDidNotEndThere() throws {
        // No range: the read goes past now (points stored for later days), so the week holding now is not the end.
        let r = try run("m | bucket 1w sum", daily(), now: utc(2024, 5, 8, 12))
        #expect(r.inProgress == nil)
        #expect(try run("m | bucket 1w sum", daily(), now: utc(2024, 5, 22, 18)).inProgress?.endsAtNow == true)
        // A range that ends in the past cuts its last bucket: partial, not in progress.
        let cut = try run("m | between 2024-05-06 and 2024-05-15T12:00 | bucket 1d sum", daily(), now: utc(2024, 6, 1))
        #expect(cut.inProgress?.endsAtNow == false && cut.inProgress?.start == utc(2024, 5, 15))
    }

    @Test func onlyTheLastBucketStageCountsAndNoneWithoutOne() throws {
        let src = daily()
        let now = utc(2024, 5, 22, 18)
        #expect(try run("m | since 30d", src, now: now).inProgress == nil)
        #expect(try run("m | since 30d | bucket 1d sum | bucket 1w max", src, now: now).inProgress?.width.description == "1w")
        #expect(try run("m | since 30d | bucket 1mo sum", src, now: now).inProgress?.start == utc(2024, 5, 1))
        #expect(!(try run("m | since 30d", src, now: now).json().contains("in_progress")))
    }
}
