import CSQLite
#if canImport(Glibc)
import Glibc
#endif

/// A small wrapper over one SQLite connection. SQLite serialises each call (`SQLITE_OPEN_FULLMUTEX`), but a
/// transaction belongs to the connection, not to a thread: ``exclusive(_:)`` is held for a whole transaction and
/// around reads made from other threads, so that they never see (or join) another thread's open transaction.
final class SQLiteDatabase: @unchecked Sendable {
    let path: String
    private let handle: OpaquePointer
    /// Recursive: a transaction's body reads through the same connection.
    private let access: UnsafeMutablePointer<pthread_mutex_t>

    init(path: String, readOnly: Bool) throws(StoreError) {
        var db: OpaquePointer?
        let flags = readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let rc = sqlite3_open_v2(path, &db, flags | SQLITE_OPEN_FULLMUTEX, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(db)
            throw StoreError.catalog("cannot open \(path): \(message)")
        }
        handle = db
        self.path = path
        sqlite3_busy_timeout(db, 10_000)
        access = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(access, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        sqlite3_close_v2(handle)
        pthread_mutex_destroy(access)
        access.deallocate()
    }

    /// Runs `body` while no other thread uses the connection for a transaction or a read of its own.
    func exclusive<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        pthread_mutex_lock(access)
        defer { pthread_mutex_unlock(access) }
        return try body()
    }

    /// Runs statements that return no rows.
    func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? "code \(rc)"
            sqlite3_free(error)
            throw StoreError.catalog("\(path): \(message) (in: \(sql.prefix(120)))")
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> SQLiteStatement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v2(handle, sql, -1, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(sql) }
        return SQLiteStatement(stmt, database: self, sql: sql)
    }

    func error(_ sql: String) -> StoreError {
        StoreError.catalog("\(path): \(String(cString: sqlite3_errmsg(handle))) (in: \(sql.prefix(120)))")
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try exclusive { () throws(StoreError) -> T in
            try execute("BEGIN IMMEDIATE")
            do throws(StoreError) {
                let result = try body()
                try execute("COMMIT")
                return result
            } catch {
                try? execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` inside a read transaction, so that it sees one consistent state.
    func readTransaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try exclusive { () throws(StoreError) -> T in
            try execute("BEGIN")
            defer { try? execute("COMMIT") }
            return try body()
        }
    }

    /// Copies the whole database into a new file at `path` (SQLite's online backup).
    func backup(to path: String) throws(StoreError) {
        var target: OpaquePointer?
        guard sqlite3_open(path, &target) == SQLITE_OK, let target else {
            sqlite3_close(target)
            throw StoreError.catalog("cannot create \(path)")
        }
        defer { sqlite3_close(target) }
        guard let backup = sqlite3_backup_init(target, "main", handle, "main") else {
            throw StoreError.catalog("backup to \(path): \(String(cString: sqlite3_errmsg(target)))")
        }
        let rc = sqlite3_backup_step(backup, -1)
        sqlite3_backup_finish(backup)
        guard rc == SQLITE_DONE else { throw StoreError.catalog("backup to \(path) failed with code \(rc)") }
    }
}

/// A prepared statement. Bind parameters are 1-based; columns 0-based.
final class SQLiteStatement {
    private let stmt: OpaquePointer
    private let database: SQLiteDatabase
    private let sql: String

    fileprivate init(_ stmt: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.stmt = stmt
        self.database = database
        self.sql = sql
    }

    deinit { sqlite3_finalize(stmt) }

    @discardableResult
    func bind(_ values: SQLiteValue...) -> SQLiteStatement {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case .null: sqlite3_bind_null(stmt, index)
            case .int(let v): sqlite3_bind_int64(stmt, index, v)
            case .double(let v): sqlite3_bind_double(stmt, index, v)
            // With its length in bytes: a NUL in a text is stored, not where the text ends.
            case .text(let v): sqlite3_bind_text(stmt, index, v, Int32(clamping: v.utf8.count), csqlite_transient())
            }
        }
        return self
    }

    /// Steps once; true when a row is available.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw database.error(sql)
    }

    /// Runs a statement that returns no rows.
    func run() throws(StoreError) {
        _ = try step()
        sqlite3_reset(stmt)
    }

    func int(_ column: Int32) -> Int64 { sqlite3_column_int64(stmt, column) }
    func double(_ column: Int32) -> Double { sqlite3_column_double(stmt, column) }
    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(stmt, column) == SQLITE_NULL }
    func text(_ column: Int32) -> String {
        withTextBytes(column) { String(decoding: $0, as: UTF8.self) }
    }

    /// The UTF-8 bytes of a text column, valid only inside `body` (no string is made).
    func withTextBytes<R>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        guard let p = sqlite3_column_text(stmt, column) else { return body(UnsafeBufferPointer(start: nil, count: 0)) }
        return body(UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, column))))
    }
}

/// A value to bind to a statement parameter.
enum SQLiteValue {
    case null
    case int(Int64)
    case double(Double)
    case text(String)
}
