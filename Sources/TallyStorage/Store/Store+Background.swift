#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Synchronization

/// A running background compaction; stop it before closing the store.
public final class BackgroundCompaction: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = Mutex<Bool>(false)

    fileprivate init() {}

    fileprivate var isStopped: Bool { stopped.load(ordering: .acquiring) }

    fileprivate func markFinished() { finished.withLock { $0 = true } }

    /// Asks the loop to stop and waits for the compaction under way, if any, to end. It blocks the calling thread
    /// (polling every 2 ms): from async code, call it on a thread that may wait.
    public func stop() {
        stopped.store(true, ordering: .releasing)
        while !finished.withLock({ $0 }) { usleep(2000) }
    }
}

extension Store {
    /// Compacts in the background for long-running processes (`tally serve`): every `interval` seconds, when
    /// at least `minimumSegments` segments were written since the last compaction. Writers and readers go on
    /// meanwhile (see ``compact()``). Errors are passed to `onError` and the loop continues, except on a handle that
    /// cannot write (read-only or closed): that is said once (`.readOnly`; a close is no error) and the loop ends.
    public func startBackgroundCompaction(interval: Double = 60, minimumSegments: Int = 8,
                                          onError: @escaping @Sendable (StoreError) -> Void = { _ in }) -> BackgroundCompaction {
        let handle = BackgroundCompaction()
        DispatchQueue(label: "tally.compaction").async {
            var slept = 0.0
            while !handle.isStopped {
                usleep(50_000)
                slept += 0.05
                guard slept >= interval else { continue }
                slept = 0
                let fresh = self.state.withLock { s in s.segments.filter { $0.level == 0 }.count }
                guard fresh >= minimumSegments else { continue }
                do throws(StoreError) {
                    try self.compact()
                } catch {
                    if case .closed = error { break }
                    onError(error)
                    if case .readOnly = error { break }
                }
            }
            handle.markFinished()
        }
        return handle
    }
}
