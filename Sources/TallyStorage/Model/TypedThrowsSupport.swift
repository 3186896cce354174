// The standard library's `withUnsafe…` methods are `rethrows`, which erases typed errors; these keep them.

extension Array {
    /// `withUnsafeBytes` that keeps the body's error type.
    @inlinable
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }

    /// `withUnsafeMutableBytes` that keeps the body's error type.
    @inlinable
    mutating func withMutableBytes<R, E: Error>(_ body: (UnsafeMutableRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeMutableBytes { raw in result = Result { () throws(E) -> R in try body(raw) } }
        return try result!.get()
    }

    /// `withUnsafeMutableBufferPointer` that keeps the body's error type.
    @inlinable
    mutating func withMutableBuffer<R, E: Error>(_ body: (UnsafeMutableBufferPointer<Element>) throws(E) -> R) throws(E) -> R {
        var result: Result<R, E>?
        withUnsafeMutableBufferPointer { buffer in result = Result { () throws(E) -> R in try body(buffer) } }
        return try result!.get()
    }
}
