public import PolyclearCore

/// The compact form of one committed `LedgerOutcome`: what a durable commit writes (one
/// sequential append) and what the store's projection later turns into rows.
///
/// Layout (little-endian, fixed widths, no padding):
/// `"PCRD"`, version (UInt16), 0 (UInt16), last timestamp (UInt64), four counts (UInt32: created
/// accounts, created transfers, status changes, updated accounts), then the records in that
/// order — an account 112 bytes, a stored transfer 125 bytes, a status change 17 bytes. The
/// length must match the counts exactly; anything else is `LedgerRedoDecodingError`.
public enum LedgerRedoCodec {
    static let magic: [UInt8] = Array("PCRD".utf8)
    static let version: UInt16 = 1
    static let headerBytes = 4 + 2 + 2 + 8 + 4 * 4
    static let accountBytes = 16 + 4 + 2 + 2 + 16 * 5 + 8
    static let transferBytes = 16 * 6 + 4 + 4 + 2 + 2 + 8 + 1 + 8
    static let statusChangeBytes = 16 + 1

    public static func encode(_ outcome: LedgerOutcome) -> [UInt8] {
        let total =
            headerBytes + accountBytes * (outcome.createdAccounts.count + outcome.updatedAccounts.count)
            + transferBytes * outcome.createdTransfers.count + statusChangeBytes * outcome.statusChanges.count
        return [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            var writer = RawWriter(base: UnsafeMutableRawPointer(buffer.baseAddress!))
            for byte in magic { writer.put(byte) }
            writer.put(version)
            writer.put(UInt16(0))
            writer.put(outcome.lastTimestamp)
            writer.put(UInt32(outcome.createdAccounts.count))
            writer.put(UInt32(outcome.createdTransfers.count))
            writer.put(UInt32(outcome.statusChanges.count))
            writer.put(UInt32(outcome.updatedAccounts.count))
            for account in outcome.createdAccounts { writer.put(account) }
            for stored in outcome.createdTransfers { writer.put(stored) }
            for change in outcome.statusChanges {
                writer.put(change.transferID)
                writer.put(change.status.rawValue)
            }
            for account in outcome.updatedAccounts { writer.put(account) }
            precondition(writer.offset == total, "ledger redo: encoded length disagrees with the layout")
            count = total
        }
    }

    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(LedgerRedoDecodingError) -> LedgerOutcome {
        var reader = RawReader(bytes: bytes)
        guard bytes.count >= headerBytes, Array(bytes.prefix(4)) == magic else { throw .notARedoRecord }
        reader.offset = 4
        guard reader.take(UInt16.self) == version, reader.take(UInt16.self) == 0 else { throw .unknownVersion }
        let lastTimestamp = reader.take(UInt64.self)
        let counts = (0..<4).map { _ in Int(reader.take(UInt32.self)) }
        let expected =
            headerBytes + accountBytes * (counts[0] + counts[3]) + transferBytes * counts[1]
            + statusChangeBytes * counts[2]
        guard bytes.count == expected else { throw .wrongLength }
        let created = try ContiguousArray(
            (0..<counts[0]).map { _ throws(LedgerRedoDecodingError) in
                try reader.takeAccount()
            })
        let transfers = try ContiguousArray(
            (0..<counts[1]).map { _ throws(LedgerRedoDecodingError) in
                try reader.takeTransfer()
            })
        let changes = try ContiguousArray(
            (0..<counts[2]).map { _ throws(LedgerRedoDecodingError) in
                let id = reader.take(UInt128.self)
                guard let status = TransferStatus(rawValue: reader.take(UInt8.self)) else { throw .badValue }
                return TransferStatusChange(transferID: id, status: status)
            })
        let updated = try ContiguousArray(
            (0..<counts[3]).map { _ throws(LedgerRedoDecodingError) in
                try reader.takeAccount()
            })
        return LedgerOutcome(
            createdAccounts: created, createdTransfers: transfers, statusChanges: changes, updatedAccounts: updated,
            lastTimestamp: lastTimestamp)
    }
}

/// Why a redo record cannot be read: the store treats it as a damaged database.
public enum LedgerRedoDecodingError: Error, Sendable {
    case notARedoRecord
    case unknownVersion
    case wrongLength
    case badValue
}

private struct RawWriter {
    let base: UnsafeMutableRawPointer
    var offset = 0

    mutating func put<T: FixedWidthInteger>(_ value: T) {
        base.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
    }

    mutating func put(_ account: Account) {
        put(account.id)
        put(account.ledger)
        put(account.code)
        put(account.flags.rawValue)
        put(account.userReference)
        put(account.debitsPending)
        put(account.debitsPosted)
        put(account.creditsPending)
        put(account.creditsPosted)
        put(account.timestamp)
    }

    mutating func put(_ stored: StoredTransfer) {
        let t = stored.transfer
        put(t.id)
        put(t.debitAccountID)
        put(t.creditAccountID)
        put(t.amount)
        put(t.pendingID)
        put(t.userReference)
        put(t.timeoutSeconds)
        put(t.ledger)
        put(t.code)
        put(t.flags.rawValue)
        put(t.timestamp)
        put(stored.status.rawValue)
        put(stored.fingerprint)
    }
}

/// Reads within a buffer whose length the caller has checked against the counts.
private struct RawReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func take<T: FixedWidthInteger>(_ type: T.Type) -> T {
        let value = T(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: T.self))
        offset += MemoryLayout<T>.size
        return value
    }

    mutating func takeAccount() throws(LedgerRedoDecodingError) -> Account {
        var account = Account(
            id: take(UInt128.self), ledger: take(UInt32.self), code: take(UInt16.self),
            flags: AccountFlags(rawValue: take(UInt16.self)), userReference: take(UInt128.self))
        account.debitsPending = take(UInt128.self)
        account.debitsPosted = take(UInt128.self)
        account.creditsPending = take(UInt128.self)
        account.creditsPosted = take(UInt128.self)
        account.timestamp = take(UInt64.self)
        return account
    }

    mutating func takeTransfer() throws(LedgerRedoDecodingError) -> StoredTransfer {
        let id = take(UInt128.self), debit = take(UInt128.self), credit = take(UInt128.self)
        let amount = take(UInt128.self), pendingID = take(UInt128.self), reference = take(UInt128.self)
        let timeout = take(UInt32.self), ledger = take(UInt32.self), code = take(UInt16.self)
        let flags = TransferFlags(rawValue: take(UInt16.self))
        var transfer = Transfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, ledger: ledger, code: code,
            flags: flags, pendingID: pendingID, timeoutSeconds: timeout, userReference: reference)
        transfer.timestamp = take(UInt64.self)
        guard let status = TransferStatus(rawValue: take(UInt8.self)) else { throw .badValue }
        return StoredTransfer(transfer: transfer, status: status, fingerprint: take(UInt64.self))
    }
}
