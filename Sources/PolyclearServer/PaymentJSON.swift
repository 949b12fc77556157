import Hummingbird
import PolyclearCore

/// JSON text written straight into bytes: objects, keys, strings (escaped as RFC 8259 asks),
/// integers and booleans. For the answers that carry many payments, where Foundation's
/// `JSONEncoder` (a tree of boxed values per payment) was a fifth of the batch endpoint's CPU.
/// The output is the same JSON as `JSONEncoder`'s for the same value (keys in declaration
/// order, absent optionals left out); `PaymentJSONTests` holds it to that.
struct JSONBytes {
    private(set) var bytes: [UInt8] = []
    /// Whether the innermost open object or array has no member yet.
    private var isFirst = true

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func object(_ body: (inout JSONBytes) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        isFirst = true
        body(&self)
        bytes.append(UInt8(ascii: "}"))
        isFirst = false
    }

    mutating func array<S: Sequence>(_ items: S, _ write: (inout JSONBytes, S.Element) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        isFirst = true
        for item in items { write(&self, item) }
        bytes.append(UInt8(ascii: "]"))
        isFirst = false
    }

    /// A member's key; its value follows.
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        literal("\":")
        isFirst = true  // the value takes no comma
    }

    mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        // Nearly every value needs no escape: checked and copied whole from its UTF-8 storage.
        let copied =
            value.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
                for byte in utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                    return false
                }
                bytes.append(contentsOf: utf8)
                return true
            } ?? false
        if !copied {
            for byte in value.utf8 { escape(byte) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        let hex: StaticString = "0123456789abcdef"
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            bytes.append(UInt8(ascii: "\\"))
            bytes.append(byte)
        case 0x0A: literal("\\n")
        case 0x0D: literal("\\r")
        case 0x09: literal("\\t")
        case 0..<0x20:
            literal("\\u00")
            hex.withUTF8Buffer { hex in
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            }
        default: bytes.append(byte)
        }
    }

    private mutating func literal(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// An integer's digits, straight into the bytes (no `String` per number): `Money`'s
    /// decimal writer with no fraction digits.
    mutating func integer<T: BinaryInteger>(_ value: T) {
        separate()
        written(capacity: Money.decimalByteCountMax(exponent: 0)) {
            if let small = Int64(exactly: value) {  // every count, number and time of an answer
                Money.writeDecimal(minorUnits: small, exponent: 0, into: $0)
            } else {
                Money.writeDecimal(minorUnits: value, exponent: 0, into: $0)
            }
        }
    }

    /// A UUID's text, quoted.
    mutating func uuid(_ value: UInt128) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        written(capacity: UUIDText.byteCount) { UUIDText.write(value, into: $0) }
        bytes.append(UInt8(ascii: "\""))
    }

    /// An amount as a quoted decimal string (`Money.format`'s text).
    mutating func decimal(minorUnits: Int64, exponent: Int) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        written(capacity: Money.decimalByteCountMax(exponent: exponent)) {
            Money.writeDecimal(minorUnits: minorUnits, exponent: exponent, into: $0)
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// Appends what `write` puts into a buffer of `capacity` bytes (on the stack) and counts.
    private mutating func written(capacity: Int, _ write: (UnsafeMutableBufferPointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: capacity) { buffer in
            let count = write(buffer)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[..<count]))
        }
    }

    mutating func bool(_ value: Bool) {
        separate()
        literal(value ? "true" : "false")
    }

    mutating func field(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        string(value)
    }

    mutating func field<T: BinaryInteger>(_ name: StaticString, _ value: T?) {
        guard let value else { return }
        key(name)
        integer(value)
    }

    mutating func field(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        array(values) { $0.string($1) }
    }

    private mutating func separate() {
        if !isFirst { bytes.append(UInt8(ascii: ",")) }
        isFirst = false
    }
}

/// A list of payments as a JSON answer (`POST /v1/payments/batch`), written by `JSONBytes`.
struct PaymentListResponse: ResponseGenerator {
    let payments: [PaymentSheet]
    let currencies: CurrencyTable

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var json = JSONBytes(capacity: payments.count * 600)
        json.array(payments) { $1.write(&$0, currencies: currencies) }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: String(json.bytes.count)],
            body: .init(byteBuffer: ByteBuffer(bytes: json.bytes)))
    }
}

extension PaymentDataDTO {
    func write(_ json: inout JSONBytes) {
        json.object { json in
            json.field("endToEndId", endToEndId)
            json.field("invoiceNumber", invoiceNumber)
            json.field("invoiceDate", invoiceDate)
            json.field("purposeCode", purposeCode)
            json.field("hsCodes", hsCodes)
            json.field("incoterm", incoterm)
            json.field("shipmentReference", shipmentReference)
            func party(_ key: StaticString, _ party: PartyDTO?) {
                guard let party else { return }
                json.key(key)
                party.write(&json)
            }
            party("debtor", debtor)
            party("creditor", creditor)
            party("ultimateDebtor", ultimateDebtor)
            party("ultimateCreditor", ultimateCreditor)
            if let remittance {
                json.key("remittance")
                json.object { json in
                    json.field("lines", remittance.lines)
                    json.field("creditorReferences", remittance.creditorReferences)
                }
            }
            if let personalDataErased {
                json.key("personalDataErased")
                json.bool(personalDataErased)
            }
        }
    }
}

extension PartyDTO {
    func write(_ json: inout JSONBytes) {
        json.object { json in
            json.field("name", name)
            if let account {
                json.key("account")
                json.object { json in
                    json.field("iban", account.iban)
                    json.field("other", account.other)
                    json.field("scheme", account.scheme)
                }
            }
            if let address {
                json.key("address")
                json.object { json in
                    json.field("streetName", address.streetName)
                    json.field("buildingNumber", address.buildingNumber)
                    json.field("postCode", address.postCode)
                    json.field("townName", address.townName)
                    json.field("country", address.country)
                    json.field("lines", address.lines)
                }
            }
            json.field("lei", lei)
            json.field("organisationId", organisationId)
            json.field("organisationIdScheme", organisationIdScheme)
        }
    }
}
