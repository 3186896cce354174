#if canImport(Glibc)
import Glibc
#endif
import Foundation
import CBenchSupport

/// Monotonic time in seconds.
@inline(__always)
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Runs `body` once and returns its result with the elapsed milliseconds.
@inline(__always)
func timedMillis<T>(_ body: () throws -> T) rethrows -> (ms: Double, result: T) {
    let start = monotonicSeconds()
    let result = try body()
    return ((monotonicSeconds() - start) * 1e3, result)
}

/// Repeated timings of one operation, in milliseconds.
struct Samples {
    var ms: [Double] = []

    mutating func add(_ value: Double) { ms.append(value) }

    /// The median (mean of the middle two for an even count), like Python's `statistics.median`.
    var median: Double {
        let q = ms.sorted()
        guard !q.isEmpty else { return .nan }
        return q.count % 2 == 1 ? q[q.count / 2] : (q[q.count / 2 - 1] + q[q.count / 2]) / 2
    }

    var min: Double { ms.min() ?? .nan }
    var max: Double { ms.max() ?? .nan }
    var mean: Double { ms.isEmpty ? .nan : ms.reduce(0, +) / Double(ms.count) }

    /// The sample at rank `round(p * (n - 1))` of the sorted samples (the kit's `lat_stats` rule).
    func percentile(_ p: Double) -> Double {
        let q = ms.sorted()
        guard !q.isEmpty else { return .nan }
        return q[Swift.min(q.count - 1, Int((p * Double(q.count - 1)).rounded()))]
    }

    /// `{"median_ms", "min_ms", "reps"}`, the peers' `warm` object.
    var warmJSON: JSONValue {
        .object([("median_ms", .double(median)), ("min_ms", .double(min)), ("reps", .int(ms.count))])
    }
}

/// The peak resident set size of this process in MiB (`getrusage`; Linux reports KiB).
func maxRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// User plus system CPU time of this process so far, in seconds: steadier than wall time on a shared machine.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) * 1e-6
}

/// `sync; echo 3 > /proc/sys/vm/drop_caches`. False when not permitted (not root, or in a container that forbids it).
func dropPageCache() -> Bool {
    sync()
    guard let file = fopen("/proc/sys/vm/drop_caches", "w") else { return false }
    let wrote = fputs("3\n", file) >= 0
    return fclose(file) == 0 && wrote
}

/// The sum of the sizes of the regular files under `path` (what side_by_side.sh counts as the store's bytes).
func directoryBytes(_ path: String) -> Int {
    let manager = FileManager.default
    guard let walker = manager.enumerator(atPath: path) else { return 0 }
    var total = 0
    while let relative = walker.nextObject() as? String {
        let full = path + "/" + relative
        var info = stat()
        if lstat(full, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG { total += Int(info.st_size) }
    }
    return total
}

/// The number of regular files directly under `path`.
func fileCount(_ path: String) -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).count
}

/// Neumaier's compensated sum: close to the exactly rounded sum that the kit's `math.fsum` computes.
func compensatedSum<S: Sequence>(_ values: S) -> Double where S.Element == Double {
    var sum = 0.0
    var compensation = 0.0
    for v in values {
        let t = sum + v
        if abs(sum) >= abs(v) {
            compensation += (sum - t) + v
        } else {
            compensation += (v - t) + sum
        }
        sum = t
    }
    return sum + compensation
}

/// True when `a` and `b` agree within a relative tolerance (and an absolute one near zero), like `math.isclose`.
func isClose(_ a: Double, _ b: Double, relative: Double = 1e-9, absolute: Double = 1e-9) -> Bool {
    abs(a - b) <= Swift.max(relative * Swift.max(abs(a), abs(b)), absolute)
}

/// Removes a directory tree (used to start a store from scratch).
func removeTree(_ path: String) throws {
    if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
}

/// The resident set size of this process now, in bytes (`VmRSS` of /proc/self/status).
func currentRSSBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
        return (kib ?? 0) * 1024
    }
    return 0
}

/// Bytes the C heap has handed out and not yet taken back (`mallinfo2`): unlike the RSS, it drops when memory
/// is freed, so differences of it measure what a data structure holds.
func heapBytesInUse() -> Int {
    Int(bench_heap_bytes_in_use())
}
