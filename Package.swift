// swift-tools-version:6.2
import PackageDescription

/// Settings every Polyclear target shares: Swift 6 mode, explicit existentials,
/// internal imports by default, and warnings as errors (the STYLE guide's rules).
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "Polyclear",
    platforms: [.macOS(.v15)],
    // Only the executable is a product. Core is not exported as a library: it is built with
    // `-O` even in debug builds (`unsafeFlags`, below) so that the allocation-freedom tests
    // mean something in `swift test`'s debug build, and SwiftPM refuses a dependency whose
    // targets use unsafe flags. Exporting Core waits for those tests to run in a release-mode
    // step of their own.
    products: [
        .executable(name: "polyclear", targets: ["polyclear"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // Already under Hummingbird; named for the NIO types the edges use directly.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // The one HTTP client: a follower's write forwarding, the load generators, the demo.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // TLS to PostgreSQL (already built for postgres-nio; named here to configure it).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    ],
    targets: [
        // Money, ids, the ledger state machine. Standard library only: no I/O, no Foundation.
        // Built optimised even in debug builds: the apply loop's allocation-freedom is a property
        // of optimised code, and the tests that check it run in `swift test`'s debug build.
        .target(
            name: "PolyclearCore",
            swiftSettings: strictSettings + [.unsafeFlags(["-O"], .when(configuration: .debug))]
        ),
        // ISO 20022 codecs and code mappings.
        .target(name: "PolyclearISO20022", dependencies: ["PolyclearCore"], swiftSettings: strictSettings),
        // Sample and workload data: the sample union, trade matrices, seeded payment and
        // transfer streams for benchmarks, demos and tests (kept out of Core, which is the hub).
        .target(
            name: "PolyclearWorkload", dependencies: ["PolyclearCore"],
            resources: [
                .copy("Resources/eurofxref-latest.csv"), .copy("Resources/trade_matrix.csv"),
                .copy("Resources/README.md"), .copy("Resources/sample-union.toml"),
            ],
            swiftSettings: strictSettings),
        // TOML read safely: the check every file passes before TOMLKit (toml++) reads it.
        .target(name: "PolyclearTOML", swiftSettings: strictSettings),
        // The union's rules as people write them: named presets from history, and the TOML keys
        // that set imbalance rules (shared by the simulator's rules file and the union file).
        .target(
            name: "PolyclearRules",
            dependencies: ["PolyclearCore", "PolyclearTOML", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strictSettings),
        // A union's definition: union.toml read and checked, the hub commands that set it up, and
        // how a database started from it differs from another file.
        .target(
            name: "PolyclearUnion",
            dependencies: ["PolyclearCore", "PolyclearRules", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strictSettings),
        // The policy simulator: payment streams from trade flows, settlement models side by
        // side, its rules file, and its reports (table, CSV, self-contained HTML).
        .target(
            name: "PolyclearSimulation",
            dependencies: [
                "PolyclearCore", "PolyclearWorkload", "PolyclearRules",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings),
        // Store protocol, the single-writer service, the in-memory store.
        .target(
            name: "PolyclearStorage",
            dependencies: ["PolyclearCore", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSettings),
        // The embedded SQLite store (GRDB).
        .target(
            name: "PolyclearSQLite",
            dependencies: [
                "PolyclearStorage", "PolyclearCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strictSettings
        ),
        // The replicated store: PostgreSQL (postgres-nio), the same contract as SQLite.
        .target(
            name: "PolyclearPostgres",
            dependencies: [
                "PolyclearStorage", "PolyclearCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSettings
        ),
        // A cluster of API nodes on one PostgreSQL database: the writer lease, the follower's
        // replica of the log, the node that is writer or follower (`PostgresClusterNode`).
        .target(
            name: "PolyclearCluster",
            dependencies: [
                "PolyclearStorage", "PolyclearCore", "PolyclearPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The web console: its page, style sheet and ES modules embedded in the binary, the
        // routes that serve them and the security headers every answer carries.
        .target(
            name: "PolyclearConsole", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            resources: [
                .embedInCode("Assets/console.html"), .embedInCode("Assets/console.css"),
                .embedInCode("Assets/app.js"), .embedInCode("Assets/api.js"), .embedInCode("Assets/dom.js"),
                .embedInCode("Assets/format.js"), .embedInCode("Assets/union-views.js"),
                .embedInCode("Assets/payment-views.js"), .embedInCode("Assets/cycle-views.js"),
                .embedInCode("Assets/admin-views.js"), .embedInCode("Assets/favicon.svg"),
            ],
            swiftSettings: strictSettings),
        // The HTTP API (Hummingbird 2): authentication, routes, the OpenAPI document.
        .target(
            name: "PolyclearServer",
            dependencies: [
                "PolyclearCore", "PolyclearStorage", "PolyclearISO20022", "PolyclearConsole",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strictSettings
        ),
        // The composition root: a running hub from its settings (serve, demo, benchmarks, tests).
        .target(
            name: "PolyclearApp",
            dependencies: [
                "PolyclearCore", "PolyclearStorage", "PolyclearSQLite", "PolyclearServer", "PolyclearPostgres",
                "PolyclearCluster", "PolyclearWorkload", "PolyclearTOML", "PolyclearUnion", "PolyclearRules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Harnesses: load generators (the demo's traffic, the HTTP load client), benchmark
        // helpers (one latency summary with one percentile definition, the hub benchmark's
        // setup, a scratch PostgreSQL database, process metrics) and the fuzz targets.
        .target(
            name: "PolyclearBench",
            dependencies: [
                "PolyclearCore", "PolyclearPostgres", "PolyclearWorkload", "PolyclearStorage", "PolyclearSQLite",
                "PolyclearServer", "PolyclearISO20022", "PolyclearSimulation", "PolyclearApp", "PolyclearUnion",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "polyclear",
            dependencies: [
                "PolyclearCore", "PolyclearStorage", "PolyclearSQLite", "PolyclearServer", "PolyclearISO20022",
                "PolyclearSimulation", "PolyclearPostgres", "PolyclearCluster", "PolyclearWorkload",
                "PolyclearApp", "PolyclearBench", "PolyclearRules", "PolyclearUnion",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // Counts heap allocations per thread (interposes malloc in the test process only).
        .target(name: "MallocCounter", path: "Tests/Support/MallocCounter"),
        // Helpers shared by the test targets (temporary directories, ...).
        .target(
            name: "PolyclearTestSupport", dependencies: ["PolyclearStorage"],
            path: "Tests/Support/PolyclearTestSupport",
            swiftSettings: strictSettings),
        // A bank's push endpoint on loopback, for the delivery tests (server and real process).
        .target(
            name: "PolyclearTestInbox", dependencies: [.product(name: "Hummingbird", package: "hummingbird")],
            path: "Tests/Support/PolyclearTestInbox", swiftSettings: strictSettings),
        .testTarget(
            name: "PolyclearCoreTests",
            dependencies: ["PolyclearCore", "PolyclearWorkload", "MallocCounter", "PolyclearTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "PolyclearStorageTests",
            dependencies: [
                "PolyclearCore", "PolyclearStorage", "PolyclearSQLite", "PolyclearPostgres", "PolyclearCluster",
                "PolyclearTestSupport", "PolyclearWorkload",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            exclude: ["Golden"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PolyclearServerTests",
            dependencies: [
                "PolyclearCore", "PolyclearStorage", "PolyclearServer", "PolyclearApp", "PolyclearTestSupport",
                "PolyclearISO20022", "PolyclearTestInbox", "PolyclearWorkload",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PolyclearISO20022Tests",
            dependencies: ["PolyclearCore", "PolyclearISO20022", "PolyclearTestSupport", "PolyclearWorkload"],
            exclude: ["Fixtures"], swiftSettings: strictSettings),
        .testTarget(
            name: "PolyclearSimulationTests",
            dependencies: [
                "PolyclearCore", "PolyclearSimulation", "PolyclearWorkload", "PolyclearRules", "PolyclearTestSupport",
            ],
            swiftSettings: strictSettings),
        .testTarget(
            name: "PolyclearUnionTests",
            dependencies: [
                "PolyclearCore", "PolyclearUnion", "PolyclearApp", "PolyclearRules", "PolyclearTestSupport",
            ],
            swiftSettings: strictSettings),
        // Runs the real `polyclear` executable: crash (SIGKILL) and CLI tests.
        .testTarget(
            name: "PolyclearCLITests",
            dependencies: [
                "polyclear", "PolyclearCore", "PolyclearStorage", "PolyclearSQLite", "PolyclearPostgres",
                "PolyclearTestSupport", "PolyclearWorkload", "PolyclearBench", "PolyclearTestInbox",
                // The console's browser tests speak WebDriver to chromedriver with it.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
