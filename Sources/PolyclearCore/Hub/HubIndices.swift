/// Positions in the hub's tables: dense, assigned in order, never reused. Typed so that a
/// payment's position cannot index the participants (a raw `UInt32` could), at no cost: each
/// is one `UInt32`.
protocol HubIndex: Hashable, Sendable, Codable, PlainBytes, Comparable {
    var raw: UInt32 { get }
    init(raw: UInt32)
}

extension HubIndex {
    static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }

    init(from decoder: any Decoder) throws { self.init(raw: try decoder.singleValueContainer().decode(UInt32.self)) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(raw)
    }

    init(_ position: Int) { self.init(raw: UInt32(position)) }
    /// The position as an `Int`, for arrays kept in step with a table (cycle totals, rates).
    var int: Int { Int(raw) }
}

struct PaymentIndex: HubIndex { let raw: UInt32 }
struct ParticipantIndex: HubIndex {
    let raw: UInt32
    /// A payment naming a bank the hub does not know keeps this (it is rejected at once).
    static let unknown = ParticipantIndex(raw: .max)
    var isKnown: Bool { raw != .max }
}
struct MemberIndex: HubIndex { let raw: UInt32 }
struct QuoteIndex: HubIndex { let raw: UInt32 }
struct FundsIndex: HubIndex { let raw: UInt32 }

/// A table row knows which index type addresses it.
protocol HubIndexed {
    associatedtype Index: HubIndex
}

extension PaymentRecord: HubIndexed { typealias Index = PaymentIndex }
extension ParticipantRecord: HubIndexed { typealias Index = ParticipantIndex }
extension MemberRecord: HubIndexed { typealias Index = MemberIndex }
extension QuoteRecord: HubIndexed { typealias Index = QuoteIndex }
extension FundsRecord: HubIndexed { typealias Index = FundsIndex }

extension ContiguousArray where Element: HubIndexed {
    /// `_read`/`_modify` borrow the row in place: a get/set pair would copy it, and a queue
    /// appended through a copy would be copied whole (copy-on-write).
    subscript(_ index: Element.Index) -> Element {
        _read { yield self[Int(index.raw)] }
        _modify { yield &self[Int(index.raw)] }
    }

    /// The index the next appended row gets.
    var nextIndex: Element.Index { Element.Index(count) }

    /// Every row's index, in order.
    var hubIndices: HubIndexRange<Element.Index> { HubIndexRange(count: count) }
}

/// The indices `0..<count` of a table, typed (its `map` is eager and allocates only the result).
struct HubIndexRange<Index: HubIndex>: RandomAccessCollection {
    let count: Int
    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(position: Int) -> Index { Index(position) }
}
