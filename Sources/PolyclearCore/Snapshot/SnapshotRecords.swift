/// The records a hub holds one of per payment (or per delivery), written field by field by
/// hand: through the generic `Codable` path each field costs a dynamic cast, a container and a
/// key (about a microsecond per payment per record type), which made a snapshot of a
/// million payments slower to read than replaying the log. Enumerations are written as their
/// raw values and checked when read. A test holds `snapshotFieldCount` to the type's stored
/// properties, so a field added to a record cannot be left out of its snapshot.
protocol SnapshotRecord {
    static var snapshotFieldCount: Int { get }
    func write(to sink: BinarySink)
    init(reading source: BinarySource) throws
}

extension BinarySink {
    @inline(__always) func append(_ flag: Bool) { bytes.append(flag ? 1 : 0) }

    @inline(__always) func append<E: RawRepresentable>(raw value: E) where E.RawValue: FixedWidthInteger {
        append(value.rawValue)
    }

    @inline(__always) func append<T>(optional value: T?, _ write: (T) -> Void) {
        guard let value else { return bytes.append(0) }
        bytes.append(1)
        write(value)
    }
}

extension BinarySource {
    @inline(__always) func bool() throws -> Bool {
        switch try byte() {
        case 0: return false
        case 1: return true
        case let other: throw BinaryCodecError.malformed("a Bool of \(other)")
        }
    }

    @inline(__always) func raw<E: RawRepresentable>(_ type: E.Type) throws -> E where E.RawValue: FixedWidthInteger {
        let raw = try integer(E.RawValue.self)
        guard let value = E(rawValue: raw) else { throw BinaryCodecError.malformed("\(E.self) of \(raw)") }
        return value
    }

    @inline(__always) func optional<T>(_ read: () throws -> T) throws -> T? {
        switch try byte() {
        case 0: return nil
        case 1: return try read()
        case let other: throw BinaryCodecError.malformed("an optional's presence byte of \(other)")
        }
    }
}

/// Arrays of records: the count, then each record.
protocol BinaryRecordArray {
    func appendRecords(to sink: BinarySink)
}

protocol BinaryRecordArrayDecodable {
    init(records source: BinarySource) throws
}

extension ContiguousArray: BinaryRecordArray where Element: SnapshotRecord {
    func appendRecords(to sink: BinarySink) {
        sink.append(UInt32(count))
        for record in self { record.write(to: sink) }
    }
}

extension ContiguousArray: BinaryRecordArrayDecodable where Element: SnapshotRecord {
    init(records source: BinarySource) throws {
        let count = Int(try source.integer(UInt32.self))
        // Every record takes at least a byte: a count the rest cannot hold reserves nothing.
        guard count <= source.bytes.count - source.offset else {
            throw BinaryCodecError.malformed("\(count) records in \(source.bytes.count - source.offset) bytes")
        }
        self.init()
        reserveCapacity(count)
        for _ in 0..<count { append(try Element(reading: source)) }
    }
}

extension PaymentRecord: SnapshotRecord {
    static let snapshotFieldCount = 26

    func write(to sink: BinarySink) {
        sink.append(id)
        sink.append(uetr)
        sink.append(fingerprint)
        sink.append(raw: status)
        sink.append(optional: rejection) { sink.append(raw: $0) }
        sink.append(payerIndex.raw)
        sink.append(payeeIndex.raw)
        sink.append(raw: priority)
        sink.append(purpose)
        sink.append(hsHeading)
        sink.append(amountMinor)
        sink.append(raw: amountSide)
        sink.append(isTwoPhase)
        sink.append(immediateOrReject)
        sink.append(timeoutSeconds)
        sink.append(optional: quoteIndex) { sink.append($0.raw) }
        sink.append(payerAmountMinor)
        sink.append(payeeAmountMinor)
        sink.append(unitAmountMinor)
        sink.append(fixingVersion)
        sink.append(legs.rawValue)
        sink.append(expiresAt)
        sink.append(cycle)
        sink.append(bookedAt)
        sink.append(finalAt)
        sink.append(wasHeldByScreening)
    }

    init(reading s: BinarySource) throws {
        self.init(
            id: try s.integer(UInt128.self), uetr: try s.integer(UInt128.self), fingerprint: try s.integer(UInt64.self),
            status: try s.raw(PaymentStatus.self), rejection: try s.optional { try s.raw(PaymentRejection.self) },
            payerIndex: ParticipantIndex(raw: try s.integer(UInt32.self)),
            payeeIndex: ParticipantIndex(raw: try s.integer(UInt32.self)), priority: try s.raw(PaymentPriority.self),
            purpose: try s.integer(UInt32.self), hsHeading: try s.integer(UInt16.self),
            amountMinor: try s.integer(Int64.self), amountSide: try s.raw(AmountSide.self), isTwoPhase: try s.bool(),
            immediateOrReject: try s.bool(), timeoutSeconds: try s.integer(UInt32.self),
            quoteIndex: try s.optional { QuoteIndex(raw: try s.integer(UInt32.self)) },
            payerAmountMinor: try s.integer(Int64.self), payeeAmountMinor: try s.integer(Int64.self),
            unitAmountMinor: try s.integer(Int64.self), fixingVersion: try s.integer(UInt32.self),
            legs: PaymentLegs(rawValue: try s.integer(UInt8.self)), expiresAt: try s.integer(UInt64.self),
            cycle: try s.integer(UInt32.self), bookedAt: try s.integer(UInt64.self),
            finalAt: try s.integer(UInt64.self),
            wasHeldByScreening: try s.bool())
    }
}

extension Delivery: SnapshotRecord {
    static let snapshotFieldCount = 5

    func write(to sink: BinarySink) {
        sink.append(cursor)
        sink.append(raw: kind)
        sink.append(subject)
        sink.append(raw: status)
        sink.append(time)
    }

    init(reading s: BinarySource) throws {
        self.init(
            cursor: try s.integer(UInt64.self), kind: try s.raw(DeliveryKind.self),
            subject: try s.integer(UInt128.self),
            status: try s.raw(PaymentStatus.self), time: try s.integer(UInt64.self))
    }
}

extension PaymentTexts: SnapshotRecord {
    static let snapshotFieldCount = 5

    func write(to sink: BinarySink) {
        sink.append(endToEndID)
        sink.append(trade.invoiceNumber)
        sink.append(trade.purposeCode)
        sink.append(optional: trade.hsCode) { sink.append($0) }
        sink.append(optional: trade.freeText) { sink.append($0) }
        sink.append(optional: debtorName) { sink.append($0) }
        sink.append(optional: creditorName) { sink.append($0) }
        sink.append(isErased)
    }

    init(reading s: BinarySource) throws {
        endToEndID = try s.string()
        trade = TradeReference(
            invoiceNumber: try s.string(), purposeCode: try s.string(), hsCode: try s.optional { try s.string() },
            freeText: try s.optional { try s.string() })
        debtorName = try s.optional { try s.string() }
        creditorName = try s.optional { try s.string() }
        isErased = try s.bool()
    }
}
