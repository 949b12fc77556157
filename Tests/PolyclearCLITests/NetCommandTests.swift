import Foundation
import PolyclearTestSupport
import Testing

@Suite struct NetCommandTests {
    static func write(
        _ text: String, in directory: TemporaryDirectory, name: String = "obligations.csv"
    ) throws -> String {
        let path = directory.path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func setsOffOptimallyAndWritesTheSplit() async throws {
        let directory = TemporaryDirectory()
        let input = try Self.write(
            "id,debtor,creditor,amount,currency,due\n1,A,B,100,EUR,2026-12-01\n2,B,E,70,EUR,\n3,E,A,100,EUR,\n"
                + "4,C,D,100,EUR,\n5,D,E,100,EUR,\n6,E,C,70,EUR,\n7,B,C,100,EUR,\n", in: directory)
        let out = directory.path("split.csv")
        let run = try await ChildProcess.run(["net", input, "--out", out])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("optimal set-off 570") && run.output.contains("certificate proven"))
        let split = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(split.first == "id,set_off,remainder" && split.count == 8)
    }

    /// Every benchmark shape written as CSV reads back as the same instance: `net` on the file
    /// finds the set-off the benchmark found (what other solvers are compared on).
    @Test func everyBenchmarkShapeWritesAFileNetSolvesAlike() async throws {
        let directory = TemporaryDirectory()
        let bench = try await ChildProcess.run([
            "bench", "net", "--shape", "all", "--parties", "60", "--obligations", "900", "--seed", "5",
            "--write-csv", directory.url.path,
        ])
        #expect(bench.status == 0, "\(bench.error)")
        let shapes = ["power-law", "hierarchy", "dense", "layers", "giant-cycles", "tiny-cycles", "chains"]
        for shape in shapes {
            let line = bench.output.split(separator: "\n").first { $0.hasPrefix(shape + ":") }
            #expect(line?.contains("certificate proven") == true, "\(shape): \(bench.output)")
            let file = directory.path("\(shape)-60x900-5.csv")
            let run = try await ChildProcess.run(["net", file, "--out", directory.path("\(shape)-split.csv")])
            #expect(run.status == 0 && run.output.contains("parsed 900 obligations"), "\(run.error)")
            #expect(run.output.contains("certificate proven") && run.output.contains("solve "))
            // The same optimum: the bench prints its share of gross, net the amounts.
            let setOff = run.output.firstMatch(of: /optimal set-off ([0-9]+) \(([0-9.]+)%\)/)
            let share = line?.firstMatch(of: /set-off ([0-9.]+)% of gross/)
            #expect(setOff != nil && share != nil && setOff?.2 == share?.1, "\(shape)")
        }
        let unknown = try await ChildProcess.run(["bench", "net", "--shape", "ring"])
        #expect(unknown.status != 0 && unknown.error.contains("unknown --shape ring"))
    }

    /// A file large enough to be read in parts (one per core): the split is written for every
    /// row, and an id repeated across parts is still refused with the line of its repeat.
    @Test func aLargeFileReadInPartsAnswersAsOnePiece() async throws {
        let directory = TemporaryDirectory()
        let lines = (1...120_000).map { "\($0),party-\($0 % 97),party-\(($0 * 7 + 1) % 89 + 100),\($0 % 1_000 + 1)" }
        let good = try Self.write("id,debtor,creditor,amount\n" + lines.joined(separator: "\n") + "\n", in: directory)
        let out = directory.path("split.csv")
        let run = try await ChildProcess.run(["net", good, "--out", out])
        #expect(run.status == 0 && run.output.contains("parsed 120000 obligations among 186 parties"), "\(run.error)")
        let split = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n")
        #expect(split.count == 120_001 && split.last?.hasPrefix("120000,") == true)
        let repeated = try Self.write(
            lines.joined(separator: "\n") + "\n3,party-1,party-2,5\n", in: directory, name: "repeated.csv")
        let refused = try await ChildProcess.run(["net", repeated, "--out", directory.path("never.csv")])
        #expect(refused.status != 0 && refused.error.contains("[malformed_obligations]: line 120001: duplicate id 3"))
        #expect(!FileManager.default.fileExists(atPath: directory.path("never.csv")))
        let unwritable = try await ChildProcess.run(["net", good, "--out", directory.path("missing/split.csv")])
        #expect(
            unwritable.status != 0 && unwritable.error.contains("[write_failed]: cannot write"), "\(unwritable.error)")
    }

    /// A file of more than 8 MiB is read in two halves at once: every row arrives whole — each
    /// written split adds up to its own row's amount, ids in file order.
    @Test func aFileReadInHalvesArrivesWhole() async throws {
        let directory = TemporaryDirectory()
        let count = 160_000
        let amounts = (1...count).map { $0 % 9_973 + 1 }
        let lines = (1...count).map {
            "\($0),a-party-with-a-long-name-\($0 % 113),another-party-with-a-long-name-\(($0 * 7 + 1) % 101),\(amounts[$0 - 1])"
        }
        let text = "id,debtor,creditor,amount\n" + lines.joined(separator: "\n") + "\n"
        #expect(text.utf8.count > 1 << 23, "the file must be large enough to be read in halves")
        let input = try Self.write(text, in: directory)
        let out = directory.path("split.csv")
        let run = try await ChildProcess.run(["net", input, "--out", out])
        #expect(run.status == 0 && run.output.contains("parsed \(count) obligations among 214 parties"), "\(run.error)")
        let split = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(split.count == count)
        var mismatched = 0
        for (index, line) in split.enumerated() {
            let cells = line.split(separator: ",")
            if cells.count != 3 || Int(cells[0]) != index + 1
                || (Int(cells[1]) ?? -1) + (Int(cells[2]) ?? -1) != amounts[index]
            {
                mismatched += 1
            }
        }
        #expect(mismatched == 0)
    }

    @Test func decimalAmountsAreExact() async throws {
        let directory = TemporaryDirectory()
        let input = try Self.write("1,A,B,10.50,EUR\n2,B,A,4.25,EUR\n", in: directory)
        let run = try await ChildProcess.run(["net", input, "--decimal"])
        #expect(run.status == 0)
        #expect(run.output.contains("gross 1475") && run.output.contains("optimal set-off 850"))
    }

    @Test(arguments: [
        ("1,A,B,10\n2,A,B\n", "line 2"),
        ("1,A,B,10\n1,B,A,5\n", "duplicate id 1"),
        ("1,A,A,10\n", "same party"),
        ("1,A,B,-5\n", "positive"),
        ("1,A,B,ten\n", "not a whole number"),
        ("1,A,B,10,EUR\n2,B,A,5,USD\n", "mixes 2 currencies"),
        ("1,A,B,10,EUR,2026-13-01\n", "due date"),
        ("1,A,B,10,ZZZ\n", "unknown currency"),
    ])
    func badInputIsRefusedWithExitCodeTwoAndNothingWritten(content: String, message: String) async throws {
        let directory = TemporaryDirectory()
        let input = try Self.write(content, in: directory)
        let out = directory.path("split.csv")
        let run = try await ChildProcess.run(["net", input, "--out", out])
        #expect(run.status == 2)
        #expect(run.error.contains(message), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func tooManyDecimalsIsAnError() async throws {
        let directory = TemporaryDirectory()
        let run = try await ChildProcess.run(["net", try Self.write("1,A,B,10.505,EUR\n", in: directory), "--decimal"])
        #expect(run.status == 2 && run.error.contains("line 1"))
    }

    @Test func queueSnapshotGridlockIsResolved() async throws {
        let directory = TemporaryDirectory()
        let queue = try Self.write("id,payer,payee,amount\np1,A,B,100\np2,B,C,100\np3,C,A,100\n", in: directory)
        let rooms = try Self.write("party,room\nA,0\nB,0\nC,0\n", in: directory, name: "rooms.csv")
        let out = directory.path("released.csv")
        let run = try await ChildProcess.run(["net", queue, "--queue", "--rooms", rooms, "--out", out])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.hasPrefix("3 queued, 3 released, value 300 of divisible bound 300"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "id,released\np1,1\np2,1\np3,1\n")
        let bad = try await ChildProcess.run([
            "net", try Self.write("id,payer,payee,amount\np1,A,Z,5\n", in: directory, name: "q2.csv"), "--queue",
            "--rooms", rooms,
        ])
        #expect(bad.status == 2 && bad.error.contains("line 2"))
    }

    @Test func crossCurrencySetOffReportsTheFXLegs() async throws {
        let directory = TemporaryDirectory()
        let input = try Self.write("1,A,B,100000,BRL\n2,B,A,100000,CNY\n", in: directory)
        let rates = try Self.write(
            "currency,rate_per_unit\nBRL,4.0752\nCNY,4.99066\n", in: directory, name: "rates.csv")
        let out = directory.path("split.csv")
        let run = try await ChildProcess.run(["net", input, "--cross-currency", "--rates", rates, "--out", out])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("optimal set-off 4007486") && run.output.contains("fx leg: A BRL delivered 81657"))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "id,set_off,remainder\n1,81657,18343\n2,100000,0\n")
        let missing = try await ChildProcess.run([
            "net", input, "--cross-currency", "--rates", try Self.write("BRL,4.0752\n", in: directory, name: "r2.csv"),
        ])
        #expect(missing.status == 2 && missing.error.contains("noRate"))
    }
}
