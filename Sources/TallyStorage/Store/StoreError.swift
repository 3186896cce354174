import TallyEncoding
#if canImport(Glibc)
import Glibc
#endif

/// Why a store operation failed, with the file, offset or record involved.
public enum StoreError: Error, Sendable, CustomStringConvertible {
    /// A system call failed.
    case io(IOError)
    /// Bad input: nothing was written.
    case invalid(InputError)
    /// A directory that must be new (a backup's, a restored store's) already exists: a conflict with what is
    /// there, not bad input. `detail` says what needs a new directory. Nothing was written.
    case exists(path: String, detail: String)
    /// Another writer holds the lock: another process, or a handle this process opened for writing. `holder` is the
    /// process id the LOCK file names, when it could be read.
    case locked(path: String, holder: Int32? = nil)
    /// A file is damaged: what was found, where.
    case corrupt(path: String, offset: Int, detail: String)
    /// A file was written by a version of Tally this one does not know.
    case unsupportedVersion(path: String, found: Int, supported: Int)
    /// The directory is not a Tally store (or not one of the expected kind).
    case notAStore(path: String, detail: String)
    /// The catalog (SQLite) reported an error.
    case catalog(String)
    /// The store was opened read-only and cannot write.
    case readOnly
    /// The store was closed.
    case closed

    public var description: String {
        switch self {
        case .io(let e): return e.description
        case .invalid(let e): return e.description
        case .exists(let path, let detail): return "\(path) exists: \(detail)"
        case .locked(let path, let holder):
            let by = holder.map { $0 == getpid() ? "by a handle this process (\($0)) already opened for writing"
                                                  : "by process \($0)" }
                ?? "by another process, or by a handle this process already opened for writing"
            return "the store is in use by another writer (lock \(path) is held \(by))"
        case .corrupt(let path, let offset, let detail): return "\(path): damaged at offset \(offset): \(detail)"
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path): format version \(found) is newer than this Tally supports (\(supported)); upgrade Tally to read it"
        case .notAStore(let path, let detail): return "\(path) is not a Tally store: \(detail)"
        case .catalog(let message): return "catalog: \(message)"
        case .readOnly: return "the store is open read-only"
        case .closed: return "the store is closed"
        }
    }

    /// The same error, also naming the series whose blocks or footer entry were being read, as its key is written
    /// (`row_count{dataset="orders"}`): a segment read knows the file and the offset, only the store knows whose
    /// data lies there. Damage gets `; reading series …` after its detail, a failed read (`.io`) `for series … in`
    /// after its operation (`read for series … in <path> at offset … failed`); other errors are returned as they
    /// are.
    func reading(series name: String) -> StoreError {
        switch self {
        case .corrupt(let path, let offset, let detail):
            return .corrupt(path: path, offset: offset, detail: "\(detail); reading series \(name)")
        case .io(var error):
            error.series = name
            return .io(error)
        default:
            return self
        }
    }

    /// Wraps a decoding error from a file as a corruption at the file's offset.
    static func corrupt(_ path: String, _ error: EncodingError) -> StoreError {
        .corrupt(path: path, offset: error.offset, detail: error.description)
    }
}
