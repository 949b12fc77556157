/// A deterministic 61-bit digest of a transfer *as submitted*, so that a resubmission can be
/// told apart ("exists" versus "exists with different fields") without keeping transfer
/// bodies in memory. It is stored with the transfer and survives restarts; `Hasher` could not
/// be used because it is seeded per process.
///
/// Two different submissions with the same id collide with probability 2^-61: the second
/// would be answered `exists` instead of `existsWithDifferentFields`. Nothing is applied
/// twice either way.
enum Fingerprint {
    static let bitCount = 61

    static func of(_ transfer: Transfer) -> UInt64 {
        var digest: UInt64 = 0x243F_6A88_85A3_08D3  // pi's fraction: any fixed seed
        // Unrolled on purpose: an array literal here would allocate for every transfer.
        digest = mix(digest, transfer.id)
        digest = mix(digest, transfer.debitAccountID)
        digest = mix(digest, transfer.creditAccountID)
        digest = mix(digest, transfer.amount)
        digest = mix(digest, transfer.pendingID)
        digest = mix(digest, transfer.userReference)
        digest = mix(digest, UInt64(transfer.timeoutSeconds) << 32 | UInt64(transfer.ledger))
        digest = mix(digest, UInt64(transfer.code) << 16 | UInt64(transfer.flags.rawValue))
        return digest >> (64 - bitCount)
    }

    @inline(__always)
    private static func mix(_ digest: UInt64, _ value: UInt128) -> UInt64 {
        mix(mix(digest, UInt64(truncatingIfNeeded: value)), UInt64(truncatingIfNeeded: value >> 64))
    }

    @inline(__always)
    private static func mix(_ digest: UInt64, _ word: UInt64) -> UInt64 {
        var x = (digest ^ word) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        x &*= 0xD6E8_FEB8_6659_FD93
        x ^= x >> 32
        return x
    }
}

/// The transfer index packs fingerprint and status into one word: status in the low 3 bits.
enum TransferIndexEntry {
    @inline(__always)
    static func pack(fingerprint: UInt64, status: TransferStatus) -> UInt64 {
        fingerprint << 3 | UInt64(status.rawValue)
    }

    @inline(__always)
    static func status(_ packed: UInt64) -> TransferStatus { TransferStatus(rawValue: UInt8(packed & 0b111))! }

    @inline(__always)
    static func fingerprint(_ packed: UInt64) -> UInt64 { packed >> 3 }
}
