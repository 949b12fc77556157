#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
public import PolyclearStorage
import Foundation
import GRDB

/// Online backup and restore of a hub (or ledger) database.
///
/// A backup is SQLite's backup API run in one read transaction of the source: a consistent
/// snapshot of the last commit before it started, taken beside a serving hub without holding
/// up its writer (WAL readers do not block the writer) and without its lock (readers take
/// none). It is written to `<out>.partial`, switched to a self-contained rollback-journal
/// file, fsynced and only then renamed to `<out>`: a crash never leaves a half backup under
/// the name asked for.
///
/// A backup is the main file alone: the ledger's tables in its projection file
/// (`SQLiteLedgerStore.Layout.projectionFile`) are rebuilt from its redo rows when the copy is
/// first opened to write, and laid over an empty stand-in when it is opened to read; its
/// snapshots (`SQLiteSnapshotFile`, a cache of the log) are not copied, so a hub first started
/// on a restored backup replays its whole log.
///
/// A restore copies a backup to the database path the same way (partial file, fsync, rename),
/// while holding the database's writer lock: a hub serving that database refuses it
/// (`database_in_use`), and no hub can start on it halfway.
public enum SQLiteBackup {
    /// Copies `database` to `destination`; answers the backup's size in bytes.
    public static func backup(database: String, to destination: String) throws(StoreError) -> Int {
        try checkPaths(from: database, to: destination)
        try SQLiteLedgerStore.validateExistingFile(at: database)
        let partial = destination + ".partial"
        removeFiles(partial)
        do {
            var readOnly = Configuration()
            readOnly.readonly = true
            readOnly.busyMode = .timeout(10)
            let source = try DatabasePool(path: database, configuration: readOnly)
            let copy = try DatabaseQueue(path: partial)
            try source.backup(to: copy)
            try copy.writeWithoutTransaction { db in
                // One file, no -wal beside it: a backup must be copyable as it is.
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
            }
            try copy.close()
            try source.close()
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_CORRUPT || error.resultCode == .SQLITE_NOTADB
        {
            removeFiles(partial)
            throw StoreError(.corruptDatabase, "\(database) is damaged: \(SQLiteLedgerStore.describe(error))")
        } catch {
            removeFiles(partial)
            throw StoreError(.ioFailure, "cannot back up \(database): \(SQLiteLedgerStore.describe(error))")
        }
        return try publish(partial, as: destination)
    }

    /// Copies a backup (checked by the caller: integrity and replay) to `database`. Refused
    /// while a hub writes `database`, and when it exists unless `replace` is set.
    public static func restore(backup: String, to database: String, replace: Bool) throws(StoreError) {
        try checkPaths(from: backup, to: database, replace: replace)
        try SQLiteLedgerStore.validateExistingFile(at: backup)
        let lock = try WriterLock(database: database)
        defer { lock.release() }
        let partial = database + ".partial"
        removeFiles(partial)
        do {
            try FileManager.default.copyItem(atPath: backup, toPath: partial)
        } catch {
            removeFiles(partial)
            throw StoreError(.ioFailure, "cannot copy \(backup) to \(partial): \(error)")
        }
        // The old database's WAL and shared-memory files belong to the file being replaced:
        // moved aside (not deleted) until the new file is in place, and put back if it cannot
        // be — a failed restore must leave the old database whole, its last commits included.
        // So do its projection file's: they describe the replaced file's log, not the backup's.
        // So do its snapshots (they would be refused: they follow another log).
        let projection = SQLiteLedgerStore.projectionPath(of: database)
        let snapshots = SQLiteSnapshotFile.path(ofDatabase: database)
        let companions =
            (["-wal", "-shm", "-journal"].map { database + $0 }
            + ["", "-wal", "-shm"].flatMap { [projection + $0, snapshots + $0] })
            .filter { FileManager.default.fileExists(atPath: $0) }
        for path in companions { _ = rename(path, path + ".replaced") }
        do {
            _ = try publish(partial, as: database)
        } catch {
            for path in companions { _ = rename(path + ".replaced", path) }
            throw error
        }
        for path in companions { removeFiles(path + ".replaced") }
    }

    static func checkPaths(from source: String, to destination: String, replace: Bool = false) throws(StoreError) {
        guard FileManager.default.fileExists(atPath: source) else {
            throw StoreError(.notFound, "no such file: \(source)")
        }
        let resolvedSource = URL(fileURLWithPath: source).standardizedFileURL.resolvingSymlinksInPath().path
        let resolvedDestination = URL(fileURLWithPath: destination).standardizedFileURL.resolvingSymlinksInPath().path
        guard resolvedSource != resolvedDestination else {
            throw StoreError(.destinationExists, "\(destination) is the file being copied")
        }
        if !replace && FileManager.default.fileExists(atPath: destination) {
            throw StoreError(.destinationExists, "\(destination) exists: choose a new file")
        }
    }

    /// fsyncs the file, renames it into place and fsyncs its directory (the rename is durable).
    private static func publish(_ partial: String, as destination: String) throws(StoreError) -> Int {
        let size: Int
        do throws(StoreError) {
            size = try syncFile(partial)
            guard rename(partial, destination) == 0 else {
                throw StoreError(.ioFailure, "cannot rename \(partial): \(String(cString: strerror(errno)))")
            }
        } catch {
            removeFiles(partial)
            throw error
        }
        _ = try syncFile(URL(fileURLWithPath: destination).deletingLastPathComponent().path)
        return size
    }

    private static func syncFile(_ path: String) throws(StoreError) -> Int {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StoreError(.ioFailure, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else {
            throw StoreError(.ioFailure, "cannot fsync \(path): \(String(cString: strerror(errno)))")
        }
        var status = stat()
        return fstat(descriptor, &status) == 0 ? Int(status.st_size) : 0
    }

    private static func removeFiles(_ paths: String...) {
        for path in paths { try? FileManager.default.removeItem(atPath: path) }
    }
}
