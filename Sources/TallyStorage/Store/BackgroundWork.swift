#if canImport(Glibc)
import Glibc
#endif

/// Something to run on a thread of its own (the non-generic part of ``BackgroundWork``: a C thread entry point
/// cannot depend on a generic parameter).
class ThreadJob: @unchecked Sendable {
    func run() {}

    /// Starts `run()` on a new thread; false when no thread could be started.
    fileprivate func start(_ thread: inout pthread_t) -> Bool {
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { context in
            let job = Unmanaged<ThreadJob>.fromOpaque(context!).takeRetainedValue()
            job.run()
            return nil
        }, context)
        if status != 0 { Unmanaged<ThreadJob>.fromOpaque(context).release() }
        return status == 0
    }
}

/// Work started on a thread of its own now and joined later: opens overlap reading segment files with loading the
/// catalog, and building label postings with the rest of the index.
///
/// A dedicated thread, not a dispatch queue: the open may run on a thread of Swift concurrency's pool (a server
/// handler), and waiting there for a block queued to a shared pool could wait for a thread that never frees up.
/// If no thread can be started, the work runs on the caller's thread when its value is asked for.
final class BackgroundWork<Value: Sendable>: ThreadJob, @unchecked Sendable {
    private let work: () throws(StoreError) -> Value
    // Written once by the worker before it ends; read only after `pthread_join`.
    private var outcome: Result<Value, StoreError>?
    private var thread = pthread_t()
    private var started = false
    private var joined = false

    init(_ work: @escaping @Sendable () throws(StoreError) -> Value) {
        self.work = work
        super.init()
        started = start(&thread)
    }

    override func run() {
        outcome = Result { () throws(StoreError) -> Value in try work() }
    }

    /// Waits for the work and returns its value, or throws its error.
    func value() throws(StoreError) -> Value {
        if started && !joined {
            pthread_join(thread, nil)
            joined = true
        }
        if outcome == nil { run() }
        return try outcome!.get()
    }

    deinit {
        if started && !joined { pthread_detach(thread) }
    }
}
