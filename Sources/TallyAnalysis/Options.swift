/// Which baseline model judges a series.
public enum AnomalyMethod: String, Sendable, CaseIterable, Hashable {
    /// Pick per series from the data's shape (constant, zero-inflated, seasonal, trending); the default.
    case auto
    /// Robust level: rolling median with quantile-based robust scales. Minimum 10 points.
    case level
    /// Rolling robust level plus a seasonal profile (day-of-week, hour-of-day or hour-of-week buckets).
    /// Minimum two full periods; falls back to `level` while no seasonal pattern is found.
    case seasonal
    /// Trend-aware exponential smoothing (Holt's level and damped trend, plus the seasonal profile when a
    /// season is in use). Minimum 10 points (two periods with a season).
    case holtWinters = "holt_winters"

    /// Accepted spellings in option text, besides the raw value.
    static let aliases: [String: AnomalyMethod] = [
        "auto": .auto, "level": .level, "robust": .level, "median": .level,
        "seasonal": .seasonal, "season": .seasonal,
        "holt_winters": .holtWinters, "holtwinters": .holtWinters, "holt-winters": .holtWinters,
        "hw": .holtWinters, "trend": .holtWinters,
    ]
}

/// Seasonality to model.
public enum SeasonOption: Sendable, Hashable {
    /// Detect from the data: daily for sub-daily scans, weekly for daily scans, both (hour-of-week) for hourly.
    case auto
    /// No seasonal profile.
    case none
    /// A fixed period in milliseconds (e.g. 7 days for day-of-week buckets).
    case period(Int64)
}

/// Which deviations may alert.
public enum AnomalyDirection: String, Sendable, CaseIterable, Hashable {
    /// Values above and below the range alert.
    case both
    /// Only values above the range alert (the lower bound is −∞).
    case up
    /// Only values below the range alert (the upper bound is +∞).
    case down

    /// Whether a value on this side of the expected value may alert: `side` above 0 is above it, below 0 below it
    /// (on it, any direction).
    @inlinable public func allows(side: Double) -> Bool {
        switch self {
        case .both: return true
        case .up: return side >= 0
        case .down: return side <= 0
        }
    }
}

/// How much history trains the baseline.
public enum TrainingWindow: Sendable, Hashable {
    /// The last 1,000 points, and nothing older than 90 days.
    case auto
    /// The last N points.
    case points(Int)
    /// Points no older than this many milliseconds before the judged point.
    case duration(Int64)
}

/// How long alerts stay quiet after an alert (the refractory period of `AnomalyResult.alert`).
public enum Refractory: Sendable, Hashable {
    /// Every flagged point is an alert.
    case off
    /// No new alert within this many points after an alert.
    case points(Int)
    /// No new alert within this many milliseconds after an alert.
    case duration(Int64)
}

/// Whether the likelihood gate holds back alerts (`AnomalyOptions.likelihood`, text `likelihood=off|on|strict`).
public enum LikelihoodGateMode: String, Sendable, Hashable {
    /// Every flag that the other rules let through is an alert.
    case off
    /// A flag alerts only when the recent mean surprise is in the upper tail of its own history.
    case on
    /// Also the recent mean *squared* surprise (round 6, docs/anomaly-detection.md §3.9).
    case strict
}

/// The largest training window in points (`training=N`; a duration window holds at most this many too).
public let maximumTrainingPoints = 10_000

/// Detector settings. Every field has a default; `AnomalyOptions()` is the default method.
public struct AnomalyOptions: Sendable, Hashable {
    /// The baseline model (default `.auto`).
    public var method: AnomalyMethod
    /// Band half-width in robust standard deviations (default 4). Higher means a wider expected range and
    /// fewer alerts: under a Gaussian model, sensitivity 3 flags 0.27% of normal points, 4 flags 0.006%; real
    /// metrics have heavier tails, which the robust scale partly absorbs.
    public var sensitivity: Double
    /// Seasonality (default `.auto`).
    public var season: SeasonOption
    /// Which side may alert (default both).
    public var direction: AnomalyDirection
    /// Training window (default: last 1,000 points within 90 days).
    public var training: TrainingWindow
    /// A percentage: changes smaller than this share of the expected value never alert (default 0).
    public var ignoreBelow: Double
    /// Consecutive same-side anomalies after which a persistent level shift is accepted and the baseline
    /// restarts from the shift (default 5; 0 turns re-baselining off).
    public var levelShiftPoints: Int
    /// Flag a metric that normally moves but stops changing (default true).
    public var detectStuck: Bool
    /// Flag a slow drift that stays inside the range (CUSUM of deviations; default true). Runs only for the level
    /// and seasonal models on series whose residuals look independent.
    public var detectDrift: Bool
    /// After an alert, flagged points within this period raise no new alert (`AnomalyResult.alert`); they are
    /// still flagged in `anomaly`. Default `.off`: every flag is an alert. One alert per incident is what a
    /// pager wants, and what NAB's scoring rewards (only the first detection in a window counts).
    public var refractory: Refractory
    /// Likelihood gate on alerts (default `.off`). With `.on` a flag raises an alert only when the mean surprise
    /// of the last 10 judged points is in the upper 10% tail of its own distribution over the last
    /// `likelihoodWindow` (2,000) judged points (the "anomaly likelihood" of Ahmad et al. 2017): a series that is
    /// often surprising (bursty, poorly modelled) then alerts only when it is unusually surprising for itself.
    /// `.strict` also asks the short mean of the *squared* surprise to be in its upper 15% tail, so the recent
    /// surprise has to be unusual in its weight of large deviations and not only in its level. Flags (`anomaly`)
    /// are unchanged. See docs/anomaly-detection.md §3.9.
    public var likelihood: LikelihoodGateMode
    /// Whether the likelihood gate is on (`.on` or `.strict`).
    public var likelihoodGate: Bool { likelihood != .off }
    /// Judged points of history the likelihood gate compares the recent surprise with (default 2,000; text
    /// `likelihood_window=N`; kept within `historyPoints`).
    public var likelihoodWindow: Int {
        didSet { likelihoodWindow = Self.historyPoints.clamp(likelihoodWindow) }
    }
    /// The record rule for jumps (default nil, off; text `jump_record=N`, 100…100,000): a `jump` flag that the
    /// likelihood gate holds back still alerts when its surprise is larger than every surprise of the last N judged
    /// points — a move this series has not come near for that long is news even in a stretch the gate finds
    /// ordinary. Has no effect without `likelihoodGate`; kept within `historyPoints`. See docs/anomaly-detection.md §3.9.
    public var jumpRecord: Int? {
        didSet { jumpRecord = jumpRecord.map(Self.historyPoints.clamp) }
    }
    /// The point counts `likelihoodWindow` and `jumpRecord` may take (the gate needs 100 judged points before it
    /// can close).
    public static let historyPoints = likelihoodMinimumHistory...100_000
    /// The local-change view (default nil, off): also flag a value that moved from the previous value by more than
    /// this many robust σ of the series' usual point-to-point moves, on the side where that view is clearly
    /// sharper than the baseline (smooth, wandering series); reason `jump`. 0 (text `on`) means the same as
    /// `sensitivity`. See docs/anomaly-detection.md §3.10.
    public var localSensitivity: Double?
    /// Recurring flags raise no alert (default false): a flag with same-side flags at about the same time of day
    /// (of week, for daily scans) on each of the previous two days (weeks) — a nightly job's spike — is still
    /// flagged in `anomaly` but is not an alert.
    public var recurring: Bool
    /// The slow-level view (default nil, off): also flag, inside the range, a recent level (short mean, span 50
    /// points) that has moved from the level of the last thousand points (long mean, span 1,000) by more than this
    /// many robust σ of that difference's own history, on series where the drift watch does not run; reason `slowChange`. 0 (text `on`) means `sensitivity`.
    /// See docs/anomaly-detection.md §3.11.
    public var slowSensitivity: Double?
    /// The spread view (default nil, off): also flag a count of large moves in the last 25 or 50 moves whose Poisson
    /// tail at the series' long-run rate is beyond this many σ (one-sided Gaussian tail) and which is at least twice
    /// (at most half) what any past window of the same length held — spikes or noise becoming much more (or less)
    /// frequent; reason `spreadChange`. 0 (text `on`) means `sensitivity`. See docs/anomaly-detection.md §3.11.
    public var spreadSensitivity: Double?
    /// The noise-level view (default nil, off): also flag, inside the range, a recent typical move (short mean of
    /// the absolute moves, span 50, each capped at 4 × the long mean) that has risen far above the long mean
    /// (span 1,000), in robust σ of that log ratio's own history; reason `slowChange` with detail ±2. 0 (text `on`)
    /// means `sensitivity`. See docs/anomaly-detection.md §3.11.
    public var noiseSensitivity: Double?

    /// The streaming profile used for the NAB benchmark (docs/anomaly-detection.md §7): the default method at
    /// sensitivity 3.5, the local-change view at 4.5, no new alert for 100 points after an alert, the strict
    /// likelihood gate on alerts (round 6), no alerts on recurring flags, the slow-level view at 3.5 and the spread
    /// view at 4 (round 5), and jumps beyond every surprise of the last 1,000 judged points alerting through the gate
    /// (round 7).
    /// Text form: `sensitivity=3.5 local=4.5 refractory=100 likelihood=strict jump_record=1000 recurring=on slow=3.5
    /// spread=4`.
    public static let streaming = AnomalyOptions(sensitivity: 3.5, refractory: .points(100), likelihood: .strict,
                                                 jumpRecord: 1000, localSensitivity: 4.5,
                                                 recurring: true, slowSensitivity: 3.5, spreadSensitivity: 4)

    public init(method: AnomalyMethod = .auto, sensitivity: Double = 4, season: SeasonOption = .auto,
                direction: AnomalyDirection = .both, training: TrainingWindow = .auto, ignoreBelow: Double = 0,
                levelShiftPoints: Int = 5, detectStuck: Bool = true, detectDrift: Bool = true,
                refractory: Refractory = .off, likelihood: LikelihoodGateMode = .off,
                likelihoodWindow: Int = likelihoodLongWindow, jumpRecord: Int? = nil, localSensitivity: Double? = nil,
                recurring: Bool = false, slowSensitivity: Double? = nil, spreadSensitivity: Double? = nil,
                noiseSensitivity: Double? = nil) {
        self.method = method
        self.sensitivity = sensitivity
        self.season = season
        self.direction = direction
        self.training = training
        self.ignoreBelow = ignoreBelow
        self.levelShiftPoints = levelShiftPoints
        self.detectStuck = detectStuck
        self.detectDrift = detectDrift
        self.refractory = refractory
        self.likelihood = likelihood
        self.likelihoodWindow = Self.historyPoints.clamp(likelihoodWindow)
        self.jumpRecord = jumpRecord.map(Self.historyPoints.clamp)
        self.localSensitivity = localSensitivity
        self.recurring = recurring
        self.slowSensitivity = slowSensitivity
        self.spreadSensitivity = spreadSensitivity
        self.noiseSensitivity = noiseSensitivity
    }

    /// The option names accepted by `parse(_:)`.
    public static let optionNames = ["method", "sensitivity", "season", "direction", "training", "ignore_below",
                                     "level_shift", "stuck", "drift", "refractory", "likelihood", "local", "recurring",
                                     "slow", "spread", "noise", "likelihood_window", "jump_record", "profile"]

    /// Named starting points for `parse(_:)` (`profile=streaming`): `default` is `AnomalyOptions()`, for scans a
    /// few times a day or less; `streaming` is `AnomalyOptions.streaming`, for telemetry every few minutes.
    public static let profiles: [String: AnomalyOptions] = ["default": AnomalyOptions(), "streaming": .streaming]

    /// Parses options from text such as
    /// `method=seasonal sensitivity=3 season=7d direction=down training=90d ignore_below=5`.
    ///
    /// Tokens are `name=value` separated by spaces or commas; names are case-insensitive and may be written
    /// in snake_case or camelCase. Durations take a unit: `ms`, `s`, `m`/`min`, `h`, `d`, `w`.
    /// `training` takes a duration or a point count (`500` or `500p`); `refractory` takes `off`, a point count or a
    /// duration; `likelihood` takes `on`, `strict` or `off`; `likelihood_window` a point count; `jump_record` `off` or
    /// a point count; `profile` `default` or `streaming` (`profiles`), the base that the other options change,
    /// wherever it is written. Unset options keep the profile's values (by default, `AnomalyOptions()`'s).
    /// Errors name the bad option and list the valid choices.
    public static func parse(_ text: String) throws(AnomalyOptionsError) -> AnomalyOptions {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" })
        // A profile is the base the other options change, wherever it is written (checked in order below).
        var o = AnomalyOptions()
        for token in tokens {
            guard let eq = token.firstIndex(of: "="), canonicalName(String(token[..<eq])) == "profile",
                  let profile = profiles[token[token.index(after: eq)...].lowercased()] else { continue }
            o = profile
        }
        var seen = Set<String>()
        for token in tokens {
            guard let eq = token.firstIndex(of: "=") else {
                throw AnomalyOptionsError(kind: .malformed, option: String(token), value: nil,
                                          message: "expected name=value, got '\(token)'; valid options: "
                                            + optionNames.joined(separator: ", "))
            }
            let rawName = String(token[..<eq])
            let value = String(token[token.index(after: eq)...])
            let name = canonicalName(rawName)
            guard optionNames.contains(name) else {
                throw AnomalyOptionsError(kind: .unknownOption, option: rawName, value: value,
                                          message: "unknown option '\(rawName)'; valid options: "
                                            + optionNames.joined(separator: ", "))
            }
            guard seen.insert(name).inserted else {
                throw AnomalyOptionsError(kind: .repeated, option: name, value: value,
                                          message: "option '\(name)' is given twice")
            }
            guard !value.isEmpty else {
                throw AnomalyOptionsError(option: name, value: value, message: "option '\(name)' has no value")
            }
            let lower = value.lowercased()
            switch name {
            case "profile":
                guard profiles[lower] != nil else {   // applied before the loop
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid profile '\(value)'; valid choices: " + profiles.keys.sorted().joined(separator: ", "))
                }
            case "method":
                guard let m = AnomalyMethod.aliases[lower] else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid method '\(value)'; valid choices: auto, level, seasonal, holt_winters (or trend)")
                }
                o.method = m
            case "sensitivity":
                guard let s = Double(value), s.isFinite, s > 0, s <= 50 else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid sensitivity '\(value)'; valid choices: a number above 0 and at most 50 "
                        + "(band half-width in robust standard deviations, default 4)")
                }
                o.sensitivity = s
            case "season":
                if lower == "auto" { o.season = .auto }
                else if lower == "none" || lower == "off" { o.season = .none }
                else if let d = parseDuration(lower), d >= minSeasonPeriod, d <= maxSeasonPeriod { o.season = .period(d) }
                else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid season '\(value)'; valid choices: auto, none, or a duration such as 1d, 7d, 24h, "
                        + "from \(formatDuration(minSeasonPeriod)) to \(formatDuration(maxSeasonPeriod))")
                }
            case "direction":
                guard let d = AnomalyDirection(rawValue: lower) else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid direction '\(value)'; valid choices: both, up, down")
                }
                o.direction = d
            case "training":
                if lower == "auto" { o.training = .auto }
                else if let n = parsePointCount(lower), (minimumLevelPoints...maximumTrainingPoints).contains(n) {
                    o.training = .points(n)
                }
                else if let d = parseDuration(lower), d > 0 { o.training = .duration(d) }
                else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid training '\(value)'; valid choices: auto, a duration in ms, s, m, h, d or w such as 90d or 12w, "
                        + "or a point count from \(minimumLevelPoints) to \(maximumTrainingPoints) such as 500 or 500p")
                }
            case "ignore_below":
                var v = lower
                if v.hasSuffix("%") { v.removeLast() }
                guard let p = Double(v), p.isFinite, p >= 0, p <= 1000 else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid ignore_below '\(value)'; valid choices: a percentage from 0 to 1000, e.g. 5 or 5%")
                }
                o.ignoreBelow = p
            case "level_shift":
                if lower == "off" || lower == "none" || lower == "false" { o.levelShiftPoints = 0 }
                else if let n = parsePointCount(lower), n >= 2, n <= 1000 { o.levelShiftPoints = n }
                else if lower == "on" || lower == "true" { o.levelShiftPoints = 5 }
                else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid level_shift '\(value)'; valid choices: off, on, or a point count from 2 to 1000")
                }
            case "refractory":
                if lower == "off" || lower == "none" || lower == "0" { o.refractory = .off }
                else if let n = parsePointCount(lower), n > 0, n <= 1_000_000 { o.refractory = .points(n) }
                else if let d = parseDuration(lower), d > 0 { o.refractory = .duration(d) }
                else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid refractory '\(value)'; valid choices: off, a point count such as 100 or 100p, "
                        + "or a duration such as 8h")
                }
            case "local", "slow", "spread", "noise":
                let v: Double?
                if lower == "off" || lower == "none" || lower == "false" { v = nil }
                else if lower == "on" || lower == "true" { v = 0 }
                else if let x = Double(lower), x.isFinite, x > 0, x <= 50 { v = x }
                else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid \(name) '\(value)'; valid choices: off, on (the sensitivity), or a number above 0 "
                        + "and at most 50")
                }
                if name == "local" { o.localSensitivity = v }
                else if name == "slow" { o.slowSensitivity = v }
                else if name == "spread" { o.spreadSensitivity = v }
                else { o.noiseSensitivity = v }
            case "likelihood" where lower == "strict":
                o.likelihood = .strict
            case "likelihood_window":
                guard let n = parsePointCount(lower), historyPoints.contains(n) else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid likelihood_window '\(value)'; valid choices: a point count from 100 to 100000 "
                        + "(default 2000)")
                }
                o.likelihoodWindow = n
            case "jump_record":
                if lower == "off" || lower == "none" { o.jumpRecord = nil; break }
                guard let n = parsePointCount(lower), historyPoints.contains(n) else {
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid jump_record '\(value)'; valid choices: off, or a point count from 100 to 100000")
                }
                o.jumpRecord = n
            case "stuck", "drift", "likelihood", "recurring":
                let on: Bool
                switch lower {
                case "on", "true", "yes": on = true
                case "off", "false", "no": on = false
                default:
                    let choices = name == "likelihood" ? "on, strict, off" : "on, off"
                    throw AnomalyOptionsError(option: name, value: value, message:
                        "invalid \(name) '\(value)'; valid choices: \(choices)")
                }
                if name == "stuck" { o.detectStuck = on }
                else if name == "drift" { o.detectDrift = on }
                else if name == "recurring" { o.recurring = on }
                else { o.likelihood = on ? .on : .off }
            default:
                break
            }
        }
        return o
    }

    /// Whether alerts can be fewer than flags: a refractory period, the likelihood gate or the recurrence check is on
    /// (otherwise `AnomalyResult.alert` equals `anomaly`).
    public var thinsAlerts: Bool { refractory != .off || likelihoodGate || recurring }

    /// The options that thin flags into alerts, in the option text's form (`refractory=100p likelihood=strict
    /// jump_record=1000 recurring=on`); empty when none is on.
    public var alertRulesText: String {
        var parts: [String] = []
        if refractory != .off { parts.append("refractory=\(refractoryText)") }
        if likelihoodGate {
            parts.append("likelihood=\(likelihood.rawValue)")
            if likelihoodWindow != likelihoodLongWindow { parts.append("likelihood_window=\(likelihoodWindow)") }
            if let n = jumpRecord { parts.append("jump_record=\(n)") }
        }
        if recurring { parts.append("recurring=on") }
        return parts.joined(separator: " ")
    }

    private var refractoryText: String {
        switch refractory {
        case .off: "off"
        case .points(let n): "\(n)p"
        case .duration(let d): formatDuration(d)
        }
    }

    /// The options as text that `parse(_:)` reads back to the same value (every option is written; `noise`,
    /// `likelihood_window` and `jump_record` only when they differ from their defaults). Values set in code that
    /// `parse` refuses — a season under an hour, fewer than 10 training points — are written as they are, and
    /// `parse` refuses them in turn.
    public var text: String {
        let seasonText: String
        switch season {
        case .auto: seasonText = "auto"
        case .none: seasonText = "none"
        case .period(let p): seasonText = formatDuration(p)
        }
        let trainingText: String
        switch training {
        case .auto: trainingText = "auto"
        case .points(let n): trainingText = "\(n)p"
        case .duration(let d): trainingText = formatDuration(d)
        }
        return "method=\(method.rawValue) sensitivity=\(formatPlain(sensitivity)) season=\(seasonText) "
            + "direction=\(direction.rawValue) training=\(trainingText) ignore_below=\(formatPlain(ignoreBelow)) "
            + "level_shift=\(levelShiftPoints == 0 ? "off" : String(levelShiftPoints)) "
            + "stuck=\(detectStuck ? "on" : "off") drift=\(detectDrift ? "on" : "off") refractory=\(refractoryText) "
            + "likelihood=\(likelihood.rawValue) local=\(Self.bandText(localSensitivity)) recurring=\(recurring ? "on" : "off") "
            + "slow=\(Self.bandText(slowSensitivity)) spread=\(Self.bandText(spreadSensitivity))"
            + (noiseSensitivity != nil ? " noise=\(Self.bandText(noiseSensitivity))" : "")
            + (likelihoodWindow != likelihoodLongWindow ? " likelihood_window=\(likelihoodWindow)" : "")
            + (jumpRecord.map { " jump_record=\($0)" } ?? "")
    }

    private static func bandText(_ value: Double?) -> String {
        guard let l = value else { return "off" }
        return l <= 0 ? "on" : formatPlain(l)
    }

    /// The local view's band half-width in robust σ, nil when off (`on` uses the sensitivity).
    var localBand: Double? {
        guard let l = localSensitivity else { return nil }
        return l <= 0 ? sensitivity : l
    }

    /// The slow-level view's band in robust σ of its statistic, nil when off (`on` uses the sensitivity).
    var slowBand: Double? { slowSensitivity.map { $0 <= 0 ? sensitivity : $0 } }

    /// The spread view's band in robust σ of its statistic, nil when off (`on` uses the sensitivity).
    var spreadBand: Double? { spreadSensitivity.map { $0 <= 0 ? sensitivity : $0 } }

    /// The noise-level view's band in robust σ of its statistic, nil when off (`on` uses the sensitivity).
    var noiseBand: Double? { noiseSensitivity.map { $0 <= 0 ? sensitivity : $0 } }

    /// The options `text` sets, by their canonical names (`sensitivity`, `ignore_below`), in order: for a caller
    /// that sets some options itself and must refuse them in `text` rather than silently override them.
    public static func givenNames(in text: String) -> [String] {
        text.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" }).compactMap { token in
            token.firstIndex(of: "=").map { canonicalName(String(token[..<$0])) }
        }
    }

    private static func canonicalName(_ raw: String) -> String {
        var out = ""
        for ch in raw {
            if ch.isUppercase {
                if !out.isEmpty && out.last != "_" { out.append("_") }
                out.append(contentsOf: ch.lowercased())
            }
            else if ch == "-" { out.append("_") }
            else { out.append(ch) }
        }
        switch out {
        case "ignorebelow": return "ignore_below"
        case "levelshift", "level_shift_points": return "level_shift"
        case "detect_stuck": return "stuck"
        case "detect_drift": return "drift"
        case "likelihood_gate", "alert_likelihood": return "likelihood"
        case "likelihood_history": return "likelihood_window"
        case "local_sensitivity", "local_change": return "local"
        default: return out
        }
    }
}

/// A bad option in option text; `description` names the option and the valid choices.
public struct AnomalyOptionsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, for callers that react to it (a misspelt name gets a suggestion).
    public enum Kind: Sendable, Equatable {
        /// A token that is not `name=value`.
        case malformed
        /// A name that is no option.
        case unknownOption
        /// An option given twice.
        case repeated
        /// A value the option does not take (or none).
        case badValue
    }
    /// What went wrong.
    public var kind: Kind = .badValue
    /// The option name as written (or the malformed token).
    public var option: String
    /// The value as written, if any.
    public var value: String?
    /// A one-line message naming the option and the valid choices.
    public var message: String
    public var description: String { message }
}

/// The longest season (`season=DURATION`): ten years. Longer ones cannot be seen twice in any history, and their
/// multiples (two and more cycles) would not fit in 64-bit milliseconds; a longer period set in code counts as none.
public let maxSeasonPeriod: Int64 = 3650 * dayMs
/// The shortest season `season=DURATION` takes: an hour (a pattern within minutes is noise to a scan history).
public let minSeasonPeriod: Int64 = hourMs

/// Parses a duration such as `90d`, `1.5h`, `30m`, `250ms`, `2w` into milliseconds.
public func parseDuration(_ text: String) -> Int64? {
    let units: [(String, Double)] = [("ms", 1), ("min", 60_000), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
                                      ("d", 86_400_000), ("w", 604_800_000)]
    let t = text.lowercased()
    for (suffix, factor) in units where t.hasSuffix(suffix) {
        let number = t.dropLast(suffix.count)
        guard !number.isEmpty, let v = Double(number), v.isFinite, v >= 0 else { return nil }
        let ms = v * factor
        guard ms < 9.0e18 else { return nil }
        return Int64(ms.rounded())
    }
    return nil
}

/// A point count as option text writes it: `500`, `500p` or `500points`.
public func parsePointCount(_ text: String) -> Int? {
    var t = Substring(text)
    if t.hasSuffix("points") { t = t.dropLast(6) }
    else if t.hasSuffix("p") { t = t.dropLast(1) }
    return Int(t)
}

/// Formats milliseconds with the largest unit that divides them exactly (`7d`, `36h`, `250ms`).
public func formatDuration(_ ms: Int64) -> String {
    let units: [(String, Int64)] = [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000),
                                    ("s", 1_000)]
    for (u, f) in units where ms != 0 && ms % f == 0 { return "\(ms / f)\(u)" }
    return "\(ms)ms"
}

private func formatPlain(_ x: Double) -> String {
    isInteger(x) ? String(Int64(x)) : String(x)
}

extension ClosedRange where Bound == Int {
    /// The nearest value of the range.
    func clamp(_ value: Int) -> Int { Swift.min(Swift.max(value, lowerBound), upperBound) }
}
