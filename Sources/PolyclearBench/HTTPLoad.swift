import Foundation
public import NIOCore
public import PolyclearCore
import PolyclearWorkload

/// A bank the load generators pay from and to: its BIC, its API key header, its currency's decimals.
public struct BenchBank: Sendable {
    public let bic: BIC
    public let authorization: String
    public let exponent: Int

    public init(bic: BIC, authorization: String, exponent: Int) {
        self.bic = bic
        self.authorization = authorization
        self.exponent = exponent
    }
}

/// Closed-loop load: each connection sends its next request when the previous answer is in.
public struct HTTPLoad: Sendable {
    /// Connection i goes to ports[i % ports.count].
    public let ports: [Int]
    public let banks: [BenchBank]
    public let seconds: Int

    public init(ports: [Int], banks: [BenchBank], seconds: Int) {
        self.ports = ports
        self.banks = banks
        self.seconds = seconds
    }

    public struct Result: Sendable {
        public var requests = 0, acknowledgedPayments = 0
        public var latenciesNanoseconds: [UInt64] = []
        public var statuses: [String: Int] = [:]
        /// Errors by HTTP status and the answer's stable code, e.g. "503 no_writer".
        public var errorsByStatusAndCode: [String: Int] = [:]
        public var elapsedSeconds = 0.0

        public init() {}

        public mutating func merge(_ other: Result) {
            requests += other.requests; acknowledgedPayments += other.acknowledgedPayments
            latenciesNanoseconds += other.latenciesNanoseconds
            statuses.merge(other.statuses, uniquingKeysWith: +)
            errorsByStatusAndCode.merge(other.errorsByStatusAndCode, uniquingKeysWith: +)
        }

        public func summary(_ title: String) -> String {
            let latency = LatencySummary(nanoseconds: latenciesNanoseconds)
            let errors = errorsByStatusAndCode.values.reduce(0, +)
            let errorText = errorsByStatusAndCode.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
                separator: ", ")
            let statusText = statuses.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            return "\(title), \(String(format: "%.1f", elapsedSeconds)) s: "
                + "\(Int(Double(requests) / elapsedSeconds)) requests/s, \(Int(Double(acknowledgedPayments) / elapsedSeconds)) payments/s committed; "
                + "latency \(latency.text(decimals: 2)); "
                + "errors \(errors)\(errors > 0 ? " [\(errorText)]" : ""); statuses: \(statusText)"
        }
    }

    public func run(connections: Int, paymentsPerRequest: Int, phase: UInt64) async throws -> Result {
        let start = ContinuousClock.now
        let deadline = start + .seconds(seconds)
        var total = try await withThrowingTaskGroup(of: Result.self) { group in
            for connection in 0..<connections {
                group.addTask {
                    try await HTTPLoadConnection.with(host: "127.0.0.1", port: ports[connection % ports.count]) {
                        http in

                        try await drive(
                            &http, connection: connection, paymentsPerRequest: paymentsPerRequest, phase: phase,
                            until: deadline)
                    }
                }
            }
            var total = Result()
            for try await result in group { total.merge(result) }
            return total
        }
        let elapsed = (ContinuousClock.now - start).components
        total.elapsedSeconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        return total
    }

    /// The stable `code` of an error answer (`{"code": …, "message": …}`), or "-".
    public static func errorCode(_ answer: ByteBuffer) -> String {
        struct ErrorBody: Decodable { let code: String }
        return (try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.readableBytesView)))?.code ?? "-"
    }

    private func drive(
        _ http: inout HTTPLoadConnection, connection: Int, paymentsPerRequest: Int, phase: UInt64,
        until deadline: ContinuousClock.Instant
    ) async throws -> Result {
        var result = Result()
        var bodies = PaymentBodies(banks: banks, phase: phase, connection: UInt64(connection))
        var request = 0
        let path = paymentsPerRequest == 1 ? "/v1/payments" : "/v1/payments/batch"
        while ContinuousClock.now < deadline {
            // Rotate payer banks over connections and requests: no caller nears its rate limit.
            let payer = (connection + request * 7) % banks.count
            request += 1
            let body = bodies.next(payer: payer, count: paymentsPerRequest, asArray: paymentsPerRequest > 1)
            let sent = ContinuousClock.now
            let (status, answer) = try await http.send(
                .POST, path, authorization: banks[payer].authorization, body: body)
            let latency = ContinuousClock.now - sent
            result.latenciesNanoseconds.append(
                UInt64(latency.components.seconds) * 1_000_000_000
                    + UInt64(latency.components.attoseconds / 1_000_000_000))
            result.requests += 1
            guard status == 200 || status == 201 else {
                result.errorsByStatusAndCode["\(status) \(Self.errorCode(answer))", default: 0] += 1
                continue
            }
            let counted = PaymentBodies.countStatuses(answer, into: &result.statuses)
            result.acknowledgedPayments += counted
        }
        return result
    }
}

/// Payment JSON for the load, written straight into bytes (the client must not be what limits
/// the measurement). Ids are unique per run, phase, connection and sequence.
public struct PaymentBodies {
    let banks: [BenchBank]
    /// Version-4 UUID bits; the UETR differs from the id in one bit that is neither.
    let idPrefix: UInt128
    var sequence: UInt64 = 0
    var random: SeededRandom

    public init(banks: [BenchBank], phase: UInt64, connection: UInt64) {
        self.banks = banks
        let runNonce = UInt64(UInt32(truncatingIfNeeded: UInt64(Date().timeIntervalSince1970 * 1_000)))
        // run (32 bits) | phase (4) | connection (12) | UUID version 4 | ... | variant 10 | sequence
        let run = UInt128(runNonce) << 96, phaseBits = UInt128(phase & 0xF) << 92,
            connectionBits = UInt128(connection & 0xFFF) << 80
        let version: UInt128 = 0x4 << 76, variant: UInt128 = 0x2 << 62
        idPrefix = run | phaseBits | connectionBits | version | variant
        random = SeededRandom(seed: phase << 32 | connection)
    }

    public mutating func next(payer: Int, count: Int, asArray: Bool) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(count * 300)
        if asArray { buffer.writeStaticString("[") }
        for index in 0..<count {
            if index > 0 { buffer.writeStaticString(",") }
            sequence += 1
            var payee = Int(random.next() % UInt64(banks.count - 1))
            if payee >= payer { payee += 1 }
            let id = idPrefix | UInt128(sequence)
            let units = 100 + random.next() % 4_901  // 100 to 5,000: never zero after conversion, even from IDR
            // Written piece by piece into the buffer (no `String` per payment): the client
            // shares the server's two cores.
            buffer.writeStaticString(#"{"id":""#)
            Self.writeUUID(id, to: &buffer)
            buffer.writeStaticString(#"","payer":""#)
            buffer.writeString(banks[payer].bic.description)
            buffer.writeStaticString(#"","payee":""#)
            buffer.writeString(banks[payee].bic.description)
            buffer.writeStaticString(#"","amount":""#)
            Self.writeDecimal(units, to: &buffer)
            if banks[payer].exponent > 0 {
                buffer.writeStaticString(".")
                buffer.writeRepeatingByte(UInt8(ascii: "0"), count: banks[payer].exponent)
            }
            buffer.writeStaticString(#"","endToEndId":"E2E-"#)
            Self.writeDecimal(sequence, to: &buffer)
            buffer.writeStaticString(#"","uetr":""#)
            Self.writeUUID(id ^ 1 << 61, to: &buffer)
            buffer.writeStaticString(#"","invoiceNumber":"INV-"#)
            Self.writeDecimal(sequence, to: &buffer)
            buffer.writeStaticString(#"","purposeCode":"GDDS"}"#)
        }
        if asArray { buffer.writeStaticString("]") }
        return buffer
    }

    private static func writeUUID(_ id: UInt128, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: UUIDText.byteCount) { raw in
            UUIDText.write(id, into: raw.bindMemory(to: UInt8.self))
        }
    }

    private static func writeDecimal(_ value: UInt64, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Money.decimalByteCountMax(exponent: 0)) { raw in
            Money.writeDecimal(minorUnits: Int64(value), exponent: 0, into: raw.bindMemory(to: UInt8.self))
        }
    }

    /// Counts the `"status":"…"` values of a payment answer (one object or an array of them),
    /// and the reasons of rejections as `rejected: reason`; returns how many payments it holds.
    public static func countStatuses(_ answer: ByteBuffer, into statuses: inout [String: Int]) -> Int {
        // One pass over the answer, values tallied by their bytes (one `String` per distinct
        // value at the end, not one per payment): the client shares the server's two cores.
        var tally: [[UInt8]: Int] = [:]
        var found = 0
        answer.withUnsafeReadableBytes { bytes in
            var index = 0
            while let quote = nextQuote(in: bytes, from: index) {
                index = quote + 1
                let isStatus = matches(statusKey, in: bytes, at: index)
                guard isStatus || matches(rejectionKey, in: bytes, at: index) else { continue }
                let start = index + (isStatus ? statusKey.count : rejectionKey.count)
                var end = start
                while end < bytes.count && bytes[end] != UInt8(ascii: "\"") { end += 1 }
                tally[(isStatus ? [] : Array("rejected: ".utf8)) + Array(bytes[start..<end]), default: 0] += 1
                if isStatus { found += 1 }
                index = end + 1
            }
        }
        for (value, count) in tally { statuses[String(decoding: value, as: UTF8.self), default: 0] += count }
        return found
    }

    private static let statusKey = Array(#"status":""#.utf8)
    private static let rejectionKey = Array(#"rejection":""#.utf8)

    private static func nextQuote(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress,
            let found = memchr(base + start, Int32(UInt8(ascii: "\"")), bytes.count - start)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    private static func matches(_ key: [UInt8], in bytes: UnsafeRawBufferPointer, at index: Int) -> Bool {
        guard index + key.count <= bytes.count else { return false }
        for offset in key.indices where bytes[index + offset] != key[offset] { return false }
        return true
    }
}
