/// Memory bounded by open work: payments whose story is over leave memory for the store's
/// archive, and come back for a command that names them.
///
/// A payment is archived when it is final, its cycle (if it was booked) is settled, no recall
/// of it is open, and, under a retention rule, its personal data is erased (so nothing
/// personal is ever written to the archive or carried back through the log). Archiving is a
/// pass over the payments before the last settled cycle's close, in index order, at most
/// `Limits.paymentsArchivedPerPassMax` at a time, run by `tick` (the writer ticks after a
/// batch while a pass has work: `hasDeferredWork`), so replay archives exactly the same
/// payments at the same points. The archived payment goes into the outcome
/// (`HubOutcome.archived`) and the store keeps it in the same commit; memory keeps only its
/// id in `archivedIDs`, a Bloom filter.
///
/// A command naming a payment that is not in memory but may be archived gets it back first:
/// the writer asks the store (`archivedReferences`) and applies `restoreArchivedPayments`
/// with what it found, a logged command, so replay restores the same records. A restored
/// payment is a straggler until the next pass archives it again.
///
/// Archiving starts with the logged command `startPaymentArchive` (the process's store must
/// keep an archive: `HubConfiguration.paymentArchiveAvailable`), so a log from before it
/// replays as it always did.
public struct ArchivedPayment: Hashable, Sendable, Codable {
    public var id: UInt128
    /// The UETR it carried when it is not its id (0: none), for investigations by UETR.
    public var uetr: UInt128
    public var index: UInt32
    /// The record, its texts and details (`BinaryCodec`), read back by `PaymentReadView`.
    public var body: [UInt8]

    public init(id: UInt128, uetr: UInt128, index: UInt32, body: [UInt8]) {
        self.id = id
        self.uetr = uetr
        self.index = index
        self.body = body
    }
}

struct ArchivedPaymentBody {
    var record: PaymentRecord
    var texts: PaymentTexts
    var details: PaymentDetails?

    init(record: PaymentRecord, texts: PaymentTexts, details: PaymentDetails?) {
        self.record = record
        self.texts = texts
        self.details = details
    }

    /// The body's layout: a version byte, the record and the texts as snapshots write them
    /// (`SnapshotRecord`, field by field), and the details if any (`BinaryCodec`, with its length).
    static let formatVersion: UInt8 = 1

    /// A few hundred bytes, in an array of about that capacity (an archive pass keeps thousands).
    func encoded() -> [UInt8] {
        let sink = BinarySink(reserving: 256)
        sink.bytes.append(Self.formatVersion)
        record.write(to: sink)
        texts.write(to: sink)
        if let details {
            // Plain values: encoding cannot fail (a failure is a bug in the codec).
            let bytes = try! BinaryCodec.encode(details, reserving: 512)
            sink.bytes.append(1)
            sink.appendLEB128(UInt64(bytes.count))
            sink.bytes.append(contentsOf: bytes)
        } else {
            sink.bytes.append(0)
        }
        return Array(sink.bytes)
    }

    init(_ archived: ArchivedPayment) throws {
        let source = BinarySource(archived.body)
        guard try source.byte() == Self.formatVersion else {
            throw BinaryCodecError.malformed("an archived payment of another format")
        }
        record = try PaymentRecord(reading: source)
        texts = try PaymentTexts(reading: source)
        if try source.bool() {
            let range = try source.take(Int(clamping: try source.leb128()))
            details = try BinaryCodec.decode(PaymentDetails.self, from: Array(archived.body[range]))
        }
        guard source.offset == archived.body.count else {
            throw BinaryCodecError.malformed("bytes after an archived payment")
        }
        guard record.id == archived.id, record.uetr == archived.uetr || archived.uetr == 0 else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "an archived payment's keys differ"))
        }
    }
}

/// Where the archive pass stands (part of the hub's state and its snapshots).
struct PaymentArchiveState: Sendable, Hashable, Codable {
    var isOn = false
    /// Payments below this index were recorded before the last settled cycle closed.
    var boundary: UInt32 = 0
    /// A cycle settled (or payments came back) since the stragglers were last looked at.
    var stragglersNeedReview = false
    /// The payment count at each cycle's close, by cycle number − 1.
    var paymentCountAtClose = ContiguousArray<UInt32>()
    var archivedIDs = ArchivedIDFilter()
    /// Payments archived in all (restored ones count again when archived again).
    var archivedCount = 0
}

extension HubStateMachine {
    public var isArchivingPayments: Bool { archive.isOn }
    public var archivedPaymentCount: Int { archive.archivedCount }
    public var residentPaymentCount: Int { payments.residentCount }

    /// True while an archive pass has work (the writer ticks after its batch).
    public var hasDeferredWork: Bool {
        (archive.isOn
            && (archive.stragglersNeedReview || (payments.front.map { $0.index.raw < archive.boundary } ?? false)))
            || hasAuditToArchive || hasCyclesToArchive
    }

    mutating func startPaymentArchive() -> HubResult {
        guard configuration.paymentArchiveAvailable else { return .refused(.archiveUnavailable) }
        guard !archive.isOn else { return .ok }
        archive.isOn = true
        // Cycles settled before archiving started: their payments are due now.
        let lastSettled = closedCycles.lastIndex { $0.state == .settled }.map { $0 + cycleArchive.base }
        if let lastSettled = lastSettled ?? (cycleArchive.base > 0 ? cycleArchive.base - 1 : nil),
            archive.paymentCountAtClose.indices.contains(lastSettled)
        {
            archive.boundary = archive.paymentCountAtClose[lastSettled]
        }
        archive.stragglersNeedReview = true
        return .ok
    }

    /// Called at every close: where the cycle's payments end, and whether it settled at once.
    mutating func noteCycleClosed(_ report: CycleReport) {
        archive.paymentCountAtClose.append(UInt32(payments.count))
        if report.state == .settled { noteCycleSettled(report.number) }
    }

    mutating func noteCycleSettled(_ number: UInt32) {
        let position = Int(number) - 1
        guard archive.paymentCountAtClose.indices.contains(position) else { return }
        archive.boundary = max(archive.boundary, archive.paymentCountAtClose[position])
        archive.stragglersNeedReview = true
    }

    /// One archive pass (from `tick`): the window's front up to the boundary, then (when due)
    /// every straggler.
    mutating func archiveSettledPayments() {
        guard archive.isOn,
            archive.stragglersNeedReview || (payments.front.map { $0.index.raw < archive.boundary } ?? false)
        else { return }
        var budget = Limits.paymentsArchivedPerPassMax
        let openRecalls = Set(recalls.values.lazy.filter { $0.status == .open }.map(\.request.paymentID))
        while budget > 0, let (index, record) = payments.front, index.raw < archive.boundary {
            budget -= 1
            if isArchivable(record, openRecalls: openRecalls, erased: payments.texts(index).isErased) {
                let resident = payments.dropFront()
                archivePayment(index, resident)
            } else {
                payments.keepFrontAsStraggler()
            }
        }
        guard archive.stragglersNeedReview, budget > 0 else { return }
        archive.stragglersNeedReview = false
        for index in payments.stragglerIndices {
            let record = payments[index]
            guard isArchivable(record, openRecalls: openRecalls, erased: payments.texts(index).isErased),
                let resident = payments.removeStraggler(index)
            else { continue }
            archivePayment(index, resident)
        }
    }

    private func isArchivable(_ record: PaymentRecord, openRecalls: Set<UInt128>, erased: Bool) -> Bool {
        guard PaymentLifecycle.isFinal(record.status) else { return false }
        if record.status == .accepted {
            guard isCycleSettled(number: record.cycle) else { return false }
        }
        if paymentRules.personalDataRetentionDays != nil && !erased { return false }
        return !openRecalls.contains(record.id)
    }

    private mutating func archivePayment(_ index: PaymentIndex, _ resident: PaymentTable.Resident) {
        let record = resident.record
        paymentIndexByID.remove(record.id)
        if record.uetr != record.id, record.uetr != 0, paymentIndexByUETR.value(for: record.uetr) == index {
            paymentIndexByUETR.remove(record.uetr)
        }
        let details = paymentDetails.removeValue(forKey: index)
        for leg in UInt8(0)..<4 {
            ledger.forgetTransfer(id: HubTransferID.paymentLeg(index, leg: leg))
            ledger.forgetTransfer(id: HubTransferID.paymentLegResolution(index, leg: leg))
        }
        archive.archivedIDs.insert(record.id)
        archive.archivedCount += 1
        let bytes = ArchivedPaymentBody(record: record, texts: resident.texts, details: details).encoded()
        archived.append(
            ArchivedPayment(
                id: record.id, uetr: record.uetr == record.id ? 0 : record.uetr, index: index.raw, body: bytes))
    }

    /// The ids these commands name that are not in memory and may be archived: what the writer
    /// looks up in the store before applying them.
    public func archivedReferences(_ commands: some Sequence<HubCommand>) -> [UInt128] {
        guard archive.isOn, archive.archivedCount > 0 else { return [] }
        var found: [UInt128] = []
        for command in commands { collectArchivedReferences(command, into: &found) }
        return found
    }

    private func collectArchivedReferences(_ command: HubCommand, into found: inout [UInt128]) {
        func note(_ id: UInt128) {
            if id != 0, paymentIndexByID.value(for: id) == nil, archive.archivedIDs.mayContain(id) { found.append(id) }
        }
        switch command {
        case .submitPayment(let p): note(p.id)
        case .commitPayment(let id, _), .rejectPayment(let id, _), .cancelPayment(let id, _),
            .fulfilCondition(let id, _, _), .decideHeldPayment(let id, _, _, _):
            note(id)
        case .requestRecall(let r): note(r.paymentID)
        case .returnPayment(let r):
            note(r.id)
            note(r.originalID)
        case .attributed(_, let inner): collectArchivedReferences(inner, into: &found)
        case .message(_, _, let inner): for c in inner { collectArchivedReferences(c, into: &found) }
        default: break
        }
    }

    /// Brings archived payments back into memory (what the writer found for the next batch).
    /// Refused whole if any is malformed or not an archived payment.
    mutating func restoreArchivedPayments(_ records: [ArchivedPayment]) -> HubResult {
        guard archive.isOn else { return .refused(.archiveUnavailable) }
        var bodies: [ArchivedPaymentBody] = []
        for archived in records {
            guard let body = try? ArchivedPaymentBody(archived), body.record.id != 0,
                archive.archivedIDs.mayContain(archived.id), archived.index < payments.base,
                !payments.isResident(PaymentIndex(raw: archived.index)),
                paymentIndexByID.value(for: archived.id) == nil,
                !bodies.contains(where: { $0.record.id == archived.id })
            else { return .refused(.malformedField) }
            bodies.append(body)
        }
        for (archived, body) in zip(records, bodies) {
            let index = PaymentIndex(raw: archived.index)
            payments.insertStraggler(index, .init(record: body.record, texts: body.texts))
            paymentIndexByID.insertNew(body.record.id, index)
            let uetr = body.record.uetr
            if uetr != body.record.id, uetr != 0 {
                if let slot = paymentIndexByUETR.slot(of: uetr) {
                    if paymentIndexByUETR[slot: slot] < index { paymentIndexByUETR[slot: slot] = index }
                } else {
                    paymentIndexByUETR.insertNew(uetr, index)
                }
            }
            if let details = body.details { paymentDetails[index] = details }
        }
        if !records.isEmpty { archive.stragglersNeedReview = true }
        return .ok
    }
}
