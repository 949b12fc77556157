@testable import PolyclearCore
import PolyclearWorkload
import Testing

/// Trade-conditional payments: booked only when the payee's bank presents the matching
/// document digest before expiry, voided at expiry otherwise, one outcome each, and the same
/// outcomes on replay.
@Suite struct ConditionalPaymentTests {
    typealias F = HubFixture
    static let second: UInt64 = 1_000_000_000
    static let banks = [F.brBank1, F.cnBank1, F.inBank1, F.idBank1]

    static func digest(_ random: inout SeededRandom) -> String {
        (0..<4).map { _ in String(random.next(), radix: 16).leftPadded(16) }.joined()
    }

    static func conditional(
        _ id: UInt128, from payer: BIC, to payee: BIC, digest: String, timeoutSeconds: UInt32
    ) -> HubCommand {
        guard
            case .submitPayment(var instruction) = F.payment(
                id, from: payer, to: payee, amountMinor: 20_000, twoPhase: true)
        else { return .resolveGridlock }
        instruction.condition = PaymentCondition(sha256Hex: digest)
        instruction.timeoutSeconds = timeoutSeconds
        return .submitPayment(instruction)
    }

    @Test(arguments: 0..<40)
    func bookedOnlyByTheMatchingDocumentBeforeExpiry(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var f = HubFixture()
        struct Model { var digest: String, payee: BIC, expiresAt: UInt64, status: PaymentStatus, fulfilledAt: UInt64? }
        var model: [UInt128: Model] = [:]
        for id in UInt128(1)...8 {
            let payer = Self.banks[Int(random.next() % 4)]
            var payee = Self.banks[Int(random.next() % 4)]
            if payee == payer { payee = Self.banks[(Self.banks.firstIndex(of: payer)! + 1) % 4] }
            let digest = Self.digest(&random), timeout = UInt32(60 + random.next() % 600)
            let result = f.apply(Self.conditional(id, from: payer, to: payee, digest: digest, timeoutSeconds: timeout))
            #expect(result.paymentStatus == .reserved, "seed \(seed): \(result) \(digest)")
            model[id] = Model(
                digest: digest, payee: payee, expiresAt: f.now + UInt64(timeout) * Self.second, status: .reserved,
                fulfilledAt: nil)
        }
        for _ in 0..<80 {
            let id = UInt128(1 + random.next() % 8)
            var entry = model[id]!
            // Due expiries happen before the command, at its time (the fixture adds 1 µs).
            let time = f.now + 1_000
            if entry.status == .reserved, time >= entry.expiresAt { entry.status = .expired }
            switch random.next() % 6 {
            case 0, 1:  // the payee presents the right document
                let result = f.apply(
                    .fulfilCondition(id: id, presentedSHA256Hex: entry.digest, actor: .participant(entry.payee)))
                if entry.status == .reserved {
                    #expect(result.paymentStatus == .accepted, "seed \(seed): \(result)")
                    entry.status = .accepted
                    entry.fulfilledAt = f.now
                } else {
                    #expect(result == .refused(.paymentStateForbidsThis))
                }
            case 2:  // a wrong document
                let wrong = Self.digest(&random)
                let result = f.apply(
                    .fulfilCondition(id: id, presentedSHA256Hex: wrong, actor: .participant(entry.payee)))
                #expect(result == .refused(entry.status == .reserved ? .conditionNotMet : .paymentStateForbidsThis))
            case 3:  // the right document, from another bank
                let other = Self.banks.first { $0 != entry.payee }!
                let result = f.apply(
                    .fulfilCondition(id: id, presentedSHA256Hex: entry.digest, actor: .participant(other)))
                #expect(result == .refused(.notAllowedForActor))
            case 4:  // a plain commit, by the payee or the operator: never books a conditional payment
                let actor: Actor = random.next() % 2 == 0 ? .participant(entry.payee) : .operatorUser("ops")
                let result = f.apply(.commitPayment(id: id, actor: actor))
                #expect(result == .refused(entry.status == .reserved ? .conditionNotMet : .paymentStateForbidsThis))
            default:
                f.advance(seconds: random.next() % 200)
                for (key, value) in model where value.status == .reserved && f.now >= value.expiresAt {
                    model[key]!.status = .expired
                }
                if model[id]!.status == .expired { entry.status = .expired }
            }
            model[id] = entry
        }
        f.advance(seconds: 2_000)
        for (id, entry) in model {
            let expected: PaymentStatus = entry.status == .accepted ? .accepted : .expired
            #expect(f.hub.payment(id)?.status == expected, "seed \(seed), payment \(id)")
            #expect(f.hub.condition(of: id)?.fulfilledAt == entry.fulfilledAt, "seed \(seed), payment \(id)")
        }
        var replay = HubStateMachine(configuration: f.hub.configuration)
        for (command, time) in f.log { _ = replay.apply(command, now: time) }
        for id in model.keys { #expect(replay.payment(id) == f.hub.payment(id)) }
        #expect(f.hub.checkInvariants() == nil)
    }

    @Test func aConditionNeedsAReservationAndAnExpiryAndAWellFormedDigest() {
        var f = HubFixture()
        let good = String(repeating: "ab", count: 32)
        for (digest, timeout, twoPhase) in [
            ("AB" + String(repeating: "ab", count: 31), UInt32(60), true), (good, 0, true), (good, 60, false),
            (String(repeating: "a", count: 63), 60, true),
        ] {
            guard
                case .submitPayment(var instruction) = Self.conditional(
                    9, from: F.brBank1, to: F.cnBank1, digest: digest, timeoutSeconds: timeout)
            else { return }
            instruction.isTwoPhase = twoPhase
            instruction.id = UInt128(f.now)
            let result = f.apply(.submitPayment(instruction))
            #expect(result.paymentStatus == .rejected, "\(digest) \(timeout) \(twoPhase): \(result)")
        }
        #expect(
            f.apply(.fulfilCondition(id: 777, presentedSHA256Hex: good, actor: .participant(F.cnBank1)))
                == .refused(.paymentNotFound))
        // An unconditional reserved payment is not fulfilled, it is committed.
        _ = f.pay(5, F.brBank1, F.cnBank1, 1_000, twoPhase: true)
        #expect(
            f.apply(.fulfilCondition(id: 5, presentedSHA256Hex: good, actor: .participant(F.cnBank1)))
                == .refused(.conditionNotMet))
        let audit = f.hub.auditRecords.map(\.action)
        #expect(audit.filter { $0 == "fulfil_condition" }.count == 2)
    }
}

extension HubResult {
    var paymentStatus: PaymentStatus? { if case .payment(let state) = self { state.status } else { nil } }
}

extension String {
    fileprivate func leftPadded(_ length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
