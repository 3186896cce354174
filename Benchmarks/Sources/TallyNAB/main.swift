// tally-nab: scores detectors on the Numenta Anomaly Benchmark with TallyAnalysis' NAB scorer, and measures
// detector speed.
//
//   tally-nab validate [--nab DIR]              re-score the published Twitter ADVec outputs (must print 47.06)
//   tally-nab score [--nab DIR] [--options T]   walk Tally forward over the NAB files and score the odd (tuning)
//       [--held-out] [--per-file]               files; --held-out adds the even files and all files. Without
//                                               --options: the frozen NAB configuration, AnomalyOptions.streaming
//   tally-nab explore [--which qhcfp]           development only: candidate alert mappings on the odd files
//   tally-nab sweep [--options T] [--label L]   development only: one candidate on the odd files (score and
//       [--save DIR]                            categories; --save keeps its alert positions for cv)
//   tally-nab cv --dir DIR [--only A,B]         development only: leave-one-category-out estimate over the odd
//                                               files from the candidates saved by sweep
//   tally-nab inspect [--file NAME] [--points]  per-file verdict counts and models (odd files; --held-out: all);
//       [--alerts]                              --points lists flags, --alerts only those that alert, with where
//                                               each falls (in a window at offset/length, outside, probation)
//   tally-nab anchors [--nab DIR] [--held-out]  peer rules (Elementary, Deequ) next to Tally's default and
//                                               streaming options, alert columns scored the same way
//   tally-nab bench [--only walk|latest]        speed figures (build with -c release)
import Foundation
import TallyAnalysis

// MARK: - Arguments

let arguments = Array(CommandLine.arguments.dropFirst(2))
let command = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "help"

func fail(_ message: String) -> Never {
    FileHandle.standardError.write((message + "\n").data(using: .utf8)!)
    exit(2)
}

@MainActor func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

func defaultNABDirectory() -> String {
    if let env = ProcessInfo.processInfo.environment["TALLY_NAB_DIR"] { return env }
    // <package or repo root>/../shared/data/nab, else the machine's shared folder.
    let cwd = FileManager.default.currentDirectoryPath
    for candidate in ["\(cwd)/../shared/data/nab", "\(cwd)/../../shared/data/nab", "/work/shared/data/nab"]
    where FileManager.default.fileExists(atPath: candidate + "/labels/combined_windows.json") {
        return candidate
    }
    return "/work/shared/data/nab"
}

let nabDir = option("--nab") ?? defaultNABDirectory()

@MainActor func read(_ path: String) -> String {
    guard let s = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
    return s
}

// MARK: - Corpus

struct CorpusFile {
    var key: String          // "category/file.csv"
    var category: String
    var number: Int          // 1-based position within its category (sorted by name)
    var times: [Int64]
    var values: [Double]
    var windows: [ClosedRange<Int>]
}

@MainActor func loadCorpus() -> [CorpusFile] {
    let windows = NABData.parseWindows(read(nabDir + "/labels/combined_windows.json"))
    var files: [CorpusFile] = []
    var counters: [String: Int] = [:]
    for key in windows.keys.sorted() {
        let parts = key.split(separator: "/")
        let category = String(parts[0])
        let (times, columns) = NABData.parseCSV(read(nabDir + "/data/" + key))
        counters[category, default: 0] += 1
        files.append(CorpusFile(key: key, category: category, number: counters[category]!, times: times,
                                values: columns[0],
                                windows: NABData.windowRows(times: times, windows: windows[key] ?? [])))
    }
    return files
}

func nabScore(_ files: [NABFile], threshold: Double? = nil) -> (score: Double, threshold: Double) {
    let windows = files.reduce(0) { $0 + $1.windowCount }
    if let threshold {
        return (NABScorer.normalized(rawScore: NABScorer.rawScore(files, threshold: threshold), windowCount: windows),
                threshold)
    }
    let best = NABScorer.optimizeThreshold(files)
    return (NABScorer.normalized(rawScore: best.rawScore, windowCount: windows), best.threshold)
}

func f2(_ x: Double) -> String { String(format: "%.2f", x) }


// MARK: - Exploration (odd files only)

// MARK: - Exploration (development only; odd files only)
//
// `tally-nab explore` scores candidate mappings from the detector's per-point deviation to NAB detections on the
// odd (tuning) files, with the alarm threshold τ tuned on those files and a two-fold check inside them. It never
// prints an even-file score. The candidates and their scores are in docs/anomaly-detection.md §7.2; the one that
// was frozen lives in the library (`AnomalyOptions.streaming`, Sources/TallyAnalysis/Options.swift).

/// Binary alarms from a signal: an alarm where signal ≥ τ, then none for `refractory` points.
func refractoryAlarms(_ s: [Double], threshold: Double, refractory: Int) -> [Double] {
    var out = Array(repeating: 0.0, count: s.count)
    var last = -1_000_000_000
    for i in s.indices where s[i] >= threshold && i - last > refractory {
        out[i] = 1
        last = i
    }
    return out
}

/// Anomaly likelihood (Ahmad et al. 2017): short mean of a raw score against the distribution of short means
/// over a long window; returns −log10 of the upper tail probability.
func likelihoodSignal(_ a: [Double], short: Int, long: Int) -> [Double] {
    let n = a.count
    var m = Array(repeating: 0.0, count: n)
    var sum = 0.0
    for i in 0..<n {
        sum += a[i]
        if i >= short { sum -= a[i - short] }
        m[i] = sum / Double(Swift.min(i + 1, short))
    }
    var out = Array(repeating: 0.0, count: n)
    var s1 = 0.0, s2 = 0.0
    for i in 0..<n {
        let k = Swift.min(i, long)
        if k >= 50 {
            let mu = s1 / Double(k)
            let v = Swift.max(s2 / Double(k) - mu * mu, 1e-12)
            let z = (m[i] - mu) / v.squareRoot()
            let q = 0.5 * erfc(z / 1.4142135623730951)
            out[i] = -log10(Swift.max(q, 1e-300))
        }
        // The history of short means, strictly before the next point.
        s1 += m[i]
        s2 += m[i] * m[i]
        if i >= long {
            s1 -= m[i - long]
            s2 -= m[i - long] * m[i - long]
        }
    }
    return out
}

/// Alarms that re-arm only after `quiet` consecutive points below τ (one alarm per incident), and at least
/// `refractory` points after the previous alarm.
func hysteresisAlarms(_ s: [Double], threshold: Double, refractory: Int, quiet: Int) -> [Double] {
    var out = Array(repeating: 0.0, count: s.count)
    var last = -1_000_000_000
    var calm = quiet
    for i in s.indices {
        if s[i] >= threshold {
            if calm >= quiet && i - last > refractory {
                out[i] = 1
                last = i
            }
            calm = 0
        } else {
            calm += 1
        }
    }
    return out
}

/// |z| divided by the q-quantile of the previous `window` |z| values (at least `floor`).
func quantileNormalized(_ a: [Double], q: Double, window: Int, floor: Double) -> [Double] {
    var sorted: [Double] = []
    var out = Array(repeating: 0.0, count: a.count)
    func lowerBound(_ x: Double) -> Int {
        var lo = 0, hi = sorted.count
        while lo < hi {
            let m = (lo + hi) / 2
            if sorted[m] < x { lo = m + 1 } else { hi = m }
        }
        return lo
    }
    for i in a.indices {
        let qv = sorted.count >= 100 ? sorted[Int(Double(sorted.count - 1) * q)] : floor
        out[i] = a[i] / Swift.max(qv, floor)
        if a[i] > 0 { sorted.insert(a[i], at: lowerBound(a[i])) }
        if i >= window && a[i - window] > 0 { sorted.remove(at: lowerBound(a[i - window])) }
    }
    return out
}

/// Prints, for each refractory period, the best odd-file score over a grid of thresholds τ (quantiles of the
/// pooled odd-file signal), the τ, and the two-fold check (τ from half of the odd files, scored on the other half).
@MainActor func exploreScores(_ corpus: [CorpusFile], _ signals: [[Double]], refractories: [Int], quiet: Int = 0,
                              label: String, perFile: Bool = false) {
    let odd = corpus.indices.filter { corpus[$0].number % 2 == 1 }
    let half = [odd.filter { corpus[$0].number % 4 == 1 }, odd.filter { corpus[$0].number % 4 == 3 }]
    var pooled: [Double] = []
    for k in odd { pooled.append(contentsOf: signals[k].filter { $0 > 0 }) }
    pooled.sort()
    var grid: [Double] = []
    if !pooled.isEmpty {
        let quantiles = Array(stride(from: 0.90, through: 0.99995, by: 0.0005))
            + [0.9997, 0.9998, 0.9999, 0.99995, 0.99998, 0.99999]
        for q in quantiles { grid.append(pooled[Int(Double(pooled.count - 1) * q)]) }
    }
    grid = Array(Set(grid)).sorted()
    var line = "\(label):"
    var files = corpus.indices.map { k in NABFile(name: corpus[k].key, count: corpus[k].times.count,
                                                  windows: corpus[k].windows, scores: signals[k]) }
    func score(_ idx: [Int]) -> Double { nabScore(idx.map { files[$0] }, threshold: 1).score }
    func alarms(_ k: Int, _ t: Double, _ r: Int) -> [Double] {
        quiet > 0 ? hysteresisAlarms(signals[k], threshold: t, refractory: r, quiet: quiet)
            : refractoryAlarms(signals[k], threshold: t, refractory: r)
    }
    for r in refractories {
        var best = (score: -1e9, t: 0.0)
        var bestHalf = [(score: -1e9, t: 0.0), (score: -1e9, t: 0.0)]
        var curve: [(Double, [Double])] = []
        for t in grid {
            for k in odd { files[k].scores = alarms(k, t, r) }
            let s = score(odd)
            let hs = [score(half[0]), score(half[1])]
            curve.append((t, hs))
            if s > best.score { best = (s, t) }
            for h in 0..<2 where hs[h] > bestHalf[h].score { bestHalf[h] = (hs[h], t) }
        }
        // Two-fold check inside the odd files: threshold from one half, scored on the other.
        let cross0 = curve.first { $0.0 == bestHalf[1].t }!.1[0]
        let cross1 = curve.first { $0.0 == bestHalf[0].t }!.1[1]
        line += " R\(r)=\(f2(best.score))@\(String(format: "%.3g", best.t)) [cv \(f2((cross0 + cross1) / 2))]"
        if perFile {
            for k in odd {
                files[k].scores = alarms(k, best.t, r)
                let f = files[k]
                var fp = 0
                for i in f.scores.indices where f.scores[i] > 0 && f.windowOf[i] == -1 { fp += 1 }
                var hits: [String] = []
                for (w, win) in corpus[k].windows.enumerated() {
                    if let i = win.first(where: { f.scores[$0] > 0 && f.windowOf[$0] >= 0 }) {
                        hits.append("w\(w)@\(i - win.lowerBound)/\(win.count)")
                    }
                }
                print("   \(f.name) raw \(f2(NABScorer.rawScore(f, threshold: 1))) win \(f.windowCount) "
                      + "hit \(hits.joined(separator: " ")) fp \(fp)")
            }
        }
    }
    print(line)
}

// MARK: - Commands

switch command {
case "validate":
    let corpus = loadCorpus()
    var files: [NABFile] = []
    for c in corpus {
        let name = c.key.split(separator: "/")[1]
        let path = "\(nabDir)/published-results/twitterADVec/\(c.category)/twitterADVec_\(name)"
        let (_, columns) = NABData.parseCSV(read(path))
        files.append(NABFile(name: c.key, count: c.times.count, windows: c.windows, scores: columns[1]))
    }
    let r = nabScore(files)
    print("Twitter ADVec (published outputs), standard profile: \(f2(r.score)) (threshold \(r.threshold)); "
          + "NAB publishes 47.06")

case "score":
    // The frozen NAB configuration is `AnomalyOptions.streaming` (docs/anomaly-detection.md §7): its `alert`
    // column is the detection (score 1), with no threshold to tune. `--options` scores another configuration.
    let options: AnomalyOptions
    if let text = option("--options") {
        do { options = try AnomalyOptions.parse(text) } catch { fail("--options: \(error.description)") }
    } else {
        options = .streaming
    }
    let detector = AnomalyDetector(options: options)
    let corpus = loadCorpus()
    let clock = ContinuousClock()
    var scoreFiles: [NABFile] = []
    var flagFiles: [NABFile] = []
    var alertFiles: [NABFile] = []
    var judged = 0, flagged = 0, events = 0, alertCount = 0, windowsCaught = 0, windowsTotal = 0
    var points = 0
    var results: [AnomalyResult] = []
    let elapsed = clock.measure {
        for c in corpus { results.append(detector.detect(times: c.times, values: c.values)) }
    }
    for (c, r) in zip(corpus, results) {
        // NAB anomaly score for the threshold-tuned variant: |deviation| / (1 + |deviation|), a monotone map of
        // the deviation in robust standard deviations into [0, 1) that does not saturate for extreme points.
        scoreFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                  scores: r.deviation.map { $0.isNaN ? 0 : Swift.abs($0) / (1 + Swift.abs($0)) }))
        flagFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                 scores: r.anomaly.map { $0 ? 1 : 0 }))
        alertFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                  scores: r.alert.map { $0 ? 1 : 0 }))
        points += c.times.count
        judged += r.reasons.filter { $0 != .coldStart && $0 != .missing }.count
        flagged += r.anomaly.filter { $0 }.count
        alertCount += r.alert.filter { $0 }.count
        var previous = false
        for f in r.anomaly { if f && !previous { events += 1 }; previous = f }
        windowsCaught += c.windows.filter { w in w.contains { r.alert[$0] } }.count
        windowsTotal += c.windows.count
    }
    let odd = corpus.indices.filter { corpus[$0].number % 2 == 1 }
    let even = corpus.indices.filter { corpus[$0].number % 2 == 0 }
    func pick(_ f: [NABFile], _ idx: [Int]) -> [NABFile] { idx.map { f[$0] } }
    let showHeldOut = arguments.contains("--held-out")
    print("options: \(options.text)")
    print("walked \(corpus.count) files, \(points) points in \(elapsed)")
    print("flags: \(flagged) points = \(f2(1000 * Double(flagged) / Double(judged))) per 1,000 judged, "
          + "\(events) events = \(f2(1000 * Double(events) / Double(judged))) per 1,000; alerts: \(alertCount) = "
          + "\(f2(1000 * Double(alertCount) / Double(judged))) per 1,000"
          + (showHeldOut ? "; windows with an alert: \(windowsCaught) of \(windowsTotal)" : ""))
    // 1) The frozen result: the alert column, no threshold.
    print("alerts (no threshold): odd (tuning) \(f2(nabScore(pick(alertFiles, odd), threshold: 1).score))"
          + (showHeldOut ? ", even (held out) \(f2(nabScore(pick(alertFiles, even), threshold: 1).score)), "
             + "all \(f2(nabScore(alertFiles, threshold: 1).score))" : ""))
    // 2) The flags, and the deviation score with a threshold tuned on the odd files (the earlier protocol).
    let tuned = nabScore(pick(scoreFiles, odd))
    print("flags (no threshold): odd \(f2(nabScore(pick(flagFiles, odd), threshold: 1).score))"
          + (showHeldOut ? ", even \(f2(nabScore(pick(flagFiles, even), threshold: 1).score)), "
             + "all \(f2(nabScore(flagFiles, threshold: 1).score))" : ""))
    print("deviation score, threshold tuned on odd files (\(String(format: "%.4f", tuned.threshold))): odd \(f2(tuned.score))"
          + (showHeldOut ? ", even \(f2(nabScore(pick(scoreFiles, even), threshold: tuned.threshold).score)), "
             + "all \(f2(nabScore(scoreFiles, threshold: tuned.threshold).score))" : ""))
    var line: [String] = []
    for cat in Array(Set(corpus.map(\.category))).sorted() {
        let idx = corpus.indices.filter { corpus[$0].category == cat && (showHeldOut || corpus[$0].number % 2 == 1) }
        let fs = pick(alertFiles, idx)
        let windows = fs.reduce(0) { $0 + $1.windowCount }
        guard windows > 0 else { continue }
        line.append("\(cat) \(f2(NABScorer.normalized(rawScore: NABScorer.rawScore(fs, threshold: 1), windowCount: windows)))")
    }
    print("alerts by category (\(showHeldOut ? "all" : "odd") files): " + line.joined(separator: ", "))
    if showHeldOut {
        for (name, set) in [("odd", odd), ("even", even)] {
            var parts: [String] = []
            for cat in Array(Set(corpus.map(\.category))).sorted() {
                let fs = pick(alertFiles, set.filter { corpus[$0].category == cat })
                let windows = fs.reduce(0) { $0 + $1.windowCount }
                guard windows > 0 else { continue }
                parts.append("\(cat) \(f2(NABScorer.normalized(rawScore: NABScorer.rawScore(fs, threshold: 1), windowCount: windows)))")
            }
            print("alerts by category (\(name) files): " + parts.joined(separator: ", "))
        }
    }
    if arguments.contains("--per-file") {
        for (k, f) in alertFiles.enumerated() where corpus[k].number % 2 == 1 || showHeldOut {
            printPerFile(f, windows: corpus[k].windows)
        }
    }

case "sweep":
    // Development only: walks the odd (tuning) files with --options and prints the odd score and per-category
    // odd scores; with --save DIR --label NAME it also stores each odd file's alert positions for `cv`.
    // Never walks or prints the even files.
    var options = AnomalyOptions.streaming
    if let text = option("--options") {
        do { options = try AnomalyOptions.parse(text) } catch { fail("--options: \(error.description)") }
    }
    let detector = AnomalyDetector(options: options)
    let corpus = loadCorpus().filter { $0.number % 2 == 1 }
    var files: [NABFile] = []
    var saved = ""
    for c in corpus {
        let r = detector.detect(times: c.times, values: c.values)
        files.append(NABFile(name: c.key, count: c.times.count, windows: c.windows, scores: r.alert.map { $0 ? 1 : 0 }))
        saved += c.key + "\t" + r.alert.indices.filter { r.alert[$0] }.map(String.init).joined(separator: ",") + "\n"
    }
    var parts: [String] = []
    for cat in Array(Set(corpus.map(\.category))).sorted() {
        let fs: [NABFile] = files.indices.filter { corpus[$0].category == cat }.map { files[$0] }
        let windows: Int = fs.reduce(0) { $0 + $1.windowCount }
        let raw: Double = NABScorer.rawScore(fs, threshold: 1)
        if windows > 0 {
            parts.append("\(cat) \(f2(NABScorer.normalized(rawScore: raw, windowCount: windows)))")
        } else {
            parts.append("\(cat) raw \(f2(raw))")
        }
    }
    let label = option("--label") ?? options.text
    print("\(label): odd \(f2(nabScore(files, threshold: 1).score)) | " + parts.joined(separator: ", "))
    if arguments.contains("--per-file") {
        // Each odd file's hits (window@offset/length) and false alerts.
        for (k, f) in files.enumerated() { printPerFile(f, windows: corpus[k].windows) }
    }
    if let dir = option("--save") {
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? saved.write(toFile: dir + "/" + label + ".alerts", atomically: true, encoding: .utf8)
    }

case "cv":
    // Development only: leave-one-category-out cross-validation over the odd files, from the alert positions
    // `sweep --save DIR` stored: for each category, the candidate with the best odd score on the other
    // categories is chosen, and the category is scored with it; the left-out categories' files are then scored
    // together. Optional --only NAME,NAME restricts the candidates.
    guard let dir = option("--dir") else { fail("cv needs --dir DIR") }
    let corpus = loadCorpus().filter { $0.number % 2 == 1 }
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".alerts") }
        .map { String($0.dropLast(7)) }.sorted()
    let only = option("--only").map { Set($0.split(separator: ",").map(String.init)) }
    var candidates: [(name: String, files: [NABFile])] = []
    for name in names where only == nil || only!.contains(name) {
        var alertsByKey: [String: [Int]] = [:]
        for line in read(dir + "/" + name + ".alerts").split(separator: "\n") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            alertsByKey[String(cols[0])] = cols.count > 1 ? cols[1].split(separator: ",").compactMap { Int($0) } : []
        }
        var fs: [NABFile] = []
        for c in corpus {
            var sc = Array(repeating: 0.0, count: c.times.count)
            for i in alertsByKey[c.key] ?? [] { sc[i] = 1 }
            fs.append(NABFile(name: c.key, count: c.times.count, windows: c.windows, scores: sc))
        }
        candidates.append((name, fs))
    }
    guard !candidates.isEmpty else { fail("no candidates in \(dir)") }
    let categories = Array(Set(corpus.map(\.category))).sorted()
    var assembled = corpus.indices.map { candidates[0].files[$0] }
    for cat in categories {
        let train = corpus.indices.filter { corpus[$0].category != cat }
        let test = corpus.indices.filter { corpus[$0].category == cat }
        var best = (score: -Double.infinity, k: 0)
        for (k, cand) in candidates.enumerated() {
            let sc = nabScore(train.map { cand.files[$0] }, threshold: 1).score
            if sc > best.score { best = (sc, k) }
        }
        for j in test { assembled[j] = candidates[best.k].files[j] }
        let fs = test.map { assembled[$0] }
        let windows = fs.reduce(0) { $0 + $1.windowCount }
        let raw = NABScorer.rawScore(fs, threshold: 1)
        print("leave out \(cat): chose \(candidates[best.k].name) (\(f2(best.score)) on the others); left-out "
              + (windows > 0 ? "score \(f2(NABScorer.normalized(rawScore: raw, windowCount: windows)))" : "raw \(f2(raw))"))
    }
    print("leave-one-category-out estimate over the odd files: \(f2(nabScore(assembled, threshold: 1).score)) "
          + "(\(candidates.count) candidates)")

case "explore":
    // Development only: candidate NAB mappings scored on the odd (tuning) files; never prints even-file scores.
    //   q: |deviation| over a rolling quantile of past |deviation|    h: re-arm after quiet points
    //   c: likelihood alone, and |deviation| ≥ τ gated by it          f: the flags gated by the likelihood
    //   p: per-file hits of |deviation| ≥ τ with refractory --r
    // The |deviation| ≥ τ line with refractory periods is always printed first.
    let options = (try? AnomalyOptions.parse(option("--options") ?? "")) ?? AnomalyOptions()
    let detector = AnomalyDetector(options: options)
    let corpus = loadCorpus()
    let results = corpus.map { detector.detect(times: $0.times, values: $0.values) }
    let absDev = results.map { r in r.deviation.map { $0.isNaN ? 0 : Swift.abs($0) } }
    exploreScores(corpus, absDev, refractories: [0, 12, 50, 100, 200, 400], label: "|dev|")
    let which = option("--which") ?? "q"
    if which.contains("q") {
        for (q, w) in [(0.99, 2000), (0.995, 2000), (0.999, 2000), (0.99, 5000), (0.995, 5000)] {
            for floor in [1.0, 2.0] {
                let normalized = absDev.map { quantileNormalized($0, q: q, window: w, floor: floor) }
                exploreScores(corpus, normalized, refractories: [0, 50, 100], label: "q\(q) w\(w) floor\(floor)")
            }
        }
    }
    if which.contains("h") {
        for quiet in [6, 12, 50] {
            exploreScores(corpus, absDev, refractories: [0, 12, 50, 100], quiet: quiet, label: "|dev| quiet\(quiet)")
        }
    }
    if which.contains("p") {
        exploreScores(corpus, absDev, refractories: [Int(option("--r") ?? "50") ?? 50], label: "|dev|", perFile: true)
    }
    /// Keeps each signal value where the likelihood signal reaches `level`, 0 elsewhere.
    func gated(_ signal: [[Double]], by likelihood: [[Double]], at level: Double) -> [[Double]] {
        zip(signal, likelihood).map { (s, l) in zip(s, l).map { $0.1 >= level ? $0.0 : 0 } }
    }
    if which.contains("c") {
        for cap in [4.0, 8.0] {
            for (short, long) in [(10, 8640), (5, 2000), (10, 2000)] {
                let lik = absDev.map { likelihoodSignal($0.map { Swift.min($0, cap) / cap }, short: short, long: long) }
                exploreScores(corpus, lik, refractories: [50, 100, 200], label: "lik cap\(cap) s\(short) l\(long)")
                for level in [1.0, 2.0, 3.0] {
                    exploreScores(corpus, gated(absDev, by: lik, at: level), refractories: [50, 100, 200],
                                  label: "   |z| AND lik>=\(level)")
                }
            }
        }
    }
    if which.contains("f") {
        // The detector's own flags (|z| ≥ sensitivity, stuck, drift), gated by the likelihood, with refractory.
        let flagsOnly = results.map { r in r.anomaly.map { $0 ? 1.0 : 0.0 } }
        exploreScores(corpus, flagsOnly, refractories: [0, 50, 100, 200], label: "flags \(options.sensitivity)")
        let cap = 2 * options.sensitivity
        for (short, long) in [(10, 8640), (10, 2000), (5, 2000)] {
            let lik = absDev.map { likelihoodSignal($0.map { Swift.min($0, cap) / cap }, short: short, long: long) }
            for level in [1.0, 1.5, 2.0] {
                exploreScores(corpus, gated(flagsOnly, by: lik, at: level), refractories: [50, 100, 200],
                              label: "   flags AND lik s\(short) l\(long) >=\(level)")
            }
        }
    }

case "inspect":
    // Per-file diagnostics on the tuning (odd) files: models used and alert counts.
    let inspectOptions: AnomalyOptions
    do { inspectOptions = try AnomalyOptions.parse(option("--options") ?? "") } catch {
        fail("--options: \(error.description)")
    }
    let detector = AnomalyDetector(options: inspectOptions)
    for c in loadCorpus() where c.number % 2 == 1 || arguments.contains("--held-out") {
        if let only = option("--file"), !c.key.contains(only) { continue }
        let r = detector.detect(times: c.times, values: c.values)
        var counts: [ReasonCode: Int] = [:]
        for code in r.reasons { counts[code, default: 0] += 1 }
        let models = r.models.map { $0.summary }.joined(separator: " | ")
        print("\(c.key) n=\(r.count) flags=\(r.anomaly.filter { $0 }.count) above=\(counts[.above] ?? 0) "
              + "below=\(counts[.below] ?? 0) stuck=\(counts[.stuck] ?? 0) shift=\(counts[.levelShift] ?? 0) "
              + "drift=\(counts[.drift] ?? 0) jump=\(counts[.jump] ?? 0) regime=\(counts[.regimeChange] ?? 0) cold=\(counts[.coldStart] ?? 0) models: \(models)")
        if arguments.contains("--points") {
            // Where each point falls as the scorer sees it: in window w (offset/length), in the probationary period
            // (ignored, even inside a window), or outside.
            let scored = NABFile(name: c.key, count: c.times.count, windows: c.windows, scores: r.score)
            for i in 0..<r.count where r.anomaly[i] || arguments.contains("--all") {
                if arguments.contains("--alerts") && !r.alert[i] { continue }
                let w = Int(scored.windowOf[i])
                let place = w >= 0 ? "  in w\(w)@\(i - c.windows[w].lowerBound)/\(c.windows[w].count)"
                    : (w == -2 ? "  probation" : "  outside")
                print("   \(i) \(r.reason(at: i))  score=\(r.score[i])" + (r.alert[i] ? "  ALERT" : "") + place)
            }
        }
    }

case "anchors":
    // Peer rules (Anchors.swift) next to Tally's default options and streaming profile, each an alert column with
    // no threshold. Odd files only unless --held-out (then also even and all: for a corpus from outside NAB, all).
    let corpus = loadCorpus()
    let showHeldOut = arguments.contains("--held-out")
    let odd = corpus.indices.filter { corpus[$0].number % 2 == 1 }
    let even = corpus.indices.filter { corpus[$0].number % 2 == 0 }
    let shown = showHeldOut ? Array(corpus.indices) : odd
    let contenders: [(name: String, alerts: (CorpusFile) -> [Bool])] =
        Anchor.allCases.map { anchor in (anchor.rawValue, { anchor.alerts(times: $0.times, values: $0.values) }) }
        + [("tally default", { AnomalyDetector(options: AnomalyOptions()).detect(times: $0.times, values: $0.values).alert }),
           ("tally streaming", { AnomalyDetector(options: .streaming).detect(times: $0.times, values: $0.values).alert })]
    for contender in contenders {
        var files: [NABFile] = []
        var alertCount = 0, caught = 0, windows = 0
        for k in shown {
            let alerts = contender.alerts(corpus[k])
            files.append(NABFile(name: corpus[k].key, count: alerts.count, windows: corpus[k].windows,
                                 scores: alerts.map { $0 ? 1 : 0 }))
            alertCount += alerts.filter { $0 }.count
            caught += corpus[k].windows.filter { w in w.contains { alerts[$0] } }.count
            windows += corpus[k].windows.count
        }
        let points = shown.reduce(0) { $0 + corpus[$1].times.count }
        func score(_ subset: [Int]) -> String {
            f2(nabScore(subset.compactMap { shown.firstIndex(of: $0) }.map { files[$0] }, threshold: 1).score)
        }
        print("\(contender.name): odd \(score(odd))"
              + (showHeldOut ? ", even \(score(even)), all \(score(shown))" : "")
              + "; \(f2(1000 * Double(alertCount) / Double(points))) alerts per 1,000 points; "
              + "windows with an alert: \(caught) of \(windows)")
    }

case "bench":
    // Speed figures. Build with `swift build -c release`; the machine is shared, so take the median of runs.
    let detector = AnomalyDetector()
    let clock = ContinuousClock()
    let day: Int64 = 86_400_000, hour: Int64 = 3_600_000
    let start: Int64 = 1_704_067_200_000
    var rng = SplitMix64(seed: 42)
    func series(_ kind: Int, _ n: Int, step: Int64) -> (times: [Int64], values: [Double]) {
        var t: [Int64] = [], v: [Double] = []
        for i in 0..<n {
            t.append(start + Int64(i) * step)
            let noise = rng.nextGaussian()
            switch kind % 4 {
            case 0: v.append((10_000 * (1 + 0.03 * noise)).rounded())                       // level counts
            case 1: v.append(((i % 7 >= 5 ? 4_000 : 10_000) * (1 + 0.03 * noise)).rounded()) // weekly pattern
            case 2: v.append((50_000 + 300 * Double(i)) * (1 + 0.005 * noise))               // growing table
            default: v.append(rng.nextUnit() < 0.1 ? Double(1 + rng.nextPoisson(1)) : 0)    // missing count
            }
        }
        return (t, v)
    }
    func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }
    // CPU time of this thread: on a shared machine wall time also counts other people's work.
    func cpuMs() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) * 1000 + Double(ts.tv_nsec) / 1e6
    }
    func cpu(_ body: () -> Void) -> Double { let a = cpuMs(); body(); return cpuMs() - a }
    func ms(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
    let only = option("--only")
    // 1) One 1,000-point series walked forward with the default method.
    for (name, kind, step) in [("daily, weekly pattern", 1, day), ("daily, level counts", 0, day),
                               ("daily, growing table", 2, day), ("hourly, level counts", 0, hour)] {
        let s = series(kind, 1000, step: step)
        if only == "latest" { continue }
        var runs: [Double] = []
        var model = ""
        for _ in 0..<51 {
            var r: AnomalyResult? = nil
            runs.append(cpu { r = detector.detect(times: s.times, values: s.values) })
            model = r!.finalModel?.summary ?? "cold"
        }
        print("walk 1,000 points (\(name); picked \(model)): CPU median \(String(format: "%.3f", median(runs))) ms, "
              + "min \(String(format: "%.3f", runs.min()!)) ms over \(runs.count) runs")
    }
    // 1b) The streaming (NAB) profile on 1,000 five-minute points: the alert column adds the refractory period
    // and the likelihood gate to the same walk.
    if only != "latest" {
        let streaming = AnomalyDetector(options: .streaming)
        let s = series(0, 1000, step: 300_000)
        var runs: [Double] = []
        for _ in 0..<51 { runs.append(cpu { _ = streaming.detect(times: s.times, values: s.values) }) }
        print("walk 1,000 five-minute points, streaming profile: CPU median \(String(format: "%.3f", median(runs))) ms, "
              + "min \(String(format: "%.3f", runs.min()!)) ms over \(runs.count) runs")
    }
    if only == "walk" { break }
    // 2) Checking only the latest point of 10,000 series of 365 daily points (a quarter each of the shapes above).
    var corpus: [(times: [Int64], values: [Double])] = []
    for k in 0..<10_000 { corpus.append(series(k, 365, step: day)) }
    var totals: [Double] = []
    var walls: [Double] = []
    var alerts = 0
    for _ in 0..<3 {
        alerts = 0
        let wall = clock.measure {
            totals.append(cpu {
                for s in corpus where detector.checkLatest(times: s.times, values: s.values)?.anomaly == true {
                    alerts += 1
                }
            })
        }
        walls.append(ms(wall))
    }
    var perKind: [String] = []
    for (k, name) in ["level counts", "weekly pattern", "growing table", "missing count"].enumerated() {
        let subset = corpus.indices.filter { $0 % 4 == k }.map { corpus[$0] }
        let d = cpu { for s in subset { _ = detector.checkLatest(times: s.times, values: s.values) } }
        perKind.append("\(name) \(String(format: "%.0f", d * 1000 / Double(subset.count))) µs")
    }
    print("checkLatest per series of 365 points by shape: " + perKind.joined(separator: ", "))
    print("checkLatest on 10,000 series × 365 points: CPU median \(String(format: "%.0f", median(totals))) ms, "
          + "min \(String(format: "%.0f", totals.min()!)) ms; wall median \(String(format: "%.0f", median(walls))) ms "
          + "over \(totals.count) runs (\(alerts) alerts)")

default:
    print("""
    usage: tally-nab validate [--nab DIR]
           tally-nab score [--nab DIR] [--options "sensitivity=3.5 refractory=100 likelihood=on"] [--held-out] [--per-file]
           tally-nab explore [--options TEXT] [--which qhcfp] [--r N]
           tally-nab sweep [--options TEXT] [--label NAME] [--save DIR]
           tally-nab cv --dir DIR [--only NAME,NAME]
           tally-nab inspect [--nab DIR] [--options TEXT] [--file NAME] [--points [--all] [--alerts]] [--held-out]
           tally-nab anchors [--nab DIR] [--held-out]
           tally-nab bench [--only walk|latest]
    """)
}

/// One line per file: its raw score, the windows its alerts hit (window@offset/length) and its false alerts.
func printPerFile(_ f: NABFile, windows: [ClosedRange<Int>]) {
    var fp = 0, hits: [String] = [], fpCost = 0.0
    for r in 0..<f.scores.count where f.scores[r] >= 1 && f.windowOf[r] == -1 { fp += 1; fpCost += f.weights[r] }
    for (w, win) in windows.enumerated() {
        if let i = win.first(where: { f.scores[$0] >= 1 && f.windowOf[$0] >= 0 }) {
            hits.append("w\(w)@\(i - win.lowerBound)/\(win.count)")
        }
    }
    print("  \(f.name): raw \(f2(NABScorer.rawScore(f, threshold: 1))) windows \(f.windowCount) "
          + "hit \(hits.joined(separator: " ")) fp \(fp) (\(f2(fpCost)))")
}
