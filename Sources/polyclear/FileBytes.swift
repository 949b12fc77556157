import Foundation
import Synchronization

/// Whole files as bytes without a `Data` in between (a 28 MB obligations file was copied once
/// into `Data` and once more into `[UInt8]`).
enum FileBytes {
    /// The file's bytes, or nil when it cannot be opened or read.
    static func read(_ path: String) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        // A pipe or device has no size to read up to.
        guard status.st_mode & S_IFMT == S_IFREG else {
            return FileManager.default.contents(atPath: path).map { [UInt8]($0) }
        }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(status.st_size)) { buffer, count in
            // A large file in halves at once: the copy out of the page cache (and the faults
            // on the new buffer's pages) on two cores. Anything short or failed reads again below.
            if buffer.count >= 1 << 23, readInHalves(descriptor, buffer) {
                count = buffer.count
                return
            }
            while count < buffer.count {
                let got = Foundation.read(descriptor, buffer.baseAddress! + count, buffer.count - count)
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else {
                    failed = got < 0
                    break  // shorter than it was: what was there
                }
                count += got
            }
        }
        return failed ? nil : bytes
    }

    /// Both halves of `buffer` read at once with `pread`; false if either came back short.
    private static func readInHalves(_ descriptor: Int32, _ buffer: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        let target = SharedTarget(buffer: buffer), whole = buffer.count
        let complete = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 2) { half in
            let start = half * (whole / 2), end = half == 0 ? whole / 2 : whole
            var at = start
            while at < end {
                let got = pread(descriptor, target.buffer.baseAddress! + at, end - at, off_t(at))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return }
                at += got
            }
            complete.withLock { $0 += 1 }
        }
        return complete.withLock { $0 } == 2
    }

    /// Creates a temporary file beside `path`, lets `write` fill it (`partCount` calls, run by
    /// `perform`, perhaps at once; each answers nil or the `errno` it failed with), and renames
    /// it into place: a reader never sees half a file. The error names the system's reason.
    static func replace(
        _ path: String, partCount: Int, perform: (Int, @Sendable (Int) -> Void) -> Void,
        write: @escaping @Sendable (_ part: Int, _ descriptor: Int32) -> Int32?
    ) throws(FileWriteError) {
        let temporary = path + ".partial-\(getpid())"
        // O_EXCL: never through a link or over a file someone else put there.
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw FileWriteError(path: path, reason: String(cString: strerror(errno))) }
        let failure = Mutex<Int32?>(nil)
        perform(partCount) { part in
            if let code = write(part, descriptor) { failure.withLock { $0 = $0 ?? code } }
        }
        let failed = failure.withLock { $0 }
        guard failed == nil, close(descriptor) == 0, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(failed ?? errno))
            if failed != nil { close(descriptor) }
            unlink(temporary)
            throw FileWriteError(path: path, reason: reason)
        }
    }

    /// Writes all of `bytes` at `offset`; nil, or the `errno` it failed with.
    static func write(_ bytes: some ContiguousBytes, to descriptor: Int32, at offset: Int) -> Int32? {
        bytes.withUnsafeBytes { raw -> Int32? in
            var written = 0
            while written < raw.count {
                let put = pwrite(descriptor, raw.baseAddress! + written, raw.count - written, off_t(offset + written))
                if put < 0 && errno == EINTR { continue }
                guard put > 0 else { return put < 0 ? errno : ENOSPC }
                written += put
            }
            return nil
        }
    }
}

struct FileWriteError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "cannot write \(path): \(reason)" }
}

/// The buffer both halves write into (disjoint ranges).
private struct SharedTarget: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<UInt8>
}
