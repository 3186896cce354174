import Testing
import TallyAnalysis

@Suite struct OptionsTests {
    @Test func parsesTheIssueExample() throws {
        let o = try AnomalyOptions.parse("method=seasonal sensitivity=3 season=7d direction=down training=90d ignore_below=5")
        #expect(o.method == .seasonal)
        #expect(o.sensitivity == 3)
        #expect(o.season == .period(7 * 86_400_000))
        #expect(o.direction == .down)
        #expect(o.training == .duration(90 * 86_400_000))
        #expect(o.ignoreBelow == 5)
    }

    @Test func defaultsAndSpellings() throws {
        #expect(try AnomalyOptions.parse("") == AnomalyOptions())
        #expect(try AnomalyOptions.parse("method=trend").method == .holtWinters)
        #expect(try AnomalyOptions.parse("Method=Holt_Winters").method == .holtWinters)
        #expect(try AnomalyOptions.parse("ignoreBelow=2.5%").ignoreBelow == 2.5)
        #expect(try AnomalyOptions.parse("training=500").training == .points(500))
        #expect(try AnomalyOptions.parse("training=10000").training == .points(10_000))
        #expect(try AnomalyOptions.parse("training=500p, season=none").season == SeasonOption.none)
        #expect(try AnomalyOptions.parse("season=36h").season == .period(36 * 3_600_000))
        #expect(try AnomalyOptions.parse("season=1h").season == .period(3_600_000))
        // Shorter than an hour is no season; a training window too small for any method, or larger than the
        // detectors keep, is refused.
        for text in ["season=59m", "season=1ms", "training=1", "training=9p", "training=1000000"] {
            let error = #expect(throws: AnomalyOptionsError.self) { try AnomalyOptions.parse(text) }
            #expect(error?.message.contains(text.hasPrefix("season") ? "from 1h to 3650d" : "from 10 to 10000") == true,
                    "\(String(describing: error))")
        }
        #expect(try AnomalyOptions.parse("training=10").training == .points(10))
        #expect(try AnomalyOptions.parse("level_shift=7p").levelShiftPoints == 7)
        #expect(try AnomalyOptions.parse("level_shift=off stuck=off").levelShiftPoints == 0)
        #expect(parseDuration("250ms") == 250 && parseDuration("1.5h") == 5_400_000 && parseDuration("2w") == 1_209_600_000)
        #expect(parseDuration("7") == nil && parseDuration("d") == nil)
    }

    @Test func textRoundTrips() throws {
        let o = AnomalyOptions(method: .holtWinters, sensitivity: 4.5, season: .period(86_400_000), direction: .up,
                               training: .points(300), ignoreBelow: 2, levelShiftPoints: 7, detectStuck: false)
        #expect(try AnomalyOptions.parse(o.text) == o)
        #expect(try AnomalyOptions.parse(AnomalyOptions().text) == AnomalyOptions())
    }

    @Test func aProfileIsTheBaseTheOtherOptionsChange() throws {
        #expect(try AnomalyOptions.parse("profile=streaming") == .streaming)
        #expect(try AnomalyOptions.parse("profile=default") == AnomalyOptions())
        #expect(try AnomalyOptions.parse("Profile=Streaming") == .streaming)
        // Explicit options win wherever the profile is written.
        for text in ["profile=streaming sensitivity=4 refractory=off", "sensitivity=4 refractory=off profile=streaming"] {
            let o = try AnomalyOptions.parse(text)
            #expect(o.sensitivity == 4 && o.refractory == .off, "\(text)")
            #expect(o.likelihood == .strict && o.jumpRecord == 1000 && o.localSensitivity == 4.5 && o.recurring, "\(text)")
        }
        #expect(try AnomalyOptions.parse("profile=streaming jump_record=off").jumpRecord == nil)
        // The text form writes every option out, so it reads back without the profile.
        let tuned = try AnomalyOptions.parse("profile=streaming sensitivity=3")
        #expect(!tuned.text.contains("profile"))
        #expect(try AnomalyOptions.parse(tuned.text) == tuned)
        do {
            _ = try AnomalyOptions.parse("sensitivity=3 profile=hourly")
            Issue.record("profile=hourly parsed")
        } catch {
            #expect(error.option == "profile" && error.value == "hourly")
            #expect(error.message == "invalid profile 'hourly'; valid choices: default, streaming")
        }
        do {   // errors come in the order the options are written
            _ = try AnomalyOptions.parse("sensitivty=3 profile=hourly")
            Issue.record("sensitivty=3 parsed")
        } catch {
            #expect(error.option == "sensitivty")
        }
        do {
            _ = try AnomalyOptions.parse("profile=streaming profile=default")
            Issue.record("two profiles parsed")
        } catch {
            #expect(error.message.contains("given twice"))
        }
    }

    @Test func errorsNameTheOptionAndTheChoices() {
        func message(_ text: String) -> String {
            do { _ = try AnomalyOptions.parse(text); return "" } catch { return error.message }
        }
        let unknown = message("sensitivty=3")
        #expect(unknown.contains("unknown option 'sensitivty'"))
        #expect(unknown.contains("method, sensitivity, season, direction, training, ignore_below"))
        let method = message("method=prophet")
        #expect(method.contains("invalid method 'prophet'") && method.contains("auto, level, seasonal, holt_winters"))
        #expect(message("sensitivity=-1").contains("invalid sensitivity '-1'"))
        #expect(message("season=weekly").contains("auto, none, or a duration"))
        #expect(message("direction=sideways").contains("both, up, down"))
        #expect(message("training=forever").contains("invalid training"))
        #expect(message("ignore_below=lots").contains("invalid ignore_below"))
        #expect(message("method=level method=seasonal").contains("given twice"))
        #expect(message("sensitivity").contains("expected name=value"))
        do {
            _ = try AnomalyOptions.parse("direction=sideways")
        } catch {
            #expect(error.option == "direction" && error.value == "sideways")
        }
    }

    @Test func errorsSayWhatKindOfMistakeTheyAre() {
        func kind(_ text: String) -> AnomalyOptionsError.Kind? {
            do { _ = try AnomalyOptions.parse(text); return nil } catch { return error.kind }
        }
        #expect(kind("sensitivty=3") == .unknownOption)
        #expect(kind("sensitivity") == .malformed)
        #expect(kind("method=level method=seasonal") == .repeated)
        #expect(kind("method=prophet") == .badValue)
        #expect(kind("sensitivity=") == .badValue)
        #expect(kind("method=level") == nil)
    }
}
