#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import PolyclearStorage
import Synchronization

/// The one-writer rule for an SQLite database: an exclusive `flock` on `<database>-lock`,
/// held for as long as the store that writes it is open (the kernel drops it when the
/// process dies, even by SIGKILL, so a crash never leaves the database locked).
///
/// Why a file beside the database and not the database itself: SQLite takes POSIX (fcntl)
/// locks on the database, and closing *any* descriptor of that file drops all of the
/// process's POSIX locks on it — our own descriptor would break SQLite's locking when closed.
/// Readers (`ledger check`) open the database read-only and take no lock.
final class WriterLock: Sendable {
    /// The locked file's descriptor; nil once released.
    private let descriptor: Mutex<Int32?>
    let path: String

    init(database: String) throws(StoreError) {
        path = database + "-lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError(.ioFailure, "cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard Self.lock(descriptor) else {
            let error = errno
            close(descriptor)
            if error == EWOULDBLOCK {
                throw StoreError(
                    .databaseInUse,
                    "\(database) is in use by another Polyclear process (or store): one database has one writer")
            }
            throw StoreError(.ioFailure, "cannot lock \(path): \(String(cString: strerror(error)))")
        }
        self.descriptor = Mutex(descriptor)
    }

    /// Takes the lock, trying again for up to a second while it is held: a process this one
    /// is starting holds a copy of every descriptor from its fork until its `exec` closes them
    /// (`O_CLOEXEC`), so a lock released just then stays held for that moment. A second writer
    /// holds it for good and is refused all the same.
    private static func lock(_ descriptor: Int32) -> Bool {
        for _ in 0..<100 {
            if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return true }
            guard errno == EWOULDBLOCK else { return false }
            usleep(10_000)
        }
        return flock(descriptor, LOCK_EX | LOCK_NB) == 0
    }

    /// Releases the lock (closing the store does; so does the end of the process).
    func release() {
        descriptor.withLock { descriptor in
            if let open = descriptor { close(open) }
            descriptor = nil
        }
    }

    deinit { release() }
}
