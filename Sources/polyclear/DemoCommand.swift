import PolyclearApp
import PolyclearBench
import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PolyclearCore
import PolyclearWorkload
import PolyclearSQLite
import PolyclearServer
import PolyclearStorage
import ServiceLifecycle

/// `polyclear demo`: a running union in one command. The hub serves its API on 127.0.0.1; a
/// load generator pays the real 2022 trade flows between twelve countries' banks **through
/// that HTTP API** (some two-phase, some queued, some held by screening); cycles close every
/// few seconds; the terminal shows live progress and each cycle's netting. Ctrl-C stops it.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Run a clearing union on real trade flows, through the HTTP API; prints the console's address and keys.")

    @Option(help: "Port for the API.") var port = 8080
    @Option(help: "Payments per second the load generator aims at.") var rate = 200
    @Option(help: "Stop after this many seconds (0: run until Ctrl-C).") var duration = 0
    @Option(help: "Close a cycle every N seconds.") var cycleSeconds = 10
    @Option(help: "Seed of the payment stream.") var seed: UInt64 = 1
    @Option(help: "Directory for the database (default: a new temporary one).") var directory: String?

    func validate() throws {
        guard (1...65_535).contains(port), (1...20_000).contains(rate), duration >= 0,
            (1...3_600).contains(cycleSeconds)
        else { throw ValidationError("need 1 <= --rate <= 20000, --duration >= 0, 1 <= --cycle-seconds <= 3600") }
    }

    func run() async throws {
        let folder =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("polyclear-demo-\(getpid())").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let db = folder + "/polyclear.sqlite"
        let currencies = try CurrencyTable()
        // The bundled sample union file: its members, banks, rules and governance.
        let (definition, fixing) = try UnionStart.loadSample(currencies: currencies)
        let union = SampleUnion(
            members: definition.members, participants: definition.participants, fixing: fixing,
            unitAmountsPerUnit: definition.basketAmounts)
        let trade = try TradeMatrix.parse(BundledData.text(.tradeMatrix))
        // Credentials: two operators (maker and checker), each central bank, each bank; random,
        // made for this run only. The console's sign-in keys are printed (a loopback demo).
        var keys = APIKeyStore()
        let operatorSecret = Self.secret(), checkerSecret = Self.secret()
        keys.add(secret: operatorSecret, for: .operatorUser("demo"))
        keys.add(secret: checkerSecret, for: .operatorUser("demo-checker"))
        var memberSecrets: [CountryCode: String] = [:]
        for member in definition.members {
            memberSecrets[member.id] = Self.secret()
            keys.add(secret: memberSecrets[member.id]!, for: .member(member.id))
        }
        var bankSecrets: [BIC: String] = [:]
        for participant in union.participants {
            let secret = Self.secret()
            keys.add(secret: secret, for: .participant(participant.bic))
            bankSecrets[participant.bic] = secret
        }
        var logger = Logger(label: "polyclear.demo")
        logger.logLevel = .warning
        let server: HubServer<Writer<SQLiteHubStore>>
        do {
            server = try HubServer(
                db: db, host: "127.0.0.1", port: port, keys: keys, currencies: currencies, logger: logger)
        } catch {
            exitWithError(error.code.name, error.description)
        }
        let writer = server.hub
        let generator = DemoLoadGenerator(
            writer: writer, union: union, trade: trade, currencies: currencies, port: port, rate: rate,
            duration: duration,
            cycleSeconds: cycleSeconds, seed: seed, operatorSecret: operatorSecret, bankSecrets: bankSecrets,
            setupCommands: definition.setupCommands(
                fixing: fixing, actor: .operatorUser("union-file:sample-union.toml")),
            life: DemoUnionLife(
                port: port, operatorSecret: operatorSecret, checkerSecret: checkerSecret, memberSecrets: memberSecrets,
                show: printFlushed),
            show: printFlushed)
        let shownMember = definition.members[0].id
        let shownBank = union.participants.first { $0.memberID == shownMember } ?? union.participants[0]
        printFlushed(
            """
            Polyclear demo: \(union.memberDefinitions.count) members, \(union.participants.count) banks, fixing from ECB \(union.fixing.sourceDate)
              database  \(db)
              API       http://127.0.0.1:\(port)/v1   (OpenAPI: http://127.0.0.1:\(port)/openapi.yaml)
              console   http://127.0.0.1:\(port)/console   sign in with one of these keys (this run only):
                operator                 \(operatorSecret)
                second operator          \(checkerSecret)
                central bank \(shownMember.alpha3)         \(memberSecrets[shownMember]!)
                bank \(shownBank.bic.description.padding(toLength: 12, withPad: " ", startingAt: 0))        \(bankSecrets[shownBank.bic]!)
              stop      Ctrl-C\(duration > 0 ? " (or after \(duration) s)" : "")
            """)
        try await server.serviceGroup(others: [
            .init(service: generator, successTerminationBehavior: .gracefullyShutdownGroup)
        ]).run()
        printFlushed("stopped; check the ledger with: polyclear ledger check --db \(db)")
    }

    static func secret() -> String {
        var random = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(random.next(), radix: 36) }.joined()
    }
}
