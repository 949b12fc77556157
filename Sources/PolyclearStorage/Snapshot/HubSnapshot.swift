import Crypto
public import Foundation
public import PolyclearCore

/// A hub snapshot as stored: the hub's state after a given log row, framed so that a damaged,
/// foreign or outdated one is recognised before anything is built from it.
///
/// Layout (integers little-endian):
/// `PCLYSNAP` · frame version u32 · state format u32 (`HubStateMachine.snapshotFormatVersion`)
/// · byte order u8 (1: little) · log sequence u64 · SHA-256 of that log row's stored bytes (32)
/// · state length u64 · SHA-256 of the state (32) · the state (`BinaryCodec`).
///
/// The log row's digest ties a snapshot to its log: one that names a row this log does not
/// have, or has differently, is not this hub's (a restore refuses it).
public struct HubSnapshot: Sendable {
    public static let magic: [UInt8] = Array("PCLYSNAP".utf8)
    public static let frameVersion: UInt32 = 1
    static let headerSize = 8 + 4 + 4 + 1 + 8 + 32 + 8 + 32

    /// The last log row the state includes.
    public let sequence: UInt64
    /// SHA-256 of that row's stored bytes.
    public let logRowDigest: [UInt8]
    /// The framed bytes, as stored.
    public let framed: [UInt8]

    /// The digest a snapshot names its last log row by.
    public static func digest(ofLogRow bytes: some DataProtocol) -> [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// Takes a snapshot of `hub`, whose state includes log row `sequence` and no later one.
    /// - Parameter reserving: bytes to reserve for the whole frame (the snapshotter passes a
    ///   little more than its last one: the buffer then never grows by copying itself).
    public init(of hub: HubStateMachine, sequence: UInt64, logRowDigest: [UInt8], reserving: Int = 1 << 20) throws {
        precondition(logRowDigest.count == 32, "a log row digest is a SHA-256")
        var header = Self.magic
        Self.append(Self.frameVersion, to: &header)
        Self.append(HubStateMachine.snapshotFormatVersion, to: &header)
        header.append(1)
        Self.append(sequence, to: &header)
        header += logRowDigest
        header += [UInt8](repeating: 0, count: 8 + 32)  // the state's length and digest, below
        assert(header.count == Self.headerSize)
        // The state is written after the header in the same buffer (not copied to be framed),
        // then its length and digest go into their places.
        var framed = try hub.snapshotState(after: header, reserving: reserving)
        let stateCount = framed.count - Self.headerSize
        let digest = Array(SHA256.hash(data: framed[Self.headerSize...]))
        withUnsafeBytes(of: UInt64(stateCount).littleEndian) { length in
            framed.replaceSubrange((Self.headerSize - 40)..<(Self.headerSize - 32), with: length)
        }
        framed.replaceSubrange((Self.headerSize - 32)..<Self.headerSize, with: digest)
        self.sequence = sequence
        self.logRowDigest = logRowDigest
        self.framed = framed
    }

    /// Reads the frame (not yet the state): refused with `snapshot_refused` when it is not a
    /// whole, undamaged snapshot of this build's format.
    public init(framed: [UInt8]) throws(StoreError) {
        guard framed.count >= Self.headerSize, Array(framed[0..<8]) == Self.magic else {
            throw StoreError(.snapshotRefused, "not a hub snapshot")
        }
        let frameVersion = Self.read(UInt32.self, framed, at: 8)
        let formatVersion = Self.read(UInt32.self, framed, at: 12)
        guard frameVersion == Self.frameVersion, formatVersion == HubStateMachine.snapshotFormatVersion else {
            throw StoreError(
                .snapshotRefused,
                "snapshot format \(frameVersion).\(formatVersion); this build reads "
                    + "\(Self.frameVersion).\(HubStateMachine.snapshotFormatVersion)")
        }
        guard framed[16] == 1 else { throw StoreError(.snapshotRefused, "snapshot written in another byte order") }
        let length = Self.read(UInt64.self, framed, at: 57)
        guard length == UInt64(framed.count - Self.headerSize) else {
            throw StoreError(.snapshotRefused, "snapshot of \(framed.count) bytes says its state has \(length)")
        }
        let state = framed[Self.headerSize...]
        guard Array(SHA256.hash(data: state)) == Array(framed[65..<97]) else {
            throw StoreError(.snapshotRefused, "snapshot damaged: its state does not match its checksum")
        }
        sequence = Self.read(UInt64.self, framed, at: 17)
        logRowDigest = Array(framed[25..<57])
        self.framed = framed
    }

    /// The hub the snapshot holds, under `configuration`.
    public func hub(configuration: HubConfiguration) throws(StoreError) -> HubStateMachine {
        do {
            return try HubStateMachine(configuration: configuration, snapshotState: framed, startingAt: Self.headerSize)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.snapshotRefused, "snapshot at log row \(sequence) cannot be read: \(error)")
        }
    }

    private static func append<I: FixedWidthInteger>(_ value: I, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read<I: FixedWidthInteger>(_ type: I.Type, _ bytes: [UInt8], at offset: Int) -> I {
        var value = I.zero
        for index in 0..<MemoryLayout<I>.size { value |= I(bytes[offset + index]) << (8 * index) }
        return value
    }
}
