#if FUZZING
import CLibFuzzer
import Foundation
#endif

/// The entry point: the command line — or, in a fuzzing build (`scripts/fuzz.sh`, built with
/// `--sanitize=fuzzer -Xswiftc -DFUZZING`) run with `POLYCLEAR_FUZZ_TARGET` set, libFuzzer's
/// driver on that target, with libFuzzer's own arguments.
@main
enum Main {
    #if FUZZING
    nonisolated(unsafe) static var target = FuzzTarget.xml

    static func main() async {
        guard let name = ProcessInfo.processInfo.environment["POLYCLEAR_FUZZ_TARGET"] else { return await Polyclear.main() }
        guard let chosen = FuzzTarget(rawValue: name) else {
            fatalError("POLYCLEAR_FUZZ_TARGET is one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        target = chosen
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            Main.target.check(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
    }
    #else
    static func main() async {
        await Polyclear.main()
    }
    #endif
}
