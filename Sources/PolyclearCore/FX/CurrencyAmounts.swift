/// Amounts per currency that encode in currency order. A dictionary encodes in its own
/// iteration order, which differs from process to process (and between two equal
/// dictionaries), while the hub log must encode the same entry to the same bytes. The form
/// is exactly that of a `[CurrencyCode: DecimalNumber]`: `[code, amount, code, amount, …]`,
/// so logs written before this type read back unchanged.
public struct CurrencyAmounts: Hashable, Sendable, Codable, ExpressibleByDictionaryLiteral {
    public var byCurrency: [CurrencyCode: DecimalNumber]

    public init(_ byCurrency: [CurrencyCode: DecimalNumber]) { self.byCurrency = byCurrency }

    public init(dictionaryLiteral elements: (CurrencyCode, DecimalNumber)...) {
        self.byCurrency = Dictionary(elements, uniquingKeysWith: { _, last in last })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for code in byCurrency.keys.sorted() {
            try container.encode(code)
            try container.encode(byCurrency[code]!)
        }
    }

    public init(from decoder: any Decoder) throws {
        byCurrency = try [CurrencyCode: DecimalNumber](from: decoder)
    }
}
