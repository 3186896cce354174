import Dispatch

/// Work started on another thread now and joined later: opens overlap reading segment files with loading the
/// catalog, and building label postings with the rest of the index.
final class BackgroundWork<Value: Sendable>: @unchecked Sendable {
    private let done = DispatchGroup()
    // Written once by the worker before `done.leave()`, read only after `done.wait()`.
    private var outcome: Result<Value, StoreError>?

    init(_ work: @escaping @Sendable () throws(StoreError) -> Value) {
        done.enter()
        DispatchQueue.global().async {
            self.outcome = Result { () throws(StoreError) -> Value in try work() }
            self.done.leave()
        }
    }

    /// Waits for the work and returns its value, or throws its error.
    func value() throws(StoreError) -> Value {
        done.wait()
        return try outcome!.get()
    }
}
