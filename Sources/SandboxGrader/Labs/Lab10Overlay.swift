import CSandbox
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 10: an overlay filesystem (copy-up, whiteouts, opaque directories).
///
/// Contract: `IMPL mount [--quiet | --json] LOWERS UPPER WORK MERGED -- CMD [ARGS...]`
/// enters a new mount namespace, makes / recursively private, mounts an overlay
/// at MERGED from LOWERS (':'-separated, the first on top), UPPER and WORK, runs
/// CMD there and exits with CMD's status. --json prints, as the first stdout
/// line, one JSON object with `data` (the mount(2) data string) and `mnt`
/// {`inside`, `outside`} as readlink(/proc/self/ns/mnt) shows them.
///
/// The checks build the layers in a fresh scratch directory, run the
/// implementation in a throwaway mount namespace (`ContainedMountRun`), then
/// read UPPER and the lowers from outside, where overlayfs left its traces.
enum Lab10 {
    static let lab = Lab(
        number: "10", slug: "10-overlay", title: "Overlay filesystems: copy-up, whiteouts, opaque directories",
        reference: "sb-overlay",
        contract: "IMPL mount [--quiet | --json] LOWERS UPPER WORK MERGED -- CMD [ARGS...]",
        checks: [runs, newNamespace, layerOrder, copyUp, whiteout, opaque, hostClean, json],
        starterSources: ["Sources/sb-overlay"], needsRootfs: false)

    static let runs = Check(
        id: "10.runs", title: "the command sees both lower layers at MERGED and its exit status passes through",
        points: 10,
        hint: "IMPL mount L2:L1 UPPER WORK MERGED -- /bin/sh -c 'cat MERGED/etc/motd; exit 7' should print the"
            + " bottom layer's motd and exit 7: mount(\"overlay\", MERGED, \"overlay\", 0, \"lowerdir=...\"), then run"
            + " the command after -- and exit with its status."
    ) { context in
        try OverlayFixture.with { fixture in
            let result = try fixture.run(
                context, "cat \(fixture.merged)/etc/motd \(fixture.merged)/etc/hostname; exit 7")
            guard result.status == .exited(7), result.stdout == "base\nlab\n" else {
                return .fail("expected base, lab and status 7; got \(quoted(result.stdout)), \(summary(result))")
            }
            return .pass("printed both layers' files, exited 7")
        }
    }

    static let newNamespace = Check(
        id: "10.new-namespace", title: "the command runs in a new mount namespace (/proc/PID/ns/mnt)", points: 10,
        dependsOn: ["10.runs"],
        hint: "call unshare(CLONE_NEWNS) before mounting: otherwise the overlay is mounted in the namespace you"
            + " were started in (on a host: the host's), and stays there after you exit."
    ) { context in
        try OverlayFixture.with { fixture in
            let run = try ContainedMountRun(
                Probe(context: context), fixture.arguments(["--quiet"]) + Probe.waitingPayload)
            let (inode, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
                try NamespaceID.of(pid: "\(pid)", .mnt)
            }
            return .newNamespace(inode, startedIn: run.startingNamespace, .mnt)
        }
    }

    static let layerOrder = Check(
        id: "10.layer-order", title: "the first of LOWERS is on top (its file wins)", points: 10,
        dependsOn: ["10.runs"],
        hint: "pass LOWERS to lowerdir= in the order given: the kernel puts the FIRST directory on top, like"
            + " Docker lists an image's newest layer first."
    ) { context in
        try OverlayFixture.with { fixture in
            let result = try fixture.run(context, "cat \(fixture.merged)/etc/shared")
            guard result.stdout == "top\n" else {
                return .fail(
                    "etc/shared (in both lowers) reads \(quoted(result.stdout)), expected top; \(summary(result))")
            }
            return .pass("etc/shared comes from the first lower directory")
        }
    }

    static let copyUp = Check(
        id: "10.copy-up", title: "a write to a lower file is copied up to UPPER; the lower is unchanged", points: 15,
        dependsOn: ["10.new-namespace"],
        hint: "give the overlay a writable layer: upperdir=UPPER,workdir=WORK in the mount data (UPPER and WORK on"
            + " one filesystem). Without upperdir the overlay is read-only and every write fails with EROFS."
    ) { context in
        try OverlayFixture.with { fixture in
            let result = try fixture.run(context, "echo changed > \(fixture.merged)/etc/motd")
            let upper = (try? ProcFile.read(fixture.upper + "/etc/motd")) ?? "(missing)"
            let lower = (try? ProcFile.read(fixture.bottom + "/etc/motd")) ?? "(missing)"
            guard upper == "changed\n", lower == "base\n" else {
                return .fail("UPPER/etc/motd \(quoted(upper)), lower etc/motd \(quoted(lower)); \(summary(result))")
            }
            return .pass("UPPER/etc/motd holds the new text, the lower file still says base")
        }
    }

    static let whiteout = Check(
        id: "10.whiteout", title: "deleting a lower file leaves a whiteout (char device 0/0) in UPPER", points: 15,
        dependsOn: ["10.new-namespace"],
        hint: "deleting needs the writable layer (upperdir= and workdir=): overlayfs records it as a character"
            + " device 0/0 of the same name in UPPER; the lower file itself must stay."
    ) { context in
        try OverlayFixture.with { fixture in
            let result = try fixture.run(context, "rm \(fixture.merged)/etc/hostname")
            let mark = fixture.upper + "/etc/hostname"
            guard isWhiteout(mark), Sys.exists(fixture.top + "/etc/hostname") else {
                let seen = Sys.exists(mark) ? "a file that is not a 0/0 device" : "nothing"
                return .fail("UPPER/etc/hostname is \(seen); \(summary(result))")
            }
            return .pass("UPPER/etc/hostname is a character device 0/0; the lower file is still there")
        }
    }

    static let opaque = Check(
        id: "10.opaque", title: "a directory deleted and made again is opaque (trusted.overlay.opaque=y)",
        points: 15, dependsOn: ["10.new-namespace"],
        hint: "mount as root without the userxattr option: overlayfs then marks an opaque directory with the"
            + " trusted.overlay.opaque=y xattr, what Docker's overlay2 driver and image tools expect."
    ) { context in
        try OverlayFixture.with { fixture in
            let dir = fixture.merged + "/var/cache"
            let result = try fixture.run(context, "rm -rf \(dir) && mkdir \(dir) && ls \(dir)")
            let value = xattr(fixture.upper + "/var/cache", "trusted.overlay.opaque")
            guard value == "y", result.stdout.isEmpty, Sys.exists(fixture.bottom + "/var/cache/one") else {
                let names = xattrNames(fixture.upper + "/var/cache").joined(separator: " ")
                return .fail(
                    "UPPER/var/cache xattrs: \(names.isEmpty ? "none" : names); ls printed \(quoted(result.stdout));"
                        + " \(summary(result))")
            }
            return .pass("UPPER/var/cache has trusted.overlay.opaque=y and the new directory is empty")
        }
    }

    static let hostClean = Check(
        id: "10.host-clean", title: "works where / is shared (systemd), and leaks no mount", points: 15,
        dependsOn: ["10.new-namespace"],
        hint: "right after unshare(CLONE_NEWNS), mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL): with /"
            + " shared (systemd's default) the overlay propagates to the namespace you came from."
    ) { context in
        try OverlayFixture.with { fixture in
            let run = try ContainedMountRun(
                Probe(context: context), fixture.arguments(["--quiet"]) + Probe.waitingPayload, shared: true)
            // Seen while the command runs: a leaked mount is gone again once the implementation unmounts.
            let (leaked, result) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { _, _ in
                try MountLine.table(pid: run.child.pid).filter { $0.mountPoint.hasPrefix(fixture.root) }
            }
            let changes = ContainedMountRun.tableChanges(result) ?? ["?"]
            guard leaked.isEmpty, changes.isEmpty else {
                let points = (leaked.map(\.mountPoint) + changes).joined(separator: " ")
                return .fail("mounts leaked into the starting namespace: \(points); \(summary(result))")
            }
            guard result.status == .exited(0) else { return .fail(summary(result)) }
            return .pass("ran with / shared around it; the starting namespace's mounts are unchanged")
        }
    }

    static let json = Check(
        id: "10.json", title: "--json reports the mount data and the namespaces", points: 10,
        dependsOn: ["10.new-namespace"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"data\":\"lowerdir=L2:L1,upperdir=U,workdir=W\",\"mnt\":{\"inside\":\"mnt:[N]\",\"outside\":\"mnt:[M]\"}}."
    ) { context in
        try OverlayFixture.with { fixture in
            let run = try ContainedMountRun(
                Probe(context: context), fixture.arguments(["--json"]) + Probe.waitingPayload)
            let (seen, _) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 1) { pid, lines in
                (record: lines.first ?? "", inode: try NamespaceID.of(pid: "\(pid)", .mnt))
            }
            guard let record = try? JSON.parse(seen.record) else {
                return .fail("the first stdout line is not JSON: \(quoted(seen.record))")
            }
            let data = record["data"]?.stringValue ?? ""
            guard data.hasPrefix("lowerdir="), data.contains(fixture.bottom),
                record["mnt"]?["inside"]?.stringValue == seen.inode.description,
                record["mnt"]?["outside"]?.stringValue == run.startingNamespace.description
            else {
                return .fail("record \(seen.record.prefix(300)); expected data \"lowerdir=...\", mnt \(seen.inode)")
            }
            return .pass("data and mnt match")
        }
    }
}

/// Two lower layers, an empty upper, work and merged directory in a fresh scratch directory.
struct OverlayFixture {
    let root: String
    var top: String { root + "/lower2" }
    var bottom: String { root + "/lower1" }
    var upper: String { root + "/upper" }
    var work: String { root + "/work" }
    var merged: String { root + "/merged" }

    /// Makes the fixture, calls `body`, and removes every file afterwards.
    static func with(_ body: (OverlayFixture) throws -> Verdict) throws -> Verdict {
        let fixture = OverlayFixture(root: try Sys.makeTemporaryDirectory("/tmp/sb-grade-overlay-"))
        defer { removeAll(fixture.root) }
        try fixture.build()
        return try body(fixture)
    }

    func build() throws {
        for dir in [
            bottom, bottom + "/etc", bottom + "/var", bottom + "/var/cache", top, top + "/etc", upper, work, merged,
        ] {
            try Sys.mkdir(dir)
        }
        let files = [
            (bottom + "/etc/motd", "base\n"), (bottom + "/etc/shared", "bottom\n"), (bottom + "/var/cache/one", "1\n"),
            (top + "/etc/shared", "top\n"), (top + "/etc/hostname", "lab\n"),
        ]
        for (path, text) in files { try ProcFile.write(path, text, create: true) }
    }

    func arguments(_ flags: [String]) -> [String] {
        ["mount"] + flags + ["\(top):\(bottom)", upper, work, merged, "--"]
    }

    /// Runs `script` with /bin/sh under the implementation, contained.
    func run(_ context: GradeContext, _ script: String) throws -> ChildProcess.Result {
        let run = try ContainedMountRun(Probe(context: context), arguments(["--quiet"]) + ["/bin/sh", "-c", script])
        return run.child.finish(timeout: context.timeout)
    }

    /// rm -rf without following symlinks; the fixture is ours, under /tmp.
    static func removeAll(_ path: String) {
        var buf = stat()
        guard lstat(path, &buf) == 0 else { return }
        if buf.st_mode & S_IFMT == S_IFDIR, let dir = opendir(path) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) {
                    String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { removeAll(path + "/" + name) }
            chmod(path, 0o700)  // overlayfs leaves work/work with mode 0
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// Whether `path` is an overlayfs whiteout: a character device 0/0 (lstat(2)).
func isWhiteout(_ path: String) -> Bool {
    guard let numbers = deviceNumbers(path) else { return false }
    return numbers.major == 0 && numbers.minor == 0
}

/// One extended attribute of `path` itself, or nil (lgetxattr(2)).
func xattr(_ path: String, _ name: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 256)
    let count = cs_lgetxattr(path, name, &buffer, buffer.count)
    return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
}

/// The names of the extended attributes of `path` itself (llistxattr(2)).
func xattrNames(_ path: String) -> [String] {
    var buffer = [CChar](repeating: 0, count: 4096)
    let count = cs_llistxattr(path, &buffer, buffer.count)
    guard count > 0 else { return [] }
    return buffer[0..<count].split(separator: 0).map {
        String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
