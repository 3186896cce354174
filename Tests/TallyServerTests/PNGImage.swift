import CZlib
import Foundation

/// A decoded PNG: enough of the format for Chromium's screenshots (8-bit RGB or RGBA, not interlaced).
struct PNGImage {
    var width: Int
    var height: Int
    /// RGBA, row by row.
    var pixels: [UInt8]

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(_ data: [UInt8]) throws {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard data.count > 8, Array(data[0..<8]) == signature else { throw Failure(description: "not a PNG (bad signature)") }
        func u32(_ at: Int) -> Int { Int(data[at]) << 24 | Int(data[at + 1]) << 16 | Int(data[at + 2]) << 8 | Int(data[at + 3]) }
        var offset = 8
        var compressed: [UInt8] = []
        var header: (width: Int, height: Int, depth: UInt8, color: UInt8, interlace: UInt8)?
        while offset + 12 <= data.count {
            let length = u32(offset)
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            let body = offset + 8
            guard body + length + 4 <= data.count else { throw Failure(description: "chunk \(type) runs past the end") }
            switch type {
            case "IHDR":
                header = (u32(body), u32(body + 4), data[body + 8], data[body + 9], data[body + 12])
            case "IDAT":
                compressed.append(contentsOf: data[body..<(body + length)])
            default:
                break
            }
            offset = body + length + 4
            if type == "IEND" { break }
        }
        guard let header else { throw Failure(description: "no IHDR chunk") }
        guard header.depth == 8, header.color == 2 || header.color == 6, header.interlace == 0 else {
            throw Failure(description: "unsupported PNG: depth \(header.depth), colour type \(header.color), interlace \(header.interlace)")
        }
        let channels = header.color == 6 ? 4 : 3
        let rowBytes = header.width * channels
        var raw = [UInt8](repeating: 0, count: header.height * (rowBytes + 1))
        var rawLength = uLongf(raw.count)
        let status = raw.withUnsafeMutableBufferPointer { out in
            compressed.withUnsafeBufferPointer { input in
                uncompress(out.baseAddress, &rawLength, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, Int(rawLength) == raw.count else {
            throw Failure(description: "zlib could not inflate the image data (status \(status), \(rawLength) of \(raw.count) bytes)")
        }
        // Undo the per-row filters (None, Sub, Up, Average, Paeth).
        var image = [UInt8](repeating: 0, count: header.height * rowBytes)
        for row in 0..<header.height {
            let filter = raw[row * (rowBytes + 1)]
            let source = row * (rowBytes + 1) + 1, target = row * rowBytes
            for i in 0..<rowBytes {
                let x = raw[source + i]
                let a = i >= channels ? Int(image[target + i - channels]) : 0
                let b = row > 0 ? Int(image[target - rowBytes + i]) : 0
                let c = i >= channels && row > 0 ? Int(image[target - rowBytes + i - channels]) : 0
                let predictor: Int
                switch filter {
                case 0: predictor = 0
                case 1: predictor = a
                case 2: predictor = b
                case 3: predictor = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predictor = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c)
                default: throw Failure(description: "row \(row) has an unknown filter \(filter)")
                }
                image[target + i] = UInt8(truncatingIfNeeded: Int(x) + predictor)
            }
        }
        width = header.width
        height = header.height
        if channels == 4 {
            pixels = image
        } else {
            pixels = []
            pixels.reserveCapacity(width * height * 4)
            for i in stride(from: 0, to: image.count, by: 3) { pixels += [image[i], image[i + 1], image[i + 2], 255] }
        }
    }

    /// The number of pixels that are not (near) white.
    var nonWhitePixels: Int {
        var count = 0
        for i in stride(from: 0, to: pixels.count, by: 4) where pixels[i] < 245 || pixels[i + 1] < 245 || pixels[i + 2] < 245 {
            count += 1
        }
        return count
    }

    /// The number of distinct RGB colours.
    var distinctColors: Int {
        var seen = Set<UInt32>()
        for i in stride(from: 0, to: pixels.count, by: 4) {
            seen.insert(UInt32(pixels[i]) << 16 | UInt32(pixels[i + 1]) << 8 | UInt32(pixels[i + 2]))
        }
        return seen.count
    }

    /// Whether some pixel is close to `rgb` (`#rrggbb`), within `tolerance` per channel.
    func contains(color rgb: String, tolerance: Int = 6) -> Bool {
        let hex = Int(rgb.dropFirst(), radix: 16) ?? 0
        let r = hex >> 16 & 255, g = hex >> 8 & 255, b = hex & 255
        for i in stride(from: 0, to: pixels.count, by: 4)
        where abs(Int(pixels[i]) - r) <= tolerance && abs(Int(pixels[i + 1]) - g) <= tolerance && abs(Int(pixels[i + 2]) - b) <= tolerance {
            return true
        }
        return false
    }
}
