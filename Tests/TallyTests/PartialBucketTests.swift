import Foundation
import Testing
@testable import Tally
import TallyTestSupport

private typealias D = AnomalyTestData

/// Buckets at the edges of a range: the first one is whole, and a bucket still in progress at `now` is not judged.
@Suite struct PartialBucketTests {
    /// Hourly points for 40 days from midnight UTC, about 1,000 each with a daily cycle, and a store of them.
    static func hourlyStore(_ dir: TemporaryDirectory) throws -> (Store, [Int64]) {
        let midnight = D.start - 6 * D.hour
        let times = (0..<(40 * 24)).map { midnight + Int64($0) * D.hour }
        var noise = D.Noise(seed: 7)
        let values: [Double?] = times.indices.map { i in
            noise.count(1_000 + 300 * sin(Double(i % 24) / 24 * 2 * .pi), relative: 0.01)
        }
        return (try D.store(dir, [(D.key("events"), times, values)]), times)
    }

    /// `since 3d | bucket 1d` starts at the midnight before the cutoff: its first bucket holds 24 hours, not the
    /// hours after 10:00.
    @Test func aBucketAfterSinceStartsWithAWholeBucket() throws {
        let dir = TemporaryDirectory()
        let (store, times) = try Self.hourlyStore(dir)
        let now = times[30 * 24 + 10]   // 10:00 on day 30
        let s = try #require(try store.query("row_count | since 3d | bucket 1d count", now: now).series.first)
        #expect(s.times.first == times[27 * 24], "the first bucket starts at midnight of day 27")
        #expect(s.values.first == 24)
        #expect(s.values.last == 11, "today's bucket so far: 00:00 to 10:00")
        // A range shorter than its first bucket is kept: `since 1h | bucket 1d` counts the last hour.
        let hour = try #require(try store.query("row_count | since 1h | bucket 1d count", now: now).series.first)
        #expect(hour.values == [2], "10:00 - 1h = 09:00: the points at 09:00 and 10:00")
        // Without a bucket the range is as written.
        let plain = try #require(try store.query("row_count | since 3d", now: now).series.first)
        #expect(plain.times.first == times[27 * 24 + 10])
    }

    /// Today's `bucket 1d`, hours into the day, is a part of a day: its verdict is taken off with a reason, and
    /// `tally check` lists it as not judged instead of failing every morning. Yesterday's whole bucket is judged.
    @Test func aBucketInProgressIsNotJudged() throws {
        let dir = TemporaryDirectory()
        let (store, times) = try Self.hourlyStore(dir)
        let now = times[39 * 24 + 2]   // 02:00 on the last day
        let query = "row_count | since 20d | bucket 1d avg | anomalies"
        let s = try #require(try store.query(query, now: now).series.first)
        let last = s.count - 1
        #expect(s.times[last] == times[39 * 24])
        #expect(s.anomaly?[last] == false && s.expected.map { D.isNull($0[last]) } == true)
        #expect(s.reason(at: last) == "bucket in progress until \(D.text(times[39 * 24] + D.day)): not judged")
        #expect(s.expected.map { !D.isNull($0[last - 1]) } == true, "yesterday is judged")
        // `tally check` judges the latest bucket that has ended: yesterday, which is normal here.
        let report = try store.check("row_count | since 2d | bucket 1d avg", now: now)
        #expect(!report.failed && report.unjudged.isEmpty, "\(report.findings) \(report.unjudged)")
        // With no bucket ended in its range, the one in progress is listed as not judged, with its reason (it was
        // reported as having no point at all).
        let early = try store.check("row_count | since 1h | bucket 1d avg", now: now)
        #expect(!early.failed && early.withoutPoints.isEmpty, "\(early.withoutPoints)")
        #expect(early.unjudged.count == 1 && early.unjudged.first?.time == times[39 * 24], "\(early.unjudged)")
        #expect(early.unjudged.first?.reason == "bucket in progress until \(D.text(times[39 * 24] + D.day)): not judged")
        let walked = try store.check("row_count | since 1h | bucket 1d avg", now: now, limits: QueryLimits(), fullWalk: true)
        #expect(walked.unjudged.map(\.time) == early.unjudged.map(\.time) && walked.unjudged.first?.reason == early.unjudged.first?.reason,
                "the latest-point path and the full walk agree")
        // A collapse in yesterday's whole bucket fails the check, whatever the hour.
        let dir2 = TemporaryDirectory()
        let midnight = D.start - 6 * D.hour
        let times2 = (0..<(40 * 24)).map { midnight + Int64($0) * D.hour }
        let values2: [Double?] = times2.indices.map { i in i / 24 == 38 ? 100 : 1_000 + Double(i % 24) }
        let collapsed = try D.store(dir2, [(D.key("events"), times2, values2)])
        let failing = try collapsed.check("row_count | since 2d | bucket 1d avg", now: times2[39 * 24 + 2])
        #expect(failing.failed && failing.findings.first?.time == times2[38 * 24], "\(failing.findings) \(failing.unjudged)")
        // A range that ends at midnight ends with a whole day, which is judged.
        let untilMidnight = "row_count | since 20d | until \(D.text(times[39 * 24])) | bucket 1d avg | anomalies"
        let whole = try #require(try store.query(untilMidnight, now: now).series.first)
        #expect(whole.times.last == times[38 * 24])
        #expect(whole.expected.map { !D.isNull($0[whole.count - 1]) } == true, "\(whole.reason(at: whole.count - 1) ?? "")")
    }

    /// A first part day neither trains the model nor raises an alert: with a refractory period, a collapse the
    /// day after it still alerts (it would be held back as the same incident as the part day's flag).
    @Test func aFirstPartBucketRaisesNoAlertThatHoldsBackTheNext() throws {
        let dir = TemporaryDirectory()
        let midnight = D.start - 6 * D.hour
        let times = (0..<(40 * 24)).map { midnight + Int64($0) * D.hour }
        let values: [Double?] = times.indices.map { i in i / 24 == 31 ? 100 : 1_000 + Double(i % 24) }
        let store = try D.store(dir, [(D.key("events"), times, values)])
        let query = "row_count | between \(D.text(times[30 * 24 + 12])) and \(D.text(times[39 * 24])) | bucket 1d sum | anomalies refractory=3d"
        let s = try #require(try store.query(query, now: times[39 * 24] + D.day).series.first)
        #expect(s.times[0] == times[30 * 24] && s.anomaly?[0] == false)
        #expect(s.times[1] == times[31 * 24] && s.alert?[1] == true, "the collapse alerts: \(s.reason(at: 1) ?? "")")
    }

    /// A range that ends at noon cuts its last day in half, days after it: that half-day sum is not judged (it
    /// would be half the usual sum), as the result and its chart call it partial; `tally check` judges the day
    /// before, on both of its paths.
    @Test func aBucketTheRangeCutIsNotJudged() throws {
        let dir = TemporaryDirectory()
        let (store, times) = try Self.hourlyStore(dir)
        let now = times[39 * 24] + 5 * D.day
        let noon = D.text(times[38 * 24 + 12])
        let query = "row_count | since \(D.text(times[20 * 24])) | until \(noon) | bucket 1d sum"
        let result = try store.query(query + " | anomalies", now: now)
        let s = try #require(result.series.first)
        let last = s.count - 1
        #expect(s.times[last] == times[38 * 24] && result.inProgress?.endsAtNow == false)
        #expect(s.anomaly?[last] == false && s.expected.map { D.isNull($0[last]) } == true)
        #expect(s.reason(at: last) == "partial bucket (the range ends before it does, at \(D.text(times[39 * 24]))): not judged")
        #expect(s.expected.map { !D.isNull($0[last - 1]) } == true && s.anomaly?[last - 1] == false, "the day before is judged")
        for fullWalk in [false, true] {
            let report = try store.check(query, now: now, limits: QueryLimits(), fullWalk: fullWalk)
            #expect(!report.failed && report.unjudged.isEmpty, "fullWalk \(fullWalk): \(report.findings) \(report.unjudged)")
        }
        // A range that starts at noon begins with half a day: that one is not judged either, and the rest are.
        let fromNoon = "row_count | between \(D.text(times[20 * 24 + 12])) and \(D.text(times[39 * 24])) | bucket 1d sum | anomalies"
        let started = try store.query(fromNoon, now: now)
        let t = try #require(started.series.first)
        #expect(t.times.first == times[20 * 24] && started.partialFirst?.start == times[20 * 24])
        #expect(t.reason(at: 0) == "partial bucket (it began at \(D.text(times[20 * 24])), before the range): not judged")
        #expect(t.anomaly?[0] == false && t.expected.map { D.isNull($0[0]) } == true)
        #expect(t.anomaly?.dropFirst().contains(true) == false, "the whole days after it are normal")
        // A check whose range holds only two part days (from noon to the next morning) judges neither, on both paths.
        let twoHalves = "row_count | between \(D.text(times[37 * 24 + 12])) and \(D.text(times[38 * 24 + 6])) | bucket 1d sum"
        for fullWalk in [false, true] {
            let report = try store.check(twoHalves, now: now, limits: QueryLimits(), fullWalk: fullWalk)
            #expect(!report.failed && report.unjudged.count == 1, "fullWalk \(fullWalk): \(report.findings) \(report.unjudged)")
        }
        // The same half day in a range that ends at `now` is in progress, and not judged either.
        let morning = try store.check("row_count | since 3d | bucket 1d sum", now: times[38 * 24 + 12])
        #expect(!morning.failed, "\(morning.findings)")
    }
}
