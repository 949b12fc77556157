import ArgumentParser
import PolyclearApp
import PolyclearCore

/// `polyclear union check union.toml`: reads and checks a union file (and computes its first
/// fixing) without starting anything; every mistake with its file, line and key, exit 2.
struct UnionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "union", abstract: "Work with union files (union.toml).", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check", abstract: "Check a union file without starting anything.")

        @Argument(help: "The union file.") var file: String

        func run() throws {
            let loaded: (definition: UnionDefinitionSummary, fixingVersion: UInt32)
            do {
                let (definition, fixing) = try UnionStart.load(path: file, currencies: try CurrencyTable())
                loaded = (UnionDefinitionSummary(definition), fixing.version)
            } catch let error as UnionStartError {
                exitWithError(error.code, error.description)
            }
            printFlushed("\(file): a valid union file")
            printFlushed(loaded.definition.text)
        }
    }
}
