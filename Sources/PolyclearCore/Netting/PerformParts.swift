/// A function that calls `body` once for each of `0..<count`, in any order, perhaps at once.
/// Core starts no thread: the work that can run on several cores (reading an obligations file
/// in parts, merging its pairs, routing components, building a phase's arcs) takes one of
/// these from the caller, which runs the parts on as many threads as it likes.
public typealias PerformParts = (_ count: Int, _ body: @Sendable (Int) -> Void) -> Void

/// `PerformParts` that calls the body for each part in turn, on the caller's thread.
public func performInTurn(_ count: Int, _ body: @Sendable (Int) -> Void) {
    for part in 0..<count { body(part) }
}
