import PolyclearCore

/// Where the hub may push a bank's deliveries. A bank's key must not turn the hub into a
/// client of services on the hub's own network (server-side request forgery): unless the
/// operator allows private networks (`push_allow_private_network`), the host must not be
/// loopback, a private or link-local address, or a name that is not a public DNS name.
enum DeliveryEndpointPolicy {
    /// nil, or why the URL may not be used.
    static func problem(_ endpoint: DeliveryEndpoint, allowPrivateNetwork: Bool) -> String? {
        guard endpoint.isValid else {
            return
                "url is https://host/path (http only to a loopback address), at most \(DeliveryEndpoint.urlLengthMax) characters"
        }
        if allowPrivateNetwork { return nil }
        guard endpoint.url.hasPrefix("https://") else { return "url must be https" }
        let host = Self.host(of: endpoint.url).lowercased()
        if isPrivate(host) { return "url must name a public host (not loopback, private or link-local)" }
        return nil
    }

    static func host(of url: String) -> String {
        let rest = url.drop { $0 != "/" }.drop { $0 == "/" }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
        return String(authority.prefix { $0 != ":" })
    }

    /// Loopback, private, link-local, unspecified or a single-label / internal name.
    static func isPrivate(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".local")
            || host.hasSuffix(".internal") || !host.contains(".") && !host.contains(":")
        {
            return true
        }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, let octets = Optional(parts.compactMap { UInt8($0) }), octets.count == 4 {
            switch (octets[0], octets[1]) {
            case (0, _), (10, _), (127, _), (169, 254), (192, 168), (100, 64...127): return true
            case (172, 16...31): return true
            default: return false
            }
        }
        // IPv6 literals: loopback, unspecified, unique local (fc00::/7), link-local (fe80::/10), IPv4-mapped.
        if host.contains(":") {
            return host == "::1" || host == "::" || host.hasPrefix("fc") || host.hasPrefix("fd")
                || host.hasPrefix("fe8") || host.hasPrefix("fe9") || host.hasPrefix("fea") || host.hasPrefix("feb")
                || host.hasPrefix("::ffff:")
        }
        // A name made only of digits and dots is an address in another notation (e.g. 2130706433).
        return host.allSatisfy { $0.isNumber || $0 == "." }
    }
}
