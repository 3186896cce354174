#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// `params.json` of the peer kit's dataset (gen_data.py): query parameters and expected answers.
struct PeerParams: Decodable {
    struct RangeQuery: Decodable {
        var series: Int
        var tLo: Int64
        var tHi: Int64
        var rows: Int?

        enum CodingKeys: String, CodingKey {
            case series, rows
            case tLo = "t_lo"
            case tHi = "t_hi"
        }
    }

    struct Expected: Decodable {
        var aRows: Int
        var aValueSum: Double
        var bRows: Int
        var bAvgSum: Double
        var cRows: Int
        var cValueSum: Double
        var cTsMaxSum: Int64

        enum CodingKeys: String, CodingKey {
            case aRows = "a_rows", aValueSum = "a_value_sum", bRows = "b_rows", bAvgSum = "b_avg_sum"
            case cRows = "c_rows", cValueSum = "c_value_sum", cTsMaxSum = "c_ts_max_sum"
        }
    }

    var qa: RangeQuery
    var qb: RangeQuery
    var n: Int
    var series: Int
    var scale: Double
    var expected: Expected
}

/// The dataset's points as columns, sorted by (series, time): row `i` of each array is point `i`.
struct PeerDataset {
    var params: PeerParams
    var seriesIDs: [Int32]
    var times: [Int64]
    var values: [Double]

    /// Reads `DIR/params.json` and the raw little-endian files `series.i32`, `ts.i64`, `value.f64`.
    static func load(from directory: String) throws -> PeerDataset {
        let paramsPath = directory + "/params.json"
        guard let paramsData = FileManager.default.contents(atPath: paramsPath) else {
            throw BenchFailure("cannot read \(paramsPath) (generate the dataset with gen_data.py --out \(directory))")
        }
        let params: PeerParams
        do {
            params = try JSONDecoder().decode(PeerParams.self, from: paramsData)
        } catch {
            throw BenchFailure("\(paramsPath) is not the kit's params.json: \(error)")
        }
        let seriesIDs: [Int32] = try readRaw(directory + "/series.i32", count: params.n)
        let times: [Int64] = try readRaw(directory + "/ts.i64", count: params.n)
        let values: [Double] = try readRaw(directory + "/value.f64", count: params.n)
        return PeerDataset(params: params, seriesIDs: seriesIDs, times: times, values: values)
    }
}

/// Reads a headerless little-endian array of exactly `count` elements straight into a Swift array.
private func readRaw<T: FixedWidthInteger>(_ path: String, count: Int) throws -> [T] {
    let array: [T] = try readRawBytes(path, count: count, elementSize: MemoryLayout<T>.stride)
    #if _endian(big)
    return array.map { T(littleEndian: $0) }
    #else
    return array
    #endif
}

private func readRaw(_ path: String, count: Int) throws -> [Double] {
    #if _endian(big)
    let bits: [UInt64] = try readRaw(path, count: count)
    return bits.map { Double(bitPattern: $0) }
    #else
    return try readRawBytes(path, count: count, elementSize: 8)
    #endif
}

private func readRawBytes<T>(_ path: String, count: Int, elementSize: Int) throws -> [T] {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { throw BenchFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw BenchFailure("cannot stat \(path)") }
    let byteCount = count * elementSize
    guard Int(info.st_size) == byteCount else {
        throw BenchFailure("\(path) holds \(info.st_size) bytes; params.json says \(count) points = \(byteCount) bytes")
    }
    var failure: String?
    let array = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        var done = 0
        while done < byteCount {
            let n = read(fd, raw.baseAddress! + done, byteCount - done)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                failure = n == 0 ? "unexpected end of file" : String(cString: strerror(errno))
                break
            }
            done += n
        }
        // Plain integers and floats: zero-filling a short read leaves every element initialised.
        if done < byteCount { (raw.baseAddress! + done).initializeMemory(as: UInt8.self, repeating: 0, count: byteCount - done) }
        initialized = count
    }
    if let failure { throw BenchFailure("cannot read \(path): \(failure)") }
    return array
}
