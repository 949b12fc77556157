public import PolyclearCluster
public import PolyclearServer

/// A cluster node serves the API: its reads and writes as they are, its place in the cluster
/// said the API's way (where a write goes, `GET /v1/node`). The conformance lives here, where
/// both the cluster and the API are known, so that neither depends on the other.
extension PostgresClusterNode: HubAccess {
    public var writeRoute: WriteRoute {
        switch writerLocation {
        case .here: .local
        case .node(let host, let port): .forward(host: host, port: port)
        case .unknown: .unavailable
        }
    }

    public var nodeStatus: HubNodeStatus {
        let progress = progress
        let role: HubNodeStatus.Role =
            switch progress.role {
            case .starting: .starting
            case .follower: .follower
            case .writer: .writer
            }
        return HubNodeStatus(
            role: role, nodeID: nodeID, writer: progress.writerEndpoint, appliedSequence: progress.appliedSequence)
    }
}
