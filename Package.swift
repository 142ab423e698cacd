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
        .executable(name: "sb-ns", targets: ["sb-ns"]),
        .executable(name: "sb-enter", targets: ["sb-enter"]),
        .executable(name: "sb-cgroupns", targets: ["sb-cgroupns"]),
        .executable(name: "sb-timens", targets: ["sb-timens"]),
        .executable(name: "sb-ipc", targets: ["sb-ipc"]),
        .executable(name: "sb-pid", targets: ["sb-pid"]),
        .executable(name: "sb-mount", targets: ["sb-mount"]),
        .executable(name: "sb-user", targets: ["sb-user"]),
        .executable(name: "sb-net", targets: ["sb-net"]),
        .executable(name: "sb-init", targets: ["sb-init"]),
        .executable(name: "sb-cgroup", targets: ["sb-cgroup"]),
        .executable(name: "sb-overlay", targets: ["sb-overlay"]),
        .executable(name: "sb-image", targets: ["sb-image"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-system", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // C shim: only what Swift's Glibc module cannot reach. No logic.
        .target(name: "CSandbox"),
        // System libraries, found with pkg-config; the providers tell SwiftPM
        // which Debian package to suggest when one is missing.
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCap", pkgConfig: "libcap", providers: [.apt(["libcap-dev"])]),
        .systemLibrary(name: "CIsal", pkgConfig: "libisal", providers: [.apt(["libisal-dev"])]),

        .target(
            name: "SandboxCore",
            dependencies: ["CSandbox", .product(name: "SystemPackage", package: "swift-system")]
        ),
        .target(name: "SandboxNamespaces", dependencies: ["SandboxCore", "CSandbox"]),
        .target(name: "SandboxMounts", dependencies: ["SandboxCore", "CSandbox"]),
        .target(name: "SandboxSecurity", dependencies: ["SandboxCore", "CCap"]),
        .target(name: "SandboxCgroups", dependencies: ["SandboxCore", "CSandbox"]),
        .target(
            name: "SandboxImage",
            dependencies: [
                "SandboxCore", "CSandbox", "CArchive", "CIsal", .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "SandboxGrader", dependencies: ["SandboxCore", "SandboxNamespaces", "SandboxCgroups", "SandboxImage"]
        ),

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

        .executableTarget(
            name: "sb-ns",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-enter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-cgroupns",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-timens",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-ipc",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-pid",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-mount",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxMounts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-user",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-net",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "sb-overlay",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxMounts", "CSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sb-cgroup",
            dependencies: [
                "SandboxCore", "SandboxCgroups", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "sb-image",
            dependencies: [
                "CSandbox", "SandboxCore", "SandboxImage", "SandboxMounts", "SandboxNamespaces",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // PID 1 inside new namespaces: no ArgumentParser, no Foundation, starts in microseconds.
        .executableTarget(name: "sb-init", dependencies: ["SandboxCore", "SandboxMounts"]),
        .executableTarget(
            name: "lab02-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/02-namespaces-api/starter"),
        .executableTarget(
            name: "lab02-enter-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/02-namespaces-api/starter-enter"),
        .executableTarget(
            name: "lab02-cgroupns-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/02-namespaces-api/starter-cgroupns"),
        .executableTarget(
            name: "lab02-timens-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/02-namespaces-api/starter-timens"),
        .executableTarget(
            name: "lab03-ipc-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/03-uts-ipc/starter-ipc"),
        .executableTarget(
            name: "lab04-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/04-pid/starter"),
        .executableTarget(
            name: "lab05-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxMounts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/05-mount/starter"),
        .executableTarget(
            name: "lab06-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxSecurity",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/06-user/starter"),
        .executableTarget(
            name: "lab07-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/07-net/starter"),
        .executableTarget(
            name: "lab08-starter",
            dependencies: [
                "SandboxCore", "SandboxCgroups", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/08-cgroups/starter"),
        .executableTarget(
            name: "lab10-starter",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxMounts", "CSandbox",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/10-overlay/starter"),
        .executableTarget(
            name: "lab11-starter",
            dependencies: [
                "CSandbox", "SandboxCore", "SandboxImage", "SandboxMounts", "SandboxNamespaces",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ], path: "Labs/11-image/starter"),

        .testTarget(name: "SandboxCoreTests", dependencies: ["SandboxCore"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SandboxGraderTests", dependencies: ["SandboxGrader"]),
        .testTarget(
            name: "StageTests",
            dependencies: [
                "SandboxCore", "SandboxNamespaces", "SandboxMounts", "SandboxCgroups", "SandboxGrader", "SandboxImage",
            ]
        ),
    ]
)
