import PolyclearBench
#if FUZZING
    import Foundation

    /// A fuzzing build (`scripts/fuzz.sh`: `--sanitize=fuzzer -Xswiftc -DFUZZING`) has no main of
    /// its own: libFuzzer's drives this, on the target named by `POLYCLEAR_FUZZ_TARGET`.
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        FuzzTarget.selected.check(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }

    extension FuzzTarget {
        static let selected: FuzzTarget = {
            guard let name = ProcessInfo.processInfo.environment["POLYCLEAR_FUZZ_TARGET"],
                let target = FuzzTarget(rawValue: name)
            else {
                fatalError(
                    "set POLYCLEAR_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            return target
        }()
    }
#else
    /// The entry point: the command line.
    @main
    enum Main {
        static func main() async {
            await Polyclear.main()
        }
    }
#endif
