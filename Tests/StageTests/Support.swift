import Foundation
import SandboxCore
import SandboxGrader
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Where the tests find what `swift build` made and what scripts/make-rootfs made.
enum Built {
    /// The build products directory: the test bundle lives there too.
    static let directory: String = Locate.executableDirectory() ?? ".build/debug"

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The busybox root filesystem, or nil when scripts/make-rootfs has not run.
    static let rootfs: String? = Locate.rootfs()

    /// The repository root (this file is Tests/StageTests/Support.swift).
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

/// Conditions under which the privileged tests can run; each skip says why and what runs it.
enum Can {
    static let runPrivileged = geteuid() == 0
    static let useRootfs = runPrivileged && Built.rootfs != nil
    static let compileC = Sys.resolveExecutable("cc", searchPath: Sys.getenv("PATH")) != nil
}

extension Trait where Self == ConditionTrait {
    /// Needs root; `sudo scripts/test` runs it.
    static var privileged: Self {
        .enabled(if: Can.runPrivileged, "needs root (chroot, namespaces): run ./scripts/test")
    }
    /// Needs root and the busybox rootfs; `sudo scripts/test` makes it and runs it.
    static var withRootfs: Self {
        .enabled(
            if: Can.useRootfs, "needs root and .sandboxlabs/rootfs: run ./scripts/test (it runs scripts/make-rootfs)"
        )
    }
    /// Needs a C compiler for the deliberately broken implementations; scripts/setup installs gcc.
    static var withCompiler: Self {
        .enabled(if: Can.compileC, "needs cc to build the broken implementations: run scripts/setup")
    }
}

/// Runs one of our executables and returns what it did.
func run(_ name: String, _ arguments: [String], timeout: Double = 30) throws -> ChildProcess.Result {
    let path = Built.path(name)
    return try ChildProcess.run(SpawnRequest(path: path, arguments: [path] + arguments), timeout: timeout)
}

/// Compiles Tests/BrokenImplementations/FILE.c with one -D flag (or none) into `directory`.
func compileImplementation(_ file: String, define: String?, in directory: String) throws -> String {
    let output = directory + "/" + file + (define.map { "-" + $0 } ?? "")
    let source = Built.repository + "/Tests/BrokenImplementations/\(file).c"
    let cc = Sys.resolveExecutable("cc", searchPath: Sys.getenv("PATH")) ?? "/usr/bin/cc"
    let arguments = [cc, "-O1", "-w", "-o", output, source] + (define.map { ["-D" + $0] } ?? [])
    let result = try ChildProcess.run(SpawnRequest(path: cc, arguments: arguments), timeout: 60)
    guard result.status == .exited(0) else {
        throw CompileError(message: "\(arguments.joined(separator: " ")): \(result.stderr)")
    }
    return output
}

struct CompileError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs `body` with a fresh directory under /tmp and removes the directory afterwards.
func withScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
    let directory = try Sys.makeTemporaryDirectory("/tmp/sandboxlabs-test-")
    defer {
        _ = try? ChildProcess.run(
            SpawnRequest(path: "/bin/rm", arguments: ["rm", "-rf", "--one-file-system", directory]))
    }
    return try body(directory)
}

/// A private copy of the busybox rootfs in `directory`, so tests that write
/// into a rootfs (the escape makes a directory there) never race each other.
func copyOfRootfs(in directory: String) throws -> String {
    let rootfs = try #require(Built.rootfs)
    let copy = directory + "/rootfs"
    let result = try ChildProcess.run(SpawnRequest(path: "/bin/cp", arguments: ["cp", "-a", rootfs, copy]))
    guard result.status == .exited(0) else { throw CompileError(message: "cp -a \(rootfs): \(result.stderr)") }
    return copy
}
