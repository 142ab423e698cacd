import Foundation
import SandboxCore
import SandboxGrader
import SandboxMounts
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The images scripts/make-images builds with umoci and skopeo, and the
/// hostile corpus scripts/make-hostile-images builds; scripts/test runs both.
enum Images {
    static let directory = Built.repository + "/.sandboxlabs/images"
    static let fixture = directory + "/fixture"
    static let oracle = directory + "/fixture.oracle.listing"
    static let hostile = Built.repository + "/.sandboxlabs/hostile"
    static let haveFixture = Sys.exists(fixture + "/index.json") && Sys.exists(oracle)
    static let haveHostile = Sys.exists(hostile + "/cases.json")

    /// The canonical listing of a tree (scripts/tree-listing), the form the oracle is kept in.
    static func listing(_ tree: String) throws -> String {
        let script = Built.repository + "/scripts/tree-listing"
        let result = try ChildProcess.run(
            SpawnRequest(path: "/usr/bin/python3", arguments: ["python3", script, tree, "--exclude-root-meta"]),
            timeout: 60)
        guard result.status == .exited(0) else { throw CompileError(message: "tree-listing: \(result.stderr)") }
        return result.stdout
    }
}

extension Trait where Self == ConditionTrait {
    /// Needs root and the fixture images; ./scripts/test makes them (scripts/make-images, umoci and skopeo).
    static var withImages: Self {
        .enabled(if: Can.runPrivileged && Images.haveFixture, "needs root and .sandboxlabs/images: run ./scripts/test")
    }
    /// Needs root and the hostile corpus; ./scripts/test makes it (scripts/make-hostile-images).
    static var withHostileImages: Self {
        .enabled(
            if: Can.runPrivileged && Images.haveHostile, "needs root and .sandboxlabs/hostile: run ./scripts/test")
    }
}

@Suite("sb-image reads and unpacks real images")
struct ImageUnpackTests {
    @Test(
        "unpack gives umoci's tree, from every form of the image", .withImages,
        arguments: ["fixture", "fixture-docker.tar", "fixture-oci.tar", "fixture-zstd"])
    func unpackEqualsOracle(form: String) throws {
        try withScratchDirectory { scratch in
            let destination = scratch + "/rootfs"
            let result = try run(
                "sb-image", ["unpack", Images.directory + "/" + form, "--ref", "latest", destination, "--quiet"])
            #expect(result.status == .exited(0), "\(result.stderr)")
            let ours = try Images.listing(destination)
            let oracle = try String(contentsOfFile: Images.oracle, encoding: .utf8)
            #expect(ours == oracle, "differs from umoci unpack: diff the two listings")
            #expect(ours.contains("\tchar\t") && ours.contains("link="), "the fixture lost its device or hardlinks")
        }
    }

    @Test("a multi-platform index gives the amd64 manifest, or the one asked for", .withImages)
    func platformChoice() throws {
        let amd64 = try run("sb-image", ["inspect", Images.fixture, "--ref", "multi", "--json"])
        #expect(amd64.status == .exited(0), "\(amd64.stderr)")
        #expect(amd64.stdout.contains("\"platform\":\"linux/amd64\""))
        let arm64 = try run(
            "sb-image", ["inspect", Images.fixture, "--ref", "multi", "--platform", "linux/arm64", "--json"])
        #expect(arm64.stdout.contains("\"platform\":\"linux/arm64"))
        let missing = try run("sb-image", ["inspect", Images.fixture, "--ref", "multi", "--platform", "linux/s390x"])
        #expect(missing.status == .exited(1))
        #expect(missing.stderr.contains("no manifest for linux/s390x"))
    }

    @Test("verify checks every digest and writes nothing", .withImages)
    func verify() throws {
        let result = try run("sb-image", ["verify", Images.fixture, "--ref", "latest", "--json"])
        #expect(result.status == .exited(0), "\(result.stderr)")
        #expect(result.stdout.contains("\"verified\":true"))
    }

    @Test("unpack refuses a destination that is not empty, and leaves it alone", .withImages)
    func nonEmptyDestination() throws {
        try withScratchDirectory { scratch in
            try ProcFile.write(scratch + "/keep", "mine\n", create: true)
            let result = try run("sb-image", ["unpack", Images.fixture, "--ref", "latest", scratch])
            #expect(result.status == .exited(64))
            #expect(try ProcFile.read(scratch + "/keep") == "mine\n")
        }
    }

    @Test("ls-layer shows what a layer deletes and replaces", .withImages)
    func listLayer() throws {
        let result = try run("sb-image", ["ls-layer", Images.fixture, "--ref", "latest", "3"])
        #expect(result.status == .exited(0), "\(result.stderr)")
        #expect(result.stdout.contains("D  -          files/hello.txt"))
        #expect(
            result.stdout.contains("A  file       replace/symlink-to-file")
                || result.stdout.contains("C  file       replace/symlink-to-file"))
    }
}

/// One case of scripts/make-hostile-images' corpus (its cases.json).
struct HostileCase: Decodable {
    var name: String
    var what: String
    var expect: String
}

/// What a hostile layer could reach outside its target: the watched paths'
/// names, types, sizes, link counts and mtimes.
func outsideState(_ scratch: String, except destination: String) -> [String] {
    let watched = ["/", "/etc", "/tmp/sandboxlabs-hostile-target", scratch]
    var lines: [String] = []
    for directory in watched {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let shown = names.filter { name in
            if directory == scratch { return name != destination }
            return directory != "/" && directory != "/etc" || name.hasPrefix("sandboxlabs-hostile")
        }
        lines.append("\(directory): \(shown.sorted())")
    }
    for file in ["/etc/passwd", "/etc/shadow"] {
        var info = stat()
        if lstat(file, &info) == 0 {
            lines.append(
                "\(file): nlink=\(info.st_nlink) size=\(info.st_size) mtime=\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
            )
        }
    }
    return lines
}

@Suite("sb-image refuses or contains every hostile layer")
struct HostileImageTests {
    @Test(
        "the corpus: each case refused with a message or kept inside DEST; nothing outside changes", .withHostileImages)
    func corpus() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: Images.hostile + "/cases.json"))
        let cases = try JSONDecoder().decode([HostileCase].self, from: data)
        #expect(cases.count >= 25, "the corpus is smaller than scripts/make-hostile-images makes")
        let target = "/tmp/sandboxlabs-hostile-target"  // where the corpus's symlinks point
        let madeTarget = !Sys.exists(target)
        if madeTarget { try Sys.mkdir(target) }
        defer { if madeTarget { rmdir(target) } }
        try withScratchDirectory { scratch in
            for hostile in cases {
                let destination = scratch + "/" + hostile.name
                let before = outsideState(scratch, except: hostile.name)
                var arguments = ["unpack", Images.hostile + "/" + hostile.name, destination, "--quiet"]
                if hostile.name == "million-entries" { arguments += ["--max-entries", "10000"] }
                let result = try run("sb-image", arguments, timeout: 120)
                let after = outsideState(scratch, except: hostile.name)
                #expect(before == after, "\(hostile.name): something outside DEST changed")
                if hostile.expect == "refused" {
                    #expect(result.status == .exited(1), "\(hostile.name) (\(hostile.what)) was not refused")
                    #expect(result.stderr.contains("sb-image: error:"), "\(hostile.name): no error message")
                    #expect(!Sys.exists(destination), "\(hostile.name): DEST left behind after a refusal")
                } else {
                    #expect(
                        result.status == .exited(0) || result.status == .exited(1),
                        "\(hostile.name): \(result.status) \(result.stderr)")
                }
                _ = try? ChildProcess.run(SpawnRequest(path: "/bin/rm", arguments: ["rm", "-rf", destination]))
            }
        }
    }

    @Test("SIGTERM in the middle of a long unpack: stops, removes DEST, exits 143", .withHostileImages)
    func interrupted() throws {
        try withScratchDirectory { scratch in
            let destination = scratch + "/dest"
            let path = Built.path("sb-image")
            let child = try ChildProcess(
                SpawnRequest(
                    path: path,
                    arguments: [
                        path, "unpack", Images.hostile + "/million-entries", destination, "--quiet",
                        "--max-entries", "2000000",
                    ]))
            // Wait until it is writing files, then ask it to stop.
            for _ in 0..<200 where !Sys.exists(destination + "/d0") { usleep(10_000) }
            #expect(Sys.exists(destination), "the unpack never started writing")
            kill(child.pid, SIGTERM)
            let result = child.finish(timeout: 60)
            #expect(result.status == .exited(143), "\(result.status) \(result.stderr)")
            #expect(result.stderr.contains("stopped by signal 15"))
            #expect(!Sys.exists(destination), "DEST was left behind")
        }
    }

    @Test("an absolute name lands inside DEST, and a symlink in the path is resolved inside DEST", .withHostileImages)
    func containedInside() throws {
        try withScratchDirectory { scratch in
            let absolute = try run(
                "sb-image", ["unpack", Images.hostile + "/absolute-path", scratch + "/a", "--quiet"])
            #expect(absolute.status == .exited(0), "\(absolute.stderr)")
            #expect(Sys.exists(scratch + "/a/etc/sandboxlabs-hostile"))
            let dotdot = try run(
                "sb-image", ["unpack", Images.hostile + "/symlink-dotdot-then-file", scratch + "/b", "--quiet"])
            #expect(dotdot.status == .exited(0), "\(dotdot.stderr)")
            #expect(
                Sys.exists(scratch + "/b/tmp/sandboxlabs-hostile-planted"), "up/ -> ../../.. resolves to DEST's root")
            #expect(!Sys.exists("/tmp/sandboxlabs-hostile-planted"))
        }
    }
}

@Suite("sb-image snapshots and mounts")
struct ImageSnapshotTests {
    @Test("snapshots are in overlay form, made once, and the mounted image equals umoci's tree", .withImages)
    func snapshotAndMount() throws {
        try withScratchDirectory { scratch in
            let store = scratch + "/store"
            let first = try run("sb-image", ["snapshot", Images.fixture, "--store", store, "--json"])
            #expect(first.status == .exited(0), "\(first.stderr)")
            #expect(first.stdout.contains("\"unpacked\":6"))
            let again = try run("sb-image", ["snapshot", Images.fixture, "--store", store, "--json"])
            #expect(again.stdout.contains("\"unpacked\":0"), "a second snapshot read the layers again")

            // Layer 3 deletes files/hello.txt: in its snapshot that is a 0/0 character device.
            let inspect = try run("sb-image", ["inspect", Images.fixture, "--json"])
            let diffIDs = inspect.stdout.components(separatedBy: "\"diff_id\":\"sha256:").dropFirst().map {
                String($0.prefix(64))
            }
            try #require(diffIDs.count == 6)
            var info = stat()
            #expect(lstat(store + "/snapshots/sha256/\(diffIDs[2])/files/hello.txt", &info) == 0)
            #expect((info.st_mode & S_IFMT) == S_IFCHR && info.st_rdev == 0, "the whiteout is not a 0/0 char device")
            #expect(
                OverlayInspect.isOpaque(store + "/snapshots/sha256/\(diffIDs[5])/recreated"),
                "layer 6's recreated/ is not opaque")

            let target = scratch + "/merged"
            try Sys.mkdir(target)
            let mounted = try run(
                "sb-image",
                [
                    "mount", Images.fixture, "--store", store, "--name", "c1", target, "--quiet", "--",
                    "/usr/bin/python3", Built.repository + "/scripts/tree-listing", ".", "--exclude-root-meta",
                ])
            #expect(mounted.status == .exited(0), "\(mounted.stderr)")
            #expect(mounted.stdout == (try String(contentsOfFile: Images.oracle, encoding: .utf8)))
            #expect(!Sys.exists(store + "/containers/c1"), "the writable layer was not removed")
            let mountinfo = try ProcFile.read("/proc/self/mountinfo")
            #expect(!mountinfo.contains(target), "the overlay leaked into the test's mount namespace")
        }
    }
}

@Suite("sb-image without root")
struct ImageRootlessTests {
    @Test("as uid 65534: files unpacked, owners and device nodes skipped and said so", .withImages)
    func unpackAsNobody() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-image"))
        defer { copy.remove() }
        try withScratchDirectory { scratch in
            chmod(scratch, 0o755)
            let image = scratch + "/fixture"
            let copied = try ChildProcess.run(
                SpawnRequest(path: "/bin/cp", arguments: ["cp", "-a", Images.fixture, image]))
            #expect(copied.status == .exited(0))
            let output = scratch + "/out"
            try Sys.mkdir(output)
            chown(output, 65534, 65534)
            let setpriv = Sys.resolveExecutable("setpriv", searchPath: Sys.getenv("PATH")) ?? "/usr/bin/setpriv"
            let result = try ChildProcess.run(
                SpawnRequest(
                    path: setpriv,
                    arguments: [
                        setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", copy.path, "unpack", image,
                        output + "/rootfs",
                    ]),
                timeout: 60)
            #expect(result.status == .exited(0), "\(result.stderr)")
            #expect(Sys.exists(output + "/rootfs/etc/hostname"))
            #expect(!Sys.exists(output + "/rootfs/devices/dev-null-copy"), "a device node was made without root")
            #expect(result.stdout.contains("not made (needs root)"))
            #expect(result.stdout.contains("ownership not kept"))
            var info = stat()
            #expect(lstat(output + "/rootfs/owners/uid-1000", &info) == 0 && info.st_uid == 65534)
        }
    }
}
