import Foundation
import PolyclearCore
import PolyclearStorage
import Synchronization

/// The `Idempotency-Key` of the request being handled, for the one submission it executes
/// (`PolyclearAPI.submit` takes it): a first execution records the key and its results with
/// its commit; a retry whose commit is recorded but whose answer is not (the process died in
/// between) is answered from the recorded results — never executed again.
final class IdempotencyScope: Sendable {
    enum Mode: Sendable {
        case record(IdempotencyMark<HubResult>)
        case recover(results: [HubResult])
    }

    @TaskLocal static var current: IdempotencyScope?

    let mode: Mode
    private let taken = Atomic<Bool>(false)

    init(_ mode: Mode) { self.mode = mode }

    /// The request's first submission takes the mode; later ones (none today) run as usual.
    func take() -> Mode? { taken.exchange(true, ordering: .acquiringAndReleasing) ? nil : mode }

    var wasTaken: Bool { taken.load(ordering: .acquiring) }

    /// The stable name of a caller in the durable records.
    static func callerID(_ caller: Caller) -> String {
        switch caller {
        case .operatorUser(let name): "operator:\(name)"
        case .member(let id): "member:\(id.alpha3)"
        case .participant(let bic): "participant:\(bic)"
        }
    }

    static func encode(_ results: [HubResult]) -> Data { (try? JSONEncoder().encode(results)) ?? Data() }

    static func decode(_ data: Data) -> [HubResult]? { try? JSONDecoder().decode([HubResult].self, from: data) }
}

/// Named points where a test process kills itself (SIGKILL), to prove what survives a crash
/// exactly there. Armed only by `POLYCLEAR_FAILPOINT=<point>:<Idempotency-Key>` in the
/// environment of a test's child process; nothing else ever arms them.
enum Failpoint: String {
    /// The request's commit is durable; its answer is neither stored nor sent.
    case afterCommit = "idempotency-after-commit"
    /// The answer is stored durably; it is not sent.
    case afterAnswerStored = "idempotency-after-answer-stored"

    private static let armed: (point: String, key: String)? = {
        guard let value = ProcessInfo.processInfo.environment["POLYCLEAR_FAILPOINT"],
            let colon = value.firstIndex(of: ":")
        else { return nil }
        return (String(value[..<colon]), String(value[value.index(after: colon)...]))
    }()

    func hit(key: String) {
        guard let armed = Self.armed, armed.point == rawValue, armed.key == key else { return }
        kill(getpid(), SIGKILL)
    }
}
