/// What the hub owes each bank: a message about everything that happened to it, in order, kept
/// until the bank acknowledges it. Deliveries are made by the hub's own state changes (so
/// replay rebuilds them exactly, and every node of a cluster has the same outboxes);
/// acknowledgements are logged commands (so a restart or a takeover continues where the
/// bank left off). A bank pulls its outbox (`GET /v1/outbox`) or has it pushed to an
/// endpoint it registered; either way every delivery has one stable id, the bank's BIC and
/// its cursor, and its content is made from values that never change once it exists.
public enum DeliveryKind: UInt8, Hashable, Sendable, Codable {
    /// A payment was booked to the bank as payee (or a return to it as the original payer).
    case credited = 0
    /// A payment the bank sent reached a final status (accepted, rejected, cancelled, expired).
    case finalStatus = 1
    /// A payment to the bank is reserved and waits for its commit (or its document).
    case awaitingDecision = 2
    /// A cycle closed: the bank's statement for it is ready.
    case cycleClosed = 3
    /// The payer's bank asks for a payment to this bank back (subject: the recall's id).
    case recallRequested = 4
    /// The payee's bank answered this bank's recall, or it expired (subject: the recall's id).
    case recallAnswered = 5
    /// The bank's central bank executed one of its settlement instructions of a closed cycle:
    /// a pay-in credited, or a pay-out debited, its position at the hub (subject: the cycle
    /// and the instruction's index, `Delivery.settlementInstruction`).
    case settlementBooked = 6
}

public struct Delivery: Hashable, Sendable, Codable {
    /// The bank's own sequence (1, 2, …): with its BIC, the delivery's id.
    public var cursor: UInt64
    public var kind: DeliveryKind
    /// A payment id, a cycle number (`cycleClosed`) or a recall id (`recall…`).
    public var subject: UInt128
    /// `finalStatus`: the status it reports.
    public var status: PaymentStatus
    /// When it happened (nanoseconds since 1970).
    public var time: UInt64

    /// `settlementBooked`: the cycle in the high bits, the instruction's index in the low 32.
    public static func settlementSubject(cycle: UInt32, index: Int) -> UInt128 {
        UInt128(cycle) << 32 | UInt128(UInt32(truncatingIfNeeded: index))
    }

    /// The settlement instruction a `settlementBooked` delivery reports.
    public var settlementInstruction: (cycle: UInt32, index: Int)? {
        guard kind == .settlementBooked else { return nil }
        return (UInt32(truncatingIfNeeded: subject >> 32), Int(UInt32(truncatingIfNeeded: subject)))
    }
}

/// One bank's outbox: the deliveries not yet acknowledged (and some acknowledged ones, pruned
/// in halves so that acknowledging stays cheap).
struct Outbox: Sendable, Codable {
    var items = ContiguousArray<Delivery>()
    /// The cursor of the last delivery the bank acknowledged.
    var acknowledged: UInt64 = 0
    var lastCursor: UInt64 = 0
    /// Where the hub pushes deliveries (nil: the bank pulls).
    var endpoint: DeliveryEndpoint?
}

/// A bank's push endpoint: an https URL (http only to loopback, for tests and local
/// gateways) and the form it wants.
public struct DeliveryEndpoint: Hashable, Sendable, Codable {
    public enum Format: String, Hashable, Sendable, Codable { case iso20022, json }

    public var url: String
    public var format: Format

    public init(url: String, format: Format) {
        self.url = url
        self.format = format
    }

    public static let urlLengthMax = 512

    /// https://host[:port]/path, or http to 127.0.0.1/localhost/[::1]; no user info, no fragment.
    public var isValid: Bool {
        guard url.utf8.count <= Self.urlLengthMax, url.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { return false }
        let rest: Substring
        if url.hasPrefix("https://") {
            rest = url.dropFirst(8)
        } else if url.hasPrefix("http://") {
            rest = url.dropFirst(7)
            let host = rest.prefix { $0 != "/" && $0 != "?" }
            let name = host.hasPrefix("[") ? host.prefix { $0 != "]" } + "]" : host.prefix { $0 != ":" }
            guard ["127.0.0.1", "localhost", "[::1]"].contains(String(name)) else { return false }
        } else {
            return false
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        return !authority.isEmpty && !authority.contains("@") && !url.contains("#")
    }
}

extension HubStateMachine {
    mutating func deliver(
        _ kind: DeliveryKind, to participant: ParticipantIndex, subject: UInt128, status: PaymentStatus
    ) {
        guard participant.isKnown else { return }
        participants[participant].outbox.lastCursor += 1
        participants[participant].outbox.items.append(
            Delivery(
                cursor: participants[participant].outbox.lastCursor, kind: kind, subject: subject, status: status,
                time: now))
    }

    /// What a payment's new status owes its banks.
    mutating func deliverStatus(_ index: PaymentIndex, _ status: PaymentStatus) {
        let payment = payments[index]
        switch status {
        case .accepted:
            deliver(.credited, to: payment.payeeIndex, subject: payment.id, status: status)
            deliver(.finalStatus, to: payment.payerIndex, subject: payment.id, status: status)
        case .rejected, .cancelled, .expired:
            deliver(.finalStatus, to: payment.payerIndex, subject: payment.id, status: status)
        case .reserved:
            deliver(.awaitingDecision, to: payment.payeeIndex, subject: payment.id, status: status)
        case .received, .held, .queued:
            break
        }
    }

    mutating func deliverCycleClosed(_ number: UInt32) {
        for index in participants.hubIndices {
            deliver(.cycleClosed, to: index, subject: UInt128(number), status: .accepted)
        }
    }

    /// The bank (or the hub's pusher, `.system`) acknowledges every delivery up to `through`.
    mutating func acknowledgeDeliveries(bic: BIC, through: UInt64, actor: Actor) -> HubResult {
        guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)), index.isKnown else {
            return .refused(.participantNotFound)
        }
        switch actor {
        case .participant(let caller) where caller == bic: break
        case .system: break
        default: return .refused(.notAllowedForActor)
        }
        guard through <= participants[index].outbox.lastCursor else { return .refused(.malformedField) }
        guard through > participants[index].outbox.acknowledged else { return .ok }
        participants[index].outbox.acknowledged = through
        // Pruned once at least half the kept items are acknowledged: amortised O(1) per item.
        let items = participants[index].outbox.items
        let acknowledgedCount = items.prefix { $0.cursor <= through }.count
        if acknowledgedCount * 2 >= items.count && acknowledgedCount > 0 {
            participants[index].outbox.items.removeFirst(acknowledgedCount)
        }
        return .ok
    }

    mutating func setDeliveryEndpoint(bic: BIC, endpoint: DeliveryEndpoint?, actor: Actor) -> HubResult {
        guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)), index.isKnown else {
            return .refused(.participantNotFound)
        }
        guard case .participant(let caller) = actor, caller == bic else { return .refused(.notAllowedForActor) }
        if let endpoint, !endpoint.isValid { return .refused(.malformedField) }
        participants[index].outbox.endpoint = endpoint
        return .ok
    }

    /// A bank's deliveries after `cursor` (at most `limit`), what it acknowledged, and its last cursor.
    public func deliveries(
        for bic: BIC, after cursor: UInt64, limit: Int
    ) -> (items: [Delivery], acknowledged: UInt64, last: UInt64)? {
        guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)), index.isKnown else { return nil }
        let outbox = participants[index].outbox
        let start = outbox.items.firstIndex { $0.cursor > cursor } ?? outbox.items.endIndex
        return (Array(outbox.items[start...].prefix(limit)), outbox.acknowledged, outbox.lastCursor)
    }

    /// The banks with a push endpoint and deliveries not yet acknowledged.
    public var pendingPushes: [(bic: BIC, endpoint: DeliveryEndpoint, acknowledged: UInt64)] {
        participants.compactMap { record in
            guard let endpoint = record.outbox.endpoint, record.outbox.acknowledged < record.outbox.lastCursor else {
                return nil
            }
            return (record.participant.bic, endpoint, record.outbox.acknowledged)
        }
    }

    public func deliveryEndpoint(of bic: BIC) -> DeliveryEndpoint? {
        guard let index = participantIndexByBIC.value(for: UInt128(bic.packed)), index.isKnown else { return nil }
        return participants[index].outbox.endpoint
    }

    /// When a payment was booked (the time of its `credited` delivery's event): the booking
    /// time its forwarded message carries. nil: not booked.
    public func bookingTime(of id: UInt128) -> UInt64? { PaymentReadView(hub: self).bookingTime(of: id) }
}
