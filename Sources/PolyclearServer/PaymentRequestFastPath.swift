import PolyclearCore

/// Reads the common shape of a batch body — an array of flat payment objects whose values are
/// plain strings and booleans — straight from its bytes, where Foundation's `JSONDecoder`
/// (a map of the whole document, then a container per object and a lookup per key) was an
/// eighth of the batch endpoint's CPU.
///
/// It answers only when it is sure to answer as the decoder would: anything else — an escape
/// in a string, a nested object or list, a number, `null`, an unknown or missing key, a key
/// twice, anything malformed — makes it answer nil, and the body goes to `JSONDecoder`, which
/// accepts it or gives the usual error. The body has passed `JSONShapeCheck` already.
/// `PaymentRequestFastPathTests` hold both readings equal on random bodies.
enum PaymentRequestFastPath {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> [PaymentRequestDTO]? {
        var reader = Reader(bytes: bytes)
        return reader.requests()
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var position = 0

        mutating func requests() -> [PaymentRequestDTO]? {
            guard take(UInt8(ascii: "[")) else { return nil }
            var requests: [PaymentRequestDTO] = []
            if take(UInt8(ascii: "]")) { return end() ? requests : nil }
            repeat {
                guard let request = request() else { return nil }
                requests.append(request)
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "]")), end() else { return nil }
            return requests
        }

        /// One object of known keys with string or boolean values, its required keys present.
        mutating func request() -> PaymentRequestDTO? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields = Fields()
            var seen: UInt32 = 0
            if !take(UInt8(ascii: "}")) {
                repeat {
                    guard let key = string(), take(UInt8(ascii: ":")), let slot = Fields.slot(of: key),
                        seen & (1 << slot) == 0
                    else { return nil }
                    seen |= 1 << slot
                    guard fields.read(slot, from: &self) else { return nil }
                } while take(UInt8(ascii: ","))
                guard take(UInt8(ascii: "}")) else { return nil }
            }
            return fields.request()
        }

        /// A string without escapes or control characters, as valid UTF-8; nil otherwise.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = position
            while position < bytes.count {
                let byte = bytes[position]
                if byte == UInt8(ascii: "\"") {
                    let text = UTF8Text.string(UnsafeRawBufferPointer(rebasing: bytes[start..<position]))
                    position += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                position += 1
            }
            return nil
        }

        mutating func bool() -> Bool? {
            skipSpace()
            if literal("true") { return true }
            if literal("false") { return false }
            return nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let count = word.utf8CodeUnitCount
            guard position + count <= bytes.count else { return false }
            let matches = word.withUTF8Buffer { word in (0..<count).allSatisfy { bytes[position + $0] == word[$0] } }
            if matches { position += count }
            return matches
        }

        /// Passes white space and then `byte` if it is next.
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard position < bytes.count, bytes[position] == byte else { return false }
            position += 1
            return true
        }

        mutating func skipSpace() {
            while position < bytes.count,
                bytes[position] == 0x20 || bytes[position] == 0x0A || bytes[position] == 0x0D || bytes[position] == 0x09
            {
                position += 1
            }
        }

        mutating func end() -> Bool {
            skipSpace()
            return position == bytes.count
        }
    }

    /// The flat fields of a payment request, by slot.
    private struct Fields {
        static let stringKeys = [
            "id", "payer", "payee", "amount", "side", "endToEndId", "uetr", "invoiceNumber", "purposeCode", "hsCode",
            "invoiceDate", "incoterm", "shipmentReference", "priority", "debtorName", "creditorName", "quoteId",
        ]
        static let boolKeys = ["twoPhase", "immediateOrReject"]

        var strings = [String?](repeating: nil, count: stringKeys.count)
        var bools: [Bool?] = [nil, nil]

        static func slot(of key: String) -> Int? {
            if let index = stringKeys.firstIndex(of: key) { return index }
            return boolKeys.firstIndex(of: key).map { stringKeys.count + $0 }
        }

        mutating func read(_ slot: Int, from reader: inout Reader) -> Bool {
            if slot < Self.stringKeys.count {
                guard let value = reader.string() else { return false }
                strings[slot] = value
            } else {
                guard let value = reader.bool() else { return false }
                bools[slot - Self.stringKeys.count] = value
            }
            return true
        }

        func request() -> PaymentRequestDTO? {
            guard let id = strings[0], let payer = strings[1], let payee = strings[2], let amount = strings[3],
                let endToEndId = strings[5], let uetr = strings[6]
            else { return nil }
            return PaymentRequestDTO(
                id: id, payer: payer, payee: payee, amount: amount, side: strings[4], endToEndId: endToEndId,
                uetr: uetr, invoiceNumber: strings[7], purposeCode: strings[8], hsCode: strings[9], hsCodes: nil,
                invoiceDate: strings[10], incoterm: strings[11], shipmentReference: strings[12], debtor: nil,
                creditor: nil, ultimateDebtor: nil, ultimateCreditor: nil, remittance: nil, priority: strings[13],
                twoPhase: bools[0], immediateOrReject: bools[1], debtorName: strings[14], creditorName: strings[15],
                quoteId: strings[16], condition: nil)
        }
    }
}
