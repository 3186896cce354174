import TallyEncoding

/// The keys of the index's series, packed: every metric name, label name and label value is kept once (interned),
/// and each series' key is a few varints in one byte array naming them: its metric, its label count, and the name
/// and value of each label in order. A key of a metric and two labels takes about eight bytes and no allocation
/// of its own, where a ``SeriesKey`` takes an array of strings (about 110 bytes on the heap).
///
/// Two keys are equal exactly when their packed bytes are: labels are sorted by name, and a string and any string
/// equal to it (Swift compares strings by canonical equivalence) get the same number.
struct KeyArena: Sendable {
    /// Interned strings and their numbers.
    private var numbers = StringNumbers()
    /// Every packed key, back to back.
    private var packed = ByteWriter()
    /// Per series id: where its key starts in `packed`, or ``absent``.
    private var starts: [UInt32] = []
    private static let absent = UInt32.max

    /// The most bytes a packed key of `labelCount` labels can take (every varint at its longest for 32 bits).
    static func maxPackedBytes(labelCount: Int) -> Int { 5 * (2 + 2 * labelCount) }

    mutating func reserveCapacity(_ count: Int) {
        starts.reserveCapacity(count + 1)
        packed.bytes.reserveCapacity(count * 8)
    }

    /// Stores the key of `id` (replacing none: an id's key never changes).
    mutating func append(_ id: SeriesID, _ key: SeriesKey) {
        startKey(id)
        packed.writeVarUInt(UInt64(numbers.intern(key.metric)))
        packed.writeVarUInt(UInt64(key.labels.count))
        for label in key.labels {
            packed.writeVarUInt(UInt64(numbers.intern(label.name)))
            packed.writeVarUInt(UInt64(numbers.intern(label.value)))
        }
    }

    /// Notes that `id`'s key starts at the end of the bytes.
    private mutating func startKey(_ id: SeriesID) {
        let i = Int(id)
        if starts.count <= i { starts.append(contentsOf: repeatElement(KeyArena.absent, count: i + 1 - starts.count)) }
        precondition(packed.bytes.count < Int(KeyArena.absent), "more than 4 GiB of packed series keys")
        starts[i] = UInt32(packed.bytes.count)
    }

    /// Numbers a string given as UTF-8 bytes (for keys packed straight from the catalog's rows).
    mutating func number(utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt32 { numbers.intern(utf8: bytes) }

    /// Stores the key of `id` from string numbers: its metric, then each label's name and value, labels sorted
    /// by name (as the catalog lists them).
    mutating func append(_ id: SeriesID, metric: UInt32, labels: ArraySlice<(UInt32, UInt32)>) {
        startKey(id)
        packed.writeVarUInt(UInt64(metric))
        packed.writeVarUInt(UInt64(labels.count))
        for (name, value) in labels {
            packed.writeVarUInt(UInt64(name))
            packed.writeVarUInt(UInt64(value))
        }
    }

    /// The number of the metric of `id`'s key.
    func metricNumber(_ id: SeriesID) -> UInt32 {
        var at = Int(starts[Int(id)])
        return readVarint(&at)
    }

    /// The key of `id`, made anew from its packed form.
    func key(_ id: SeriesID) -> SeriesKey {
        var at = Int(starts[Int(id)])
        let metric = numbers.strings[Int(readVarint(&at))]
        let count = Int(readVarint(&at))
        var labels: [Label] = []
        labels.reserveCapacity(count)
        for _ in 0..<count {
            let name = numbers.strings[Int(readVarint(&at))]
            labels.append(Label(name, numbers.strings[Int(readVarint(&at))]))
        }
        return SeriesKey(metric: metric, labels: labels)
    }

    /// Calls `body` with the string numbers of `id`'s key in order: its metric, then each label's name and value.
    func forEachNumber(of id: SeriesID, _ body: (UInt32) -> Void) {
        var at = Int(starts[Int(id)])
        body(readVarint(&at))
        let count = Int(readVarint(&at))
        for _ in 0..<(2 * count) { body(readVarint(&at)) }
    }

    /// Calls `body` with the string numbers of each label of `id`'s key: its name, then its value.
    func forEachLabel(of id: SeriesID, _ body: (UInt32, UInt32) -> Void) {
        var at = Int(starts[Int(id)])
        _ = readVarint(&at)
        let count = Int(readVarint(&at))
        for _ in 0..<count {
            let name = readVarint(&at)
            body(name, readVarint(&at))
        }
    }

    /// Every interned string, indexed by number (for ranking them).
    var internedStrings: [String] { numbers.strings }

    /// Reads a varint this arena wrote (trusted bytes in memory, so without the bounds and overflow checks of
    /// ``ByteReader``).
    @inline(__always) private func readVarint(_ at: inout Int) -> UInt32 {
        var value: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let byte = packed.bytes[at]
            at += 1
            value |= UInt32(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    /// Packs `key` with the numbers already interned and calls `body` with the bytes; nil (without calling it)
    /// when some string of the key was never interned, so no stored key can equal it.
    func withPacked<R>(_ key: SeriesKey, _ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard let metric = numbers.number(of: key.metric) else { return nil }
        var w = ByteWriter(capacity: KeyArena.maxPackedBytes(labelCount: key.labels.count))
        w.writeVarUInt(UInt64(metric))
        w.writeVarUInt(UInt64(key.labels.count))
        for label in key.labels {
            guard let name = numbers.number(of: label.name), let value = numbers.number(of: label.value) else {
                return nil
            }
            w.writeVarUInt(UInt64(name))
            w.writeVarUInt(UInt64(value))
        }
        return w.bytes.withUnsafeBytes(body)
    }

    /// The packed bytes of `id`'s key.
    func withPacked<R>(_ id: SeriesID, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        let start = Int(starts[Int(id)])
        var end = start
        _ = readVarint(&end)
        let count = Int(readVarint(&end))
        for _ in 0..<(2 * count) { _ = readVarint(&end) }
        return packed.bytes.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start..<end])) }
    }

    /// The hash of a packed key (the same for a key and its packed form).
    static func hash(_ packed: UnsafeRawBufferPointer) -> Int {
        StringNumbers.hash(packed.assumingMemoryBound(to: UInt8.self))
    }
}
