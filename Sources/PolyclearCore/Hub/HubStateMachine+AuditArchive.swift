/// Memory bounded by open work, for the audit trail: once archiving is on
/// (`startAuditArchive`, logged), the oldest attributed actions leave memory for the store's archive
/// whenever more than `Limits.auditRecordsResidentMax` are in memory, down to half of it.
/// Every bank's acknowledgement of its deliveries and every operator and central-bank action
/// is one record, so without this the trail grew with traffic for as long as the union ran.
///
/// Records keep their positions (0 is the first ever): `auditBase` of them are archived, the
/// rest are in `auditTrail`. The pass runs in `tick` like the payment archive's, so replay
/// archives the same records at the same points; the archived ones go out in the outcome
/// (`HubOutcome.archivedAudit`) and the store keeps them in the same commit. Reads of
/// positions below `archivedAuditRecordCount` go to the store.
public struct ArchivedAuditRecord: Hashable, Sendable {
    /// Its position in the whole trail (0: the first ever).
    public var position: Int
    public var record: AuditRecord

    public init(position: Int, record: AuditRecord) {
        self.position = position
        self.record = record
    }
}

extension AuditRecord {
    /// How an archive stores it (`BinaryCodec`; a few dozen bytes).
    public func encoded() -> [UInt8] {
        // Plain values: encoding cannot fail (a failure is a bug in the codec).
        try! BinaryCodec.encode(self, reserving: 128)
    }

    /// Reads what `encoded()` wrote; a damaged record throws.
    public init(encoded bytes: [UInt8]) throws {
        self = try BinaryCodec.decode(AuditRecord.self, from: bytes)
    }
}

extension HubStateMachine {
    /// Every attributed action recorded, archived or not.
    public var auditRecordCount: Int { auditBase + auditTrail.count }

    /// The first this many (positions `0..<archivedAuditRecordCount`) are in the store's archive.
    public var archivedAuditRecordCount: Int { auditBase }

    /// The records at `positions` that are in memory, oldest first (those below
    /// `archivedAuditRecordCount` or past the end are not).
    public func residentAuditRecords(_ positions: Range<Int>) -> ArraySlice<AuditRecord> {
        let lower = max(positions.lowerBound, auditBase) - auditBase
        let upper = min(positions.upperBound, auditRecordCount) - auditBase
        return lower < upper ? auditTrail[lower..<upper] : []
    }

    /// Whether old audit records leave memory (`startAuditArchive` was applied).
    public var isArchivingAudit: Bool { isArchivingAuditRecords }

    mutating func startAuditArchive() -> HubResult {
        guard configuration.paymentArchiveAvailable else { return .refused(.archiveUnavailable) }
        isArchivingAuditRecords = true
        return .ok
    }

    /// True while the trail holds more records in memory than it keeps.
    var hasAuditToArchive: Bool { isArchivingAuditRecords && auditTrail.count > Limits.auditRecordsResidentMax }

    /// One pass (from `tick`): the oldest records out, down to half the bound, at most
    /// `Limits.paymentsArchivedPerPassMax` at a time.
    mutating func archiveOldAuditRecords() {
        guard hasAuditToArchive else { return }
        let count = min(auditTrail.count - Limits.auditRecordsResidentMax / 2, Limits.paymentsArchivedPerPassMax)
        for (offset, record) in auditTrail.prefix(count).enumerated() {
            archivedAudit.append(ArchivedAuditRecord(position: auditBase + offset, record: record))
        }
        auditTrail.removeFirst(count)
        auditBase += count
    }
}
