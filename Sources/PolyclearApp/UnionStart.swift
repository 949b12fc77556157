import Foundation
public import PolyclearCore
import PolyclearRules
public import PolyclearServer
public import PolyclearUnion
import PolyclearWorkload

/// Why a union file cannot start this hub, with a stable code: `invalid_input` (the file, its
/// line and key), `union_file_differs` (the database was started from another definition:
/// the differences), `union_already_defined` (the database holds a union not started from a
/// file).
public struct UnionStartError: Error, CustomStringConvertible, Sendable {
    public let code: String
    public let description: String
}

/// `serve --union union.toml`: the file read and checked, its first fixing computed, and the
/// union set up on a new database as ordinary, logged, audited hub commands; a database
/// already started from the same definition is left as it is; another definition is refused.
public enum UnionStart {
    /// Who the setup commands are attributed to in the audit trail.
    static func actor(_ path: String) -> Actor { .operatorUser("union-file:" + (path as NSString).lastPathComponent) }

    /// Reads the file and computes its first fixing (version 1, in force from the start).
    public static func load(
        path: String, currencies: CurrencyTable
    ) throws(UnionStartError) -> (definition: UnionDefinition, fixing: Fixing) {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if let size, size > UnionFile.fileBytesMax {
            throw UnionStartError(
                code: "invalid_input",
                description: "\(path): the union file is larger than \(UnionFile.fileBytesMax) bytes")
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw UnionStartError(code: "not_found", description: "cannot read the union file \(path)")
        }
        return try load(text: text, path: path, currencies: currencies)
    }

    /// The bundled twelve-member sample union (`--sample-union`, the demo).
    public static func loadSample(
        currencies: CurrencyTable
    ) throws(UnionStartError) -> (definition: UnionDefinition, fixing: Fixing) {
        try load(
            text: BundledData.text(.sampleUnion), path: BundledData.url(.sampleUnion).path, currencies: currencies)
    }

    static func load(
        text: String, path: String, currencies: CurrencyTable
    ) throws(UnionStartError) -> (definition: UnionDefinition, fixing: Fixing) {
        let definition: UnionDefinition
        do { definition = try UnionFile.parse(text, file: path, currencies: currencies) } catch {
            throw UnionStartError(code: "invalid_input", description: error.description)
        }
        return (definition, try fixing(definition, unionFile: path, currencies: currencies))
    }

    /// The first fixing, the IMF way from one ECB day (`FixingCalculator`): every member's
    /// currency must get a rate (from the ECB or from `rates_per_eur`).
    static func fixing(
        _ definition: UnionDefinition, unionFile: String, currencies: CurrencyTable
    ) throws(UnionStartError) -> Fixing {
        func fail(_ reason: String) -> UnionStartError {
            UnionStartError(code: "invalid_input", description: "\(unionFile): fixing: \(reason)")
        }
        let source = definition.fixing.ecbRates
        let text: String
        if source == "bundled" {
            text = BundledData.text(.ecbReferenceRates)
        } else {
            let path =
                source.hasPrefix("/")
                ? source
                : ((unionFile as NSString).deletingLastPathComponent as NSString).appendingPathComponent(source)
            guard let read = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw fail("cannot read the ECB rates \(path)")
            }
            text = read
        }
        guard let day = try? ECBReferenceRates.parse(text).first else {
            throw fail("\(source) is not ECB reference rates")
        }
        var overrides: [CurrencyCode: DecimalNumber] = [:]
        for (code, rate) in definition.fixing.ratesPerEUR {
            if let currency = CurrencyCode(code), let value = DecimalNumber(rate) { overrides[currency] = value }
        }
        do {
            let basket = try UnitBasket(unit: currencies.unit, amounts: definition.basketAmounts)
            return try FixingCalculator(basket: basket).fixing(
                version: 1, effectiveFrom: 0, effectiveDate: day.date, sourceDate: day.date, source: day.values,
                overrides: overrides, currencies: Set(definition.members.map(\.currency)))
        } catch { throw fail("\(error)") }
    }

    /// Sets the union up if the database is new; leaves it if it was started from the same
    /// definition; refuses otherwise. A node that is not the writer compares only.
    public static func apply(
        _ definition: UnionDefinition, fixing: Fixing, unionFile: String, on hub: some HubAccess,
        say: @Sendable (String) -> Void
    ) async throws {
        let (recorded, isEmpty) = try await hub.read { ($0.unionDefinitionText, $0.allMembers.isEmpty) }
        if let recorded {
            guard recorded != definition.canonicalJSON else {
                say("union: the database was started from this definition; nothing to apply")
                return
            }
            let differences =
                UnionDefinition.fromCanonicalJSON(recorded).map { definition.differences(from: $0) }
                ?? ["the recorded definition cannot be read"]
            throw UnionStartError(
                code: "union_file_differs",
                description: "\(unionFile) differs from the definition this database was started from "
                    + "(changes go through the API and governance):\n  " + differences.joined(separator: "\n  "))
        }
        guard isEmpty else {
            throw UnionStartError(
                code: "union_already_defined",
                description: "this database already holds a union that was not started from a union file")
        }
        // A node that is not (yet) the writer: submit throws notWriter, and the caller retries.
        if case .forward = hub.writeRoute {
            say("union: another node holds the writer role; it sets the union up")
            return
        }
        let results = try await hub.submit(definition.setupCommands(fixing: fixing, actor: actor(unionFile)))
        if let refused = results.first(where: { $0 != .ok }) {
            throw UnionStartError(code: "union_setup_refused", description: "the hub refused the union: \(refused)")
        }
        say(
            "union: set up from \(unionFile) (\(definition.members.count) members, "
                + "\(definition.participants.count) participants)")
    }
}
