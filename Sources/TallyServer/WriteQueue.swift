import Dispatch
import Tally
#if canImport(Glibc)
import Glibc
#endif

/// The single writer of a served store, with group commit.
///
/// Request handlers enqueue batches and wait. One thread takes every batch that is waiting (up to
/// ``maxGroup``) and writes them with ``Store/writeGroup(_:)``: one WAL append and one `fdatasync` for the
/// whole group, one LSN per batch. While that sync runs, new batches queue up and form the next group, so under
/// load many clients share each sync; alone, a batch is written at once.
///
/// Bulk CSV imports (``Store/importBulk(_:)``) go through the same thread, alone.
final class WriteQueue: @unchecked Sendable {
    enum Job: Sendable {
        case batch(GroupWrite)
        case bulk(WriteBatch)
    }

    struct Counters: Sendable, Equatable {
        /// WAL syncs (groups) and bulk imports done.
        var commits = 0
        /// Batches acknowledged (including duplicates and bulk imports).
        var batches = 0
        /// The most batches one sync covered.
        var largestGroup = 0
    }

    private struct Waiting {
        var job: Job
        var resume: @Sendable (Result<WriteReceipt, StoreError>) -> Void
    }

    let store: Store
    let maxGroup: Int
    private var queue: [Waiting] = []
    private var stopping = false
    private var finished = false
    private var held = false
    private var counters = Counters()
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let wake: UnsafeMutablePointer<pthread_cond_t>
    private let done: UnsafeMutablePointer<pthread_cond_t>
    private var thread: pthread_t?

    init(store: Store, maxGroup: Int = 1024) {
        self.store = store
        self.maxGroup = max(1, maxGroup)
        mutex = .allocate(capacity: 1)
        wake = .allocate(capacity: 1)
        done = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(done, nil)
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_cond_destroy(done)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        done.deallocate()
        mutex.deallocate()
    }

    /// Starts the writer thread.
    func start() {
        let box = Unmanaged.passRetained(self).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { raw in
            let queue = Unmanaged<WriteQueue>.fromOpaque(raw!).takeRetainedValue()
            queue.run()
            return nil
        }, box)
        precondition(rc == 0, "cannot start the writer thread (\(rc))")
        thread = tid
    }

    /// Writes a job and returns its result once it is durable (or failed). After ``stop()``, fails with
    /// ``StoreError/closed``.
    func submit(_ job: Job) async -> Result<WriteReceipt, StoreError> {
        await withCheckedContinuation { (continuation: CheckedContinuation<Result<WriteReceipt, StoreError>, Never>) in
            let resume: @Sendable (Result<WriteReceipt, StoreError>) -> Void = { continuation.resume(returning: $0) }
            pthread_mutex_lock(mutex)
            if stopping {
                pthread_mutex_unlock(mutex)
                resume(.failure(.closed))
                return
            }
            queue.append(Waiting(job: job, resume: resume))
            pthread_cond_signal(wake)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Stops taking jobs, writes every job already queued, and waits for the writer thread to end.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        held = false
        pthread_cond_broadcast(wake)
        while !finished && thread != nil { pthread_cond_wait(done, mutex) }
        pthread_mutex_unlock(mutex)
        if let thread {
            pthread_join(thread, nil)
            self.thread = nil
        }
    }

    /// Stops it without blocking the caller's thread.
    func stopAsync() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                self.stop()
                continuation.resume()
            }
        }
    }

    var currentCounters: Counters {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return counters
    }

    /// The number of jobs waiting.
    var waiting: Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return queue.count
    }

    /// Tests: keep queued jobs waiting until ``release()`` (or ``stop()``).
    func hold() {
        pthread_mutex_lock(mutex)
        held = true
        pthread_mutex_unlock(mutex)
    }

    func release() {
        pthread_mutex_lock(mutex)
        held = false
        pthread_cond_broadcast(wake)
        pthread_mutex_unlock(mutex)
    }

    private func run() {
        while true {
            pthread_mutex_lock(mutex)
            while (queue.isEmpty || held) && !stopping { pthread_cond_wait(wake, mutex) }
            if queue.isEmpty && stopping {
                finished = true
                pthread_cond_broadcast(done)
                pthread_mutex_unlock(mutex)
                return
            }
            // A bulk import goes alone; otherwise take the leading run of batches.
            var taken: [Waiting] = []
            if case .bulk = queue[0].job {
                taken = [queue.removeFirst()]
            } else {
                var n = 0
                while n < queue.count, n < maxGroup, case .batch = queue[n].job { n += 1 }
                taken = Array(queue[0..<n])
                queue.removeFirst(n)
            }
            pthread_mutex_unlock(mutex)

            let results: [Result<WriteReceipt, StoreError>]
            if case .bulk(let batch) = taken[0].job {
                do throws(StoreError) {
                    results = [.success(try store.importBulk(batch))]
                } catch {
                    results = [.failure(error)]
                }
            } else {
                let writes = taken.map { waiting -> GroupWrite in
                    if case .batch(let write) = waiting.job { return write }
                    preconditionFailure("a bulk job in a group")
                }
                results = store.writeGroup(writes)
            }

            pthread_mutex_lock(mutex)
            counters.commits += 1
            counters.batches += results.count
            counters.largestGroup = max(counters.largestGroup, taken.count)
            pthread_mutex_unlock(mutex)
            for (waiting, result) in zip(taken, results) { waiting.resume(result) }
        }
    }
}

/// Runs blocking work (reads, queries, document parsing) off Swift's cooperative threads and the event loops.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    let result: Result<T, any Error> = await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async {
            continuation.resume(returning: Result { try body() })
        }
    }
    return try result.get()
}
