/// Payments as a reader sees them: those in memory, and the archived ones (`+Archive`) the
/// reader fetched from the store for this read, with the same answers either way.
///
/// A reader first asks the hub what to fetch (`archiveLookups`), fetches it, then reads
/// through a view on the committed state of that moment. A payment archived in between is in
/// neither: `isComplete` says so, and the reader fetches again. Build a view inside a writer
/// read and drop it there (it holds the hub; kept, it would make the writer copy it).
public struct PaymentReadView {
    public let hub: HubStateMachine
    private var archivedByID: [UInt128: (index: UInt32, body: ArchivedPaymentBody)] = [:]
    private var archivedByIndex: [UInt32: ArchivedPaymentBody] = [:]
    private let lookups: ArchiveLookups

    /// What a read needs from the archive: ids not in memory that may be archived, UETRs
    /// (which archived payments may carry), positions of a page before the window; and what
    /// the read asked, to tell afterwards whether something left memory since.
    public struct ArchiveLookups: Sendable, Equatable {
        public var ids: [UInt128] = []
        public var uetrs: [UInt128] = []
        public var positions: Range<UInt32> = 0..<0
        var requestedIDs: [UInt128] = []
        var pagePositions: Range<UInt32> = 0..<0
        var archivedCount = 0
        public var isEmpty: Bool { ids.isEmpty && uetrs.isEmpty && positions.isEmpty }
        public init() {}
    }

    public init(hub: HubStateMachine, archived: [ArchivedPayment] = [], lookups: ArchiveLookups = .init()) {
        self.hub = hub
        self.lookups = lookups
        for payment in archived {
            guard let body = try? ArchivedPaymentBody(payment) else { continue }
            archivedByID[payment.id] = (payment.index, body)
            archivedByIndex[payment.index] = body
        }
    }

    /// Whether what was fetched still answers the read: true if nothing left memory since the
    /// lookups were made; else each asked id is in memory, fetched or surely not archived,
    /// and each page position before the window is in memory or fetched. False: fetch again.
    public var isComplete: Bool {
        guard hub.archive.archivedCount != lookups.archivedCount else { return true }
        for id in lookups.requestedIDs
        where hub.paymentIndexByID.value(for: id) == nil && archivedByID[id] == nil
            && hub.archive.archivedIDs.mayContain(id)
        {
            return false
        }
        for position in lookups.pagePositions.clamped(to: 0..<hub.payments.base)
        where !hub.payments.isResident(PaymentIndex(raw: position)) && archivedByIndex[position] == nil {
            return false
        }
        return true
    }

    private func find(
        _ id: UInt128
    ) -> (index: PaymentIndex, record: PaymentRecord, texts: PaymentTexts, details: PaymentDetails?)? {
        if let index = hub.paymentIndexByID.value(for: id) {
            return (index, hub.payments[index], hub.payments.texts(index), hub.paymentDetails[index])
        }
        guard let archived = archivedByID[id] else { return nil }
        return (PaymentIndex(raw: archived.index), archived.body.record, archived.body.texts, archived.body.details)
    }

    public func payment(_ id: UInt128) -> PaymentState? { find(id)?.record.state }

    /// The UETR the payment's instruction carried.
    public func paymentUETR(_ id: UInt128) -> UInt128? { find(id)?.record.uetr }

    /// The payer and payee banks of a payment.
    public func paymentParties(_ id: UInt128) -> (payer: BIC, payee: BIC)? {
        find(id).flatMap { parties(of: $0.record) }
    }

    private func parties(of record: PaymentRecord) -> (payer: BIC, payee: BIC)? {
        guard record.payerIndex.isKnown, record.payeeIndex.isKnown else { return nil }
        return (
            hub.participants[record.payerIndex].participant.bic, hub.participants[record.payeeIndex].participant.bic
        )
    }

    /// What a description of a payment shows beyond its state, from one lookup (a batch answer
    /// describes every payment it made: three lookups each were a tenth of its cost).
    public struct PaymentFacts: Sendable {
        public var parties: (payer: BIC, payee: BIC)?
        /// The currencies of the payer's and payee's members (by index, not by name: no lookups).
        public var partyCurrencies: (payer: CurrencyCode, payee: CurrencyCode)?
        public var texts: PaymentTexts
        public var details: PaymentDetails?
        public var milestones: PaymentMilestones
    }

    /// `facts` of many payments (a batch's answer), their id slots read a few ahead of their
    /// lookups (`IDTable.touch`): the memory misses overlap.
    public func facts(_ ids: [UInt128]) -> [PaymentFacts?] {
        var warmed: UInt64 = 0
        defer { CacheWarming.keep(warmed) }
        for index in 0..<min(CacheWarming.distance, ids.count) { warmed ^= hub.paymentIndexByID.touch(ids[index]) }
        return ids.indices.map { index in
            if index + CacheWarming.distance < ids.count {
                warmed ^= hub.paymentIndexByID.touch(ids[index + CacheWarming.distance])
            }
            return facts(ids[index])
        }
    }

    public func facts(_ id: UInt128) -> PaymentFacts? {
        guard let found = find(id) else { return nil }
        let record = found.record
        var currencies: (payer: CurrencyCode, payee: CurrencyCode)? = nil
        if record.payerIndex.isKnown, record.payeeIndex.isKnown {
            currencies = (
                hub.members[hub.participants[record.payerIndex].memberIndex].member.currency,
                hub.members[hub.participants[record.payeeIndex].memberIndex].member.currency
            )
        }
        return PaymentFacts(
            parties: parties(of: record), partyCurrencies: currencies, texts: found.texts, details: found.details,
            milestones: milestones(of: record))
    }

    /// What the payment said beyond the numbers: references, names, trade reference, and
    /// the details (parties, remittance) if it carried any. Personal data is gone once the
    /// retention rule erased it (`texts.isErased`).
    public func paymentData(_ id: UInt128) -> (texts: PaymentTexts, details: PaymentDetails?)? {
        find(id).map { ($0.texts, $0.details) }
    }

    /// When a payment was booked (the time of its `credited` delivery's event): the booking
    /// time its forwarded message carries. nil: not booked.
    public func bookingTime(of id: UInt128) -> UInt64? {
        guard let record = find(id)?.record, record.status == .accepted else { return nil }
        return record.bookedAt
    }

    /// What the hub keeps of a payment's way (the console's status history): whether screening
    /// held it, when it was booked, when it reached its final status, and until when it may
    /// wait (queued or reserved) — hub times, nanoseconds since 1970; 0 for "not (yet)".
    public func milestones(of id: UInt128) -> PaymentMilestones? {
        find(id).map { milestones(of: $0.record) }
    }

    private func milestones(of record: PaymentRecord) -> PaymentMilestones {
        PaymentMilestones(
            heldByScreening: record.wasHeldByScreening, bookedAt: record.bookedAt, finalAt: record.finalAt,
            waitsUntil: record.status == .queued || record.status == .reserved ? record.expiresAt : 0)
    }

    /// The payment an ISO 20022 message names by UETR: the one whose id it is (payments sent
    /// as pacs.008 are), else the latest payment that carried it (in memory or archived).
    public func paymentID(forUETR uetr: UInt128) -> UInt128? {
        if let found = find(uetr), found.record.uetr == uetr { return uetr }
        var latest: (index: UInt32, id: UInt128)? = nil
        if let index = hub.paymentIndexByUETR.value(for: uetr) { latest = (index.raw, hub.payments[index].id) }
        for (id, archived) in archivedByID where archived.body.record.uetr == uetr && archived.body.record.id != uetr {
            if latest == nil || latest!.index < archived.index { latest = (archived.index, id) }
        }
        return latest?.id
    }

    /// A page of payments in submission order, from position `cursor`: those `filter` keeps,
    /// at most `limit`, reading at most `scanMax` payments, so that a page costs the page and
    /// never the whole history (a page may come back short; continue from `next`, nil at
    /// the end). Archived positions come from what the reader fetched.
    public func paymentPage(
        from cursor: Int, limit: Int, scanMax: Int, filter: PaymentFilter
    ) -> (states: [PaymentState], next: Int?) {
        var found: [PaymentState] = []
        found.reserveCapacity(min(limit, 1_024))
        let count = hub.payments.count
        var position = max(0, cursor)
        let scanEnd = position > count - scanMax ? count : position + scanMax
        while position < scanEnd && found.count < limit {
            let index = PaymentIndex(position)
            position += 1
            let payment: PaymentRecord
            if hub.payments.isResident(index) {
                payment = hub.payments[index]
            } else if let archived = archivedByIndex[index.raw] {
                payment = archived.record
            } else {
                continue  // archived and not fetched: `isComplete` sends the reader back
            }
            if let status = filter.status, payment.status != status { continue }
            if let cycle = filter.cycle, payment.state.cycle != cycle { continue }
            if filter.needsParties {
                guard payment.payerIndex.isKnown, payment.payeeIndex.isKnown else { continue }
                let payer = hub.participants[payment.payerIndex].participant,
                    payee = hub.participants[payment.payeeIndex].participant
                if let party = filter.party, payer.bic != party && payee.bic != party { continue }
                if let member = filter.member, payer.memberID != member && payee.memberID != member { continue }
                if let other = filter.counterparty, payer.bic != other && payee.bic != other { continue }
            }
            found.append(payment.state)
        }
        return (found, position < count ? position : nil)
    }
}

extension HubStateMachine {
    /// What a read of these payments (by id, by UETR, a page from `cursor` scanning at most
    /// `scanMax`) must fetch from the archive first (nothing to fetch while nothing has been
    /// archived).
    public func archiveLookups(
        ids: [UInt128] = [], uetrs: [UInt128] = [], page: (cursor: Int, scanMax: Int)? = nil
    ) -> PaymentReadView.ArchiveLookups {
        var lookups = PaymentReadView.ArchiveLookups()
        lookups.archivedCount = archive.archivedCount
        // A UETR may be the id of the payment that carried it (pacs.008 payments).
        lookups.requestedIDs = ids + uetrs
        lookups.ids = lookups.requestedIDs.filter {
            paymentIndexByID.value(for: $0) == nil && archive.archivedIDs.mayContain($0)
        }
        if archive.archivedCount > 0 { lookups.uetrs = uetrs }
        if let page {
            // A caller's cursor may be anything up to Int.max: clamped before any arithmetic.
            let from = min(max(0, page.cursor), payments.count)
            let to = from + min(max(0, page.scanMax), payments.count - from)
            let start = UInt32(clamping: from), end = UInt32(clamping: to)
            lookups.pagePositions = start..<max(start, end)
            lookups.positions = lookups.pagePositions.clamped(to: 0..<payments.base)
        }
        return lookups
    }
}

/// A payment's milestones (`PaymentReadView.milestones`); times are 0 where not reached.
public struct PaymentMilestones: Sendable, Equatable {
    public var heldByScreening: Bool
    public var bookedAt: UInt64
    public var finalAt: UInt64
    public var waitsUntil: UInt64
}
