public import Foundation
public import PolyclearCore

/// What every store does when a retention run erased payments' personal data: rewrite the
/// logged instructions of those payments without it (in the same transaction as the run's
/// commit). The rewritten log replays to the same state (`Redaction` keeps what replay needs).
public enum HubLogRedaction {
    /// The payments a committed batch erased (empty: nothing to rewrite).
    public static func erased(in events: some Collection<HubEvent>) -> [UInt128: Redaction] {
        var erased: [UInt128: Redaction] = [:]
        for event in events {
            if case .personalDataErased(let payments) = event.kind {
                for payment in payments { erased[payment.id] = payment.redaction }
            }
        }
        return erased
    }

    /// `entries` with the erased payments' instructions redacted; nil when none was there.
    public static func rewrite(_ entries: [HubLogEntry], erased: [UInt128: Redaction]) -> [HubLogEntry]? {
        var changed = false
        let rewritten = entries.map { entry -> HubLogEntry in
            guard let command = entry.command, let redacted = rewrite(command, erased) else { return entry }
            changed = true
            return HubLogEntry(command: redacted, time: entry.time)
        }
        return changed ? rewritten : nil
    }

    static func rewrite(_ command: HubCommand, _ erased: [UInt128: Redaction]) -> HubCommand? {
        switch command {
        case .submitPayment(let instruction):
            guard instruction.redaction == nil, let redaction = erased[instruction.id] else { return nil }
            return .submitPayment(instruction.redacted(redaction))
        case .attributed(let actor, let inner):
            return rewrite(inner, erased).map { .attributed(actor: actor, command: $0) }
        case .message(let sender, let messageID, let commands):
            let rewritten = commands.map { rewrite($0, erased) }
            guard rewritten.contains(where: { $0 != nil }) else { return nil }
            return .message(
                sender: sender, messageID: messageID,
                commands: zip(commands, rewritten).map { original, redacted in redacted ?? original })
        default:
            return nil
        }
    }

    /// One stored log blob rewritten, or nil when it holds none of the erased payments.
    public static func rewrite(blob: Data, erased: [UInt128: Redaction]) throws -> Data? {
        guard let rewritten = rewrite(try HubLogCodec.decodeEntries(blob), erased: erased) else { return nil }
        return try HubLogCodec.encode(rewritten)
    }
}
