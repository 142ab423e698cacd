// swift-tools-version:6.0
// SandboxLabs: one small executable per Linux container primitive, labs that
// teach them, and a grader that checks a student's implementation.
import PackageDescription

let package = Package(
    name: "SandboxLabs",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "sb-doctor", targets: ["sb-doctor"]),
        .executable(name: "sb-chroot", targets: ["sb-chroot"]),
        .executable(name: "sb-uts", targets: ["sb-uts"]),
        .executable(name: "sb-grade", targets: ["sb-grade"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
    ],
    targets: [
        // C shim: only what Swift's Glibc module cannot reach. No logic.
        .target(name: "CSandbox"),
        // System libraries, found with pkg-config; the providers tell SwiftPM
        // which Debian package to suggest when one is missing.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),

        .target(
            name: "SandboxCore",
            dependencies: ["CSandbox", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(name: "SandboxNamespaces", dependencies: ["SandboxCore", "CSandbox"]),
        .target(name: "SandboxSecurity", dependencies: ["SandboxCore", "CCap"]),
        .target(name: "SandboxGrader", dependencies: ["SandboxCore", "SandboxNamespaces"]),

        .executableTarget(
            name: "sb-doctor",
            dependencies: [
                "CSandbox", "SandboxCore", "SandboxNamespaces", "SandboxSecurity", "CArchive",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sb-chroot",
            dependencies: [
                "SandboxCore", "SandboxSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sb-uts",
            dependencies: [
                "SandboxCore", "SandboxNamespaces",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sb-grade",
            dependencies: [
                "SandboxGrader",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Lab starters: the reference with the solution regions removed, made by
        // scripts/make-starters. Students fill in the TODOs and grade them with
        // `sb-grade NN --impl .build/debug/labNN-starter`.
        .executableTarget(
            name: "lab01-starter",
            dependencies: [
                "SandboxCore", "SandboxSecurity", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Labs/01-chroot/starter"
        ),
        .executableTarget(
            name: "lab03-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Labs/03-uts-ipc/starter"
        ),

        .testTarget(name: "SandboxCoreTests", dependencies: ["SandboxCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SandboxGraderTests", dependencies: ["SandboxGrader"]),
        .testTarget(name: "StageTests", dependencies: ["SandboxCore", "SandboxNamespaces", "SandboxGrader"]),
    ]
)
