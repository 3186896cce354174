// tally-nab: scores detectors on the Numenta Anomaly Benchmark with TallyAnalysis' NAB scorer, and measures
// detector speed.
//
//   tally-nab validate [--nab DIR]              re-score the published Twitter ADVec outputs (must print 47.06)
//   tally-nab score [--nab DIR] [--options T]   walk Tally forward over the NAB files and score the odd (tuning)
//       [--held-out] [--per-file]               files; --held-out adds the even files and all files
//   tally-nab inspect [--file NAME] [--points]  per-file verdict counts and models (odd files; --held-out: all)
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
    let optionText = option("--options") ?? ""
    let options: AnomalyOptions
    do { options = try AnomalyOptions.parse(optionText) } catch { fail(error.description) }
    let detector = AnomalyDetector(options: options)
    let corpus = loadCorpus()
    let clock = ContinuousClock()
    var scoreFiles: [NABFile] = []
    var flagFiles: [NABFile] = []
    var rawScoreFiles: [NABFile] = []
    var judged = 0, flagged = 0, events = 0, windowsCaught = 0, windowsTotal = 0
    var points = 0
    let elapsed = clock.measure {
        for c in corpus {
            let r = detector.detect(times: c.times, values: c.values)
            // NAB anomaly score: |deviation| / (1 + |deviation|), a monotone map of the deviation in robust
            // standard deviations into [0, 1) that, unlike `score`, does not saturate at 1 for extreme points.
            scoreFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                      scores: r.deviation.map { $0.isNaN ? 0 : Swift.abs($0) / (1 + Swift.abs($0)) }))
            rawScoreFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                         scores: r.score.map { $0.isNaN ? 0 : $0 }))
            flagFiles.append(NABFile(name: c.key, count: c.times.count, windows: c.windows,
                                     scores: r.anomaly.map { $0 ? 1 : 0 }))
            points += c.times.count
            judged += r.reasons.filter { $0 != .coldStart && $0 != .missing }.count
            flagged += r.anomaly.filter { $0 }.count
            var previous = false
            for f in r.anomaly { if f && !previous { events += 1 }; previous = f }
            windowsCaught += c.windows.filter { w in w.contains { r.anomaly[$0] } }.count
            windowsTotal += c.windows.count
        }
    }
    let odd = corpus.indices.filter { corpus[$0].number % 2 == 1 }
    let even = corpus.indices.filter { corpus[$0].number % 2 == 0 }
    func pick(_ f: [NABFile], _ idx: [Int]) -> [NABFile] { idx.map { f[$0] } }
    let showHeldOut = arguments.contains("--held-out")
    print("options: \(options.text)")
    print("walked \(corpus.count) files, \(points) points in \(elapsed)")
    print("alerts (anomaly flags): \(flagged) points = \(f2(1000 * Double(flagged) / Double(judged))) per 1,000 judged, "
          + "\(events) events = \(f2(1000 * Double(events) / Double(judged))) per 1,000; "
          + "windows with at least one alert: \(windowsCaught) of \(windowsTotal)")
    // 1) The score column with a tuned threshold: tuned on odd files only.
    let tuned = nabScore(pick(scoreFiles, odd))
    print("deviation score, threshold tuned on odd files: odd (tuning) \(f2(tuned.score)) at threshold \(tuned.threshold)")
    let tunedRaw = nabScore(pick(rawScoreFiles, odd))
    print("score column, threshold tuned on odd files: odd (tuning) \(f2(tunedRaw.score)) at threshold \(tunedRaw.threshold)")
    // 2) The anomaly flags at the frozen default sensitivity: no tuning at all.
    print("anomaly flags (no threshold): odd \(f2(nabScore(pick(flagFiles, odd), threshold: 1).score))")
    if showHeldOut {
        print("deviation score, odd-tuned threshold applied: even \(f2(nabScore(pick(scoreFiles, even), threshold: tuned.threshold).score)), "
              + "all \(f2(nabScore(scoreFiles, threshold: tuned.threshold).score))")
        let allOpt = nabScore(scoreFiles)
        print("deviation score, threshold optimised on all files as NAB reports: all \(f2(allOpt.score)) "
              + "(threshold \(allOpt.threshold))")
        print("anomaly flags (no threshold): even \(f2(nabScore(pick(flagFiles, even), threshold: 1).score)), "
              + "all \(f2(nabScore(flagFiles, threshold: 1).score))")
    }
    if showHeldOut {
        var line: [String] = []
        for cat in Array(Set(corpus.map(\.category))).sorted() {
            let idx = corpus.indices.filter { corpus[$0].category == cat }
            let fs = pick(scoreFiles, idx)
            let windows = fs.reduce(0) { $0 + $1.windowCount }
            guard windows > 0 else { continue }
            let raw = NABScorer.rawScore(fs, threshold: tuned.threshold)
            line.append("\(cat) \(f2(NABScorer.normalized(rawScore: raw, windowCount: windows)))")
        }
        print("deviation score by category (all files, odd-tuned threshold): " + line.joined(separator: ", "))
    }
    if arguments.contains("--per-file") {
        for (k, f) in scoreFiles.enumerated() where corpus[k].number % 2 == 1 || showHeldOut {
            let s = NABScorer.rawScore(f, threshold: tuned.threshold)
            var fp = 0, hits: [String] = []
            var firstHit: [Int32: Int] = [:]
            for r in 0..<f.scores.count where f.scores[r] >= tuned.threshold && f.windowOf[r] != -2 {
                if f.windowOf[r] == -1 { fp += 1 } else if firstHit[f.windowOf[r]] == nil { firstHit[f.windowOf[r]] = r }
            }
            for w in firstHit.keys.sorted() {
                let win = corpus[k].windows[Int(w)]
                hits.append("w\(w)@\(firstHit[w]! - win.lowerBound)/\(win.count)")
            }
            print("  \(f.name): raw \(f2(s)) windows \(f.windowCount) hit \(hits.joined(separator: " ")) fp \(fp)")
        }
    }

case "inspect":
    // Per-file diagnostics on the tuning (odd) files: models used and alert counts.
    let detector = AnomalyDetector(options: (try? AnomalyOptions.parse(option("--options") ?? "")) ?? AnomalyOptions())
    for c in loadCorpus() where c.number % 2 == 1 || arguments.contains("--held-out") {
        if let only = option("--file"), !c.key.contains(only) { continue }
        let r = detector.detect(times: c.times, values: c.values)
        var counts: [ReasonCode: Int] = [:]
        for code in r.reasons { counts[code, default: 0] += 1 }
        let models = r.models.map { $0.summary }.joined(separator: " | ")
        print("\(c.key) n=\(r.count) flags=\(r.anomaly.filter { $0 }.count) above=\(counts[.above] ?? 0) "
              + "below=\(counts[.below] ?? 0) stuck=\(counts[.stuck] ?? 0) shift=\(counts[.levelShift] ?? 0) "
              + "drift=\(counts[.drift] ?? 0) regime=\(counts[.regimeChange] ?? 0) cold=\(counts[.coldStart] ?? 0) models: \(models)")
        if arguments.contains("--points") {
            for i in 0..<r.count where r.anomaly[i] || arguments.contains("--all") {
                print("   \(i) \(r.reason(at: i))  score=\(r.score[i])")
            }
        }
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
           tally-nab score [--nab DIR] [--options "method=auto sensitivity=4"] [--held-out] [--per-file]
           tally-nab inspect [--nab DIR] [--options TEXT] [--file NAME] [--points [--all]] [--held-out]
           tally-nab bench [--only walk|latest]
    """)
}
