import Testing
@testable import TallyAnalysis

/// The record rule for jumps (`jump_record=N`, round 7, §3.9): a jump flag the likelihood gate holds back alerts
/// anyway when its surprise is beyond every surprise of the last N judged points.
@Suite struct JumpRecordTests {
    static let gate = "sensitivity=3.5 local=4.5 likelihood=strict"
    /// About nine of the gauge's usual moves, a third of its band's half-width.
    static let spike = 5.0

    /// A smooth five-minute gauge that wanders (AR(1), φ = 0.995, its own σ about 5) with a little independent
    /// noise: successive values are close, so the local view is sharp, and the baseline's band is wide, so the
    /// series is often a little surprising and the gate's ten-point mean seldom stands out.
    static func wanderingGauge(seed: UInt64, count: Int) -> [Double] {
        var g = SeriesMaker(seed: seed)
        var w = 0.0
        return (0..<count).map { _ in
            w = 0.995 * w + 0.5 * g.gaussian()
            return 50 + w + 0.2 * g.gaussian()
        }
    }

    @Test func slidingMaximumMatchesTheMaximumOfTheWindow() {
        var rng = SplitMix64(seed: 5)
        for window in [1, 2, 3, 7, 100] {
            var m = SlidingMaximum(window: window)
            var all: [Double] = []
            #expect(m.maximum == 0)
            for k in 0..<1_000 {
                // Runs of falling values fill the window with positions the deque must keep.
                let x = k % 50 < 25 ? Double(1_000 - k) : (rng.nextUnit() * 100).rounded()
                m.append(x)
                all.append(x)
                #expect(m.maximum == all.suffix(window).max()!, "window \(window) after \(k + 1) values")
            }
            #expect(m.count == 1_000)
        }
    }

    @Test func aRecordJumpAlertsThroughTheGate() throws {
        // A one-point spike of 5 on the wandering gauge: far beyond its usual moves and, in most seeds, inside its
        // band, so a jump. Without the rule the gate holds such a jump back in most seeds; with it, the spike alerts
        // in every seed, and nothing else changes.
        var jumps = 0, heldWithout = 0
        for seed in UInt64(1)...5 {
            var values = Self.wanderingGauge(seed: seed, count: 4_000)
            values[3_000] += Self.spike
            let times = SeriesMaker.fiveMinute(values.count)
            let without = try AnomalyDetector(Self.gate).detect(times: times, values: values)
            let with = try AnomalyDetector(Self.gate + " jump_record=1000").detect(times: times, values: values)
            #expect(with.anomaly == without.anomaly && sameValues(with.expected, without.expected))
            #expect(with.anomaly[3_000] && with.alert[3_000], "seed \(seed)")
            if with.reasons[3_000] == .jump {
                jumps += 1
                if !without.alert[3_000] { heldWithout += 1 }
            }
            // The rule only adds alerts, and only on jump flags.
            for i in values.indices where with.alert[i] != without.alert[i] {
                #expect(with.alert[i] && with.reasons[i] == .jump, "seed \(seed), point \(i)")
            }
        }
        #expect(jumps >= 4, "the spike is a jump in \(jumps) of 5 seeds")
        #expect(heldWithout >= 3, "the gate holds the jump back in \(heldWithout) of \(jumps) seeds")
    }

    @Test func repeatedJumpsRarelySetARecord() throws {
        // The same gauge with a spike of 5 every 300 points (11 spikes): each has about three like it in the last
        // 1,000 points, so it is a record only when it happens to be more surprising than those (the local and
        // baseline scales drift with the wander). The rule lets through some, well under half; with a window of
        // 100 points, which holds no earlier spike, it lets through nearly every spike the gate holds.
        var added = 0, addedShort = 0, held = 0
        for seed in UInt64(1)...5 {
            var values = Self.wanderingGauge(seed: seed, count: 4_000)
            let spikes = Array(stride(from: 700, to: 4_000, by: 300))
            for i in spikes { values[i] += Self.spike }
            let times = SeriesMaker.fiveMinute(values.count)
            let without = try AnomalyDetector(Self.gate).detect(times: times, values: values)
            let with = try AnomalyDetector(Self.gate + " jump_record=1000").detect(times: times, values: values)
            let short = try AnomalyDetector(Self.gate + " jump_record=100").detect(times: times, values: values)
            let heldSpikes = spikes.filter { without.anomaly[$0] && !without.alert[$0] }
            held += heldSpikes.count
            added += heldSpikes.filter { with.alert[$0] }.count
            addedShort += heldSpikes.filter { short.alert[$0] }.count
        }
        #expect(held >= 30, "the gate holds back \(held) of the 55 spikes")
        #expect(added * 3 <= held, "the rule lets through \(added) of the \(held) held spikes")
        #expect(addedShort * 10 >= held * 9, "a 100-point window lets through \(addedShort) of \(held)")
    }

    @Test func withoutTheGateTheRuleChangesNothing() throws {
        var values = Self.wanderingGauge(seed: 3, count: 2_000)
        values[1_500] += 8
        let times = SeriesMaker.fiveMinute(values.count)
        let plain = try AnomalyDetector("sensitivity=3.5 local=4.5").detect(times: times, values: values)
        let rule = try AnomalyDetector("sensitivity=3.5 local=4.5 jump_record=1000").detect(times: times, values: values)
        #expect(plain.alert == rule.alert && plain.alert == plain.anomaly)
    }

    @Test func alertsAreWalkForward() throws {
        var values = Self.wanderingGauge(seed: 2, count: 3_200)
        values[3_000] += 8
        let times = SeriesMaker.fiveMinute(values.count)
        let detector = try AnomalyDetector(Self.gate + " jump_record=1000")
        let full = detector.detect(times: times, values: values)
        let prefix = detector.detect(times: Array(times[..<3_001]), values: Array(values[..<3_001]))
        #expect(Array(full.alert[..<3_001]) == prefix.alert)
    }

    @Test func optionParsesAndWritesBack() throws {
        let o = try AnomalyOptions.parse("likelihood=strict jump_record=1000")
        #expect(o.jumpRecord == 1_000 && o.text.contains("jump_record=1000"))
        #expect(try AnomalyOptions.parse(o.text) == o)
        #expect(try AnomalyOptions.parse("jumpRecord=500p").jumpRecord == 500)
        #expect(try AnomalyOptions.parse("jump_record=off").jumpRecord == nil)
        #expect(try AnomalyOptions.parse("likelihood=on").jumpRecord == nil)
        #expect(!AnomalyOptions().text.contains("jump_record"))
        for bad in ["jump_record=50", "jump_record=200000", "jump_record=soon"] {
            #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse(bad) }
        }
        do {
            _ = try AnomalyOptions.parse("jump_record=10")
            Issue.record("jump_record=10 parsed")
        } catch {
            #expect(error.option == "jump_record" && error.message.contains("100 to 100000"))
        }
    }
}
