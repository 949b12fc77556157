public import PolyclearCore
public import Foundation

/// The binary form of the hub's log entries and events, as stored (one blob per commit).
///
/// JSON took half of the durable hub's time, so the frequent entries — payments, decisions,
/// funds — have a compact binary layout (little-endian integers, length-prefixed UTF-8); the
/// rare ones (reference data, fixings, screening lists) are stored as JSON inside the blob.
/// Version byte first: a future layout gets a new version, and old blobs stay readable.
public enum HubLogCodec {
    static let version: UInt8 = 1

    public static func encode(_ entries: some Collection<HubLogEntry>) throws -> Data {
        // Called across modules, this function is not specialized: the commit path's outcome
        // log gets a loop specialized for it instead of stepping through a collection's
        // witnesses entry by entry.
        if let log = entries as? ContiguousArray<HubLogEntry> { return try encodeEntries(log) }
        return try encodeEntries(entries)
    }

    private static func encodeEntries(_ entries: some Collection<HubLogEntry>) throws -> Data {
        var writer = BinaryWriter()
        writer.byte(version)
        writer.varint(UInt64(entries.count))
        for entry in entries { try writer.entry(entry) }
        return Data(writer.bytes)
    }

    public static func decodeEntries(_ data: Data) throws(HubLogCodecError) -> [HubLogEntry] {
        var reader = BinaryReader(Array(data))
        guard try reader.byte() == version else { throw .unknownVersion }
        let count = try reader.varint()
        var entries: [HubLogEntry] = []
        entries.reserveCapacity(Int(min(count, 1 << 20)))
        for _ in 0..<count { entries.append(try reader.entry()) }
        guard reader.isAtEnd else { throw .trailingBytes }
        return entries
    }

    public static func encode(_ events: some Collection<HubEvent>) throws -> Data {
        // As for the entries: the commit path's events get a specialized loop.
        if let events = events as? ContiguousArray<HubEvent> { return try encodeEvents(events) }
        return try encodeEvents(events)
    }

    private static func encodeEvents(_ events: some Collection<HubEvent>) throws -> Data {
        var writer = BinaryWriter()
        writer.byte(version)
        writer.varint(UInt64(events.count))
        for event in events { try writer.event(event) }
        return Data(writer.bytes)
    }

    public static func decodeEvents(_ data: Data) throws(HubLogCodecError) -> [HubEvent] {
        var reader = BinaryReader(Array(data))
        guard try reader.byte() == version else { throw .unknownVersion }
        let count = try reader.varint()
        var events: [HubEvent] = []
        for _ in 0..<count { events.append(try reader.event()) }
        guard reader.isAtEnd else { throw .trailingBytes }
        return events
    }
}

public enum HubLogCodecError: Error, Hashable, Sendable {
    case truncated, unknownVersion, unknownTag(UInt8), invalidValue, trailingBytes
}

/// Entry tags. Stored: append only.
enum HubLogTag: UInt8 {
    case tick = 0, submitPayment = 1, commitPayment = 2, rejectPayment = 3, cancelPayment = 4, decideHeld = 5
    case requestFunds = 6, confirmFunds = 7, cancelFunds = 8
    /// A held-payment decision with a reason (tag 5 is one without).
    case decideHeldWithReason = 9
    case paymentStatusEvent = 100
    case json = 255
}

struct BinaryWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ value: UInt8) { bytes.append(value) }
    mutating func bool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func varint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 { bytes.append(UInt8(rest & 0x7F) | 0x80); rest >>= 7 }
        bytes.append(UInt8(rest))
    }

    mutating func string(_ value: String) {
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func optionalString(_ value: String?) {
        bool(value != nil)
        if let value { string(value) }
    }

    mutating func actor(_ actor: Actor) {
        switch actor {
        case .system: byte(0)
        case .operatorUser(let name): byte(1); string(name)
        case .member(let country): byte(2); string(country.alpha3)
        case .participant(let bic): byte(3); integer(bic.packed)
        }
    }

    /// Sorted keys: the same entry always gives the same bytes (dictionaries iterate in an
    /// order of their own), so a stored blob can be compared with a fresh encoding.
    mutating func json(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        byte(HubLogTag.json.rawValue)
        varint(UInt64(data.count))
        bytes.append(contentsOf: data)
    }

    mutating func entry(_ entry: HubLogEntry) throws {
        integer(entry.time)
        guard let command = entry.command else { byte(HubLogTag.tick.rawValue); return }
        switch command {
        // A trade-conditional payment, one with details or a redacted one goes as JSON (the binary layout has none).
        case .submitPayment(let p) where p.condition == nil && p.details == nil && p.redaction == nil:
            byte(HubLogTag.submitPayment.rawValue)
            integer(p.id); integer(p.payer.packed); integer(p.payee.packed); integer(p.amountMinor)
            byte(p.amountSide.rawValue); string(p.endToEndID); integer(p.uetr)
            string(p.trade.invoiceNumber); string(p.trade.purposeCode); optionalString(p.trade.hsCode)
            optionalString(p.trade.freeText); optionalString(p.debtorName); optionalString(p.creditorName)
            byte(p.priority.rawValue); bool(p.isTwoPhase); integer(p.timeoutSeconds); bool(p.immediateOrReject)
            bool(p.quoteID != nil); if let quote = p.quoteID { integer(quote) }
        case .commitPayment(let id, let actor): byte(HubLogTag.commitPayment.rawValue); integer(id); self.actor(actor)
        case .rejectPayment(let id, let actor): byte(HubLogTag.rejectPayment.rawValue); integer(id); self.actor(actor)
        case .cancelPayment(let id, let actor): byte(HubLogTag.cancelPayment.rawValue); integer(id); self.actor(actor)
        case .decideHeldPayment(let id, let release, let actor, let reason):
            byte((reason == nil ? HubLogTag.decideHeld : .decideHeldWithReason).rawValue)
            integer(id); bool(release); self.actor(actor)
            if let reason { string(reason) }
        case .requestFunds(let id, let bic, let amount, let direction):
            byte(HubLogTag.requestFunds.rawValue); integer(id); integer(bic.packed); integer(amount);
            byte(direction.rawValue)
        case .confirmFunds(let id): byte(HubLogTag.confirmFunds.rawValue); integer(id)
        case .cancelFunds(let id): byte(HubLogTag.cancelFunds.rawValue); integer(id)
        default: try json(command)
        }
    }

    mutating func event(_ event: HubEvent) throws {
        integer(event.timestamp)
        if case .paymentStatus(let id, let status, let rejection, let actor) = event.kind {
            byte(HubLogTag.paymentStatusEvent.rawValue)
            integer(id); byte(status.rawValue); integer(rejection?.rawValue ?? 0); self.actor(actor)
        } else {
            try json(event.kind)
        }
    }
}

struct BinaryReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    mutating func byte() throws(HubLogCodecError) -> UInt8 {
        guard offset < bytes.count else { throw .truncated }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() throws(HubLogCodecError) -> Bool {
        switch try byte() {
        case 0: false
        case 1: true
        default: throw .invalidValue
        }
    }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) throws(HubLogCodecError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw .truncated }
        var value = T.zero
        for index in 0..<size { value |= T(truncatingIfNeeded: bytes[offset + index]) << (8 * index) }
        offset += size
        return value
    }

    mutating func varint() throws(HubLogCodecError) -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 64 else { throw .invalidValue }
            value |= UInt64(next & 0x7F) << shift
            if next < 0x80 { return value }
            shift += 7
        }
    }

    mutating func rawBytes() throws(HubLogCodecError) -> ArraySlice<UInt8> {
        let count = try varint()
        guard count <= UInt64(bytes.count - offset) else { throw .truncated }
        defer { offset += Int(count) }
        return bytes[offset..<offset + Int(count)]
    }

    mutating func string() throws(HubLogCodecError) -> String {
        let raw = try rawBytes()
        guard let text = UTF8Text.string(raw) else { throw .invalidValue }
        return text
    }

    mutating func optionalString() throws(HubLogCodecError) -> String? { try bool() ? try string() : nil }

    mutating func bic() throws(HubLogCodecError) -> BIC {
        guard let bic = BIC(String(describing: BICPacked(try integer(UInt64.self)))) else { throw .invalidValue }
        return bic
    }

    mutating func actor() throws(HubLogCodecError) -> Actor {
        switch try byte() {
        case 0: return .system
        case 1: return .operatorUser(try string())
        case 2:
            guard let country = CountryCode(alpha3: try string()) else { throw .invalidValue }
            return .member(country)
        case 3: return .participant(try bic())
        case let tag: throw .unknownTag(tag)
        }
    }

    mutating func json<T: Decodable>(_: T.Type) throws(HubLogCodecError) -> T {
        let raw = try rawBytes()
        do { return try JSONDecoder().decode(T.self, from: Data(raw)) } catch { throw .invalidValue }
    }

    mutating func entry() throws(HubLogCodecError) -> HubLogEntry {
        let time = try integer(UInt64.self)
        let tagByte = try byte()
        guard let tag = HubLogTag(rawValue: tagByte) else { throw .unknownTag(tagByte) }
        let command: HubCommand?
        switch tag {
        case .tick: command = nil
        case .submitPayment: command = .submitPayment(try payment())
        case .commitPayment: command = .commitPayment(id: try integer(), actor: try actor())
        case .rejectPayment: command = .rejectPayment(id: try integer(), actor: try actor())
        case .cancelPayment: command = .cancelPayment(id: try integer(), actor: try actor())
        case .decideHeld: command = .decideHeldPayment(id: try integer(), release: try bool(), actor: try actor())
        case .decideHeldWithReason:
            command = .decideHeldPayment(
                id: try integer(), release: try bool(), actor: try actor(), reason: try string())
        case .requestFunds:
            let id: UInt128 = try integer(), bic = try bic(), amount: Int64 = try integer()
            guard let direction = FundsDirection(rawValue: try byte()) else { throw .invalidValue }
            command = .requestFunds(id: id, participant: bic, amountMinor: amount, direction: direction)
        case .confirmFunds: command = .confirmFunds(id: try integer())
        case .cancelFunds: command = .cancelFunds(id: try integer())
        case .json: command = try json(HubCommand.self)
        case .paymentStatusEvent: throw .unknownTag(tagByte)
        }
        return HubLogEntry(command: command, time: time)
    }

    private mutating func payment() throws(HubLogCodecError) -> PaymentInstruction {
        let id: UInt128 = try integer(), payer = try bic(), payee = try bic(), amount: Int64 = try integer()
        guard let side = AmountSide(rawValue: try byte()) else { throw .invalidValue }
        let endToEnd = try string(), uetr: UInt128 = try integer()
        let trade = TradeReference(
            invoiceNumber: try string(), purposeCode: try string(), hsCode: try optionalString(),
            freeText: try optionalString())
        let debtor = try optionalString(), creditor = try optionalString()
        guard let priority = PaymentPriority(rawValue: try byte()) else { throw .invalidValue }
        let twoPhase = try bool(), timeout: UInt32 = try integer(), immediate = try bool()
        let quote: UInt128? = try bool() ? try integer() : nil
        return PaymentInstruction(
            id: id, payer: payer, payee: payee, amountMinor: amount, amountSide: side, endToEndID: endToEnd, uetr: uetr,
            trade: trade, debtorName: debtor, creditorName: creditor, priority: priority, isTwoPhase: twoPhase,
            timeoutSeconds: timeout, immediateOrReject: immediate, quoteID: quote)
    }

    mutating func event() throws(HubLogCodecError) -> HubEvent {
        let timestamp = try integer(UInt64.self)
        let tagByte = try byte()
        switch HubLogTag(rawValue: tagByte) {
        case .paymentStatusEvent:
            let id: UInt128 = try integer()
            guard let status = PaymentStatus(rawValue: try byte()) else { throw .invalidValue }
            let rejectionCode: UInt16 = try integer()
            let rejection = rejectionCode == 0 ? nil : PaymentRejection(rawValue: rejectionCode)
            if rejectionCode != 0 && rejection == nil { throw .invalidValue }
            return HubEvent(
                timestamp: timestamp,
                kind: .paymentStatus(id: id, status: status, rejection: rejection, actor: try actor()))
        case .json: return HubEvent(timestamp: timestamp, kind: try json(HubEvent.Kind.self))
        default: throw .unknownTag(tagByte)
        }
    }
}

/// Rebuilds a BIC's text from its packed form (the BIC initialiser validates it again).
private struct BICPacked: CustomStringConvertible {
    let packed: UInt64
    init(_ packed: UInt64) { self.packed = packed }
    var description: String { BIC(packedUnchecked: packed).description }
}
