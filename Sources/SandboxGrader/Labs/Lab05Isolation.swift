import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 05's checks of /dev, the escape, propagation, failures and --json.
extension Lab05 {
    static let expectedDevices: [(name: String, major: UInt64, minor: UInt64)] = [
        ("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0),
    ]
    static let expectedLinks = [
        ("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"), ("ptmx", "pts/ptmx"),
    ]

    static let dev = Check(
        id: "05.dev", title: "/dev is a tmpfs with exactly the standard devices, links and /dev/pts", points: 15,
        dependsOn: ["05.new-namespace"],
        hint: "mount a tmpfs at /dev, mknod null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0 (mode"
            + " 0666), link fd stdin stdout stderr ptmx (-> pts/ptmx), mount devpts with newinstance at /dev/pts."
            + " Not the host's /dev: it holds the disks."
    ) { context in
        let (problems, _, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            try devProblems(pid: pid)
        }
        guard problems.isEmpty else { return .fail(problems.joined(separator: "; ")) }
        return .pass("tmpfs with 6 devices, 5 links and a devpts at /dev/pts")
    }

    static func devProblems(pid: pid_t) throws -> [String] {
        let table = try MountLine.table(pid: pid)
        var problems: [String] = []
        if !table.contains(where: { $0.mountPoint == "/dev" && $0.type == "tmpfs" }) {
            problems.append("/dev is not a tmpfs mount")
        }
        if !table.contains(where: { $0.mountPoint == "/dev/pts" && $0.type == "devpts" }) {
            problems.append("no devpts at /dev/pts")
        }
        let dev = "/proc/\(pid)/root/dev"
        let names = (try? directoryNames(dev)) ?? []
        let expected = Set(expectedDevices.map(\.name) + expectedLinks.map(\.0) + ["pts"])
        if names != expected {
            let extra = names.subtracting(expected).sorted().prefix(8).joined(separator: " ")
            let missing = expected.subtracting(names).sorted().joined(separator: " ")
            problems.append("/dev has extra [\(extra)] missing [\(missing)]")
        }
        for device in expectedDevices where names.contains(device.name) {
            guard let numbers = deviceNumbers(dev + "/" + device.name), numbers == (device.major, device.minor) else {
                problems.append("/dev/\(device.name) is not character device \(device.major):\(device.minor)")
                continue
            }
        }
        for (name, target) in expectedLinks where names.contains(name) {
            let seen = (try? Sys.readlink(dev + "/" + name)) ?? "(not a link)"
            if seen != target { problems.append("/dev/\(name) -> \(seen), expected \(target)") }
        }
        return problems
    }

    static let escapeBlocked = Check(
        id: "05.escape-blocked", title: "--try-escape: lab 01's escape stays inside ROOTFS", points: 10,
        dependsOn: ["05.runs"],
        hint: "the chroot escape reached the host's /: the old root was still in the namespace. Use pivot_root(2)"
            + " and detach the old root; with --try-escape, run lab 01's escape after the switch, then the command."
    ) { context in
        let before = try directoryNames(context.rootfs)
        let hostRoot = try Sys.stat("/")
        let (seen, _, _) = try whileRunning(context, ["run", "--quiet", "--try-escape", context.rootfs]) { pid, _ in
            (
                root: try Sys.stat("/proc/\(pid)/root/"),
                marker: (try? ProcFile.read("/proc/\(pid)/root/etc/sandboxlabs-rootfs"))?.trimmingWhitespace()
            )
        }
        removeNewEmptyDirectories(in: context.rootfs, before: before)
        guard seen.root != hostRoot, seen.marker == Lab01.marker else {
            return .fail(
                "after --try-escape the command's / is \(seen.root == hostRoot ? "the host's /" : "not ROOTFS")")
        }
        return .pass("the command's / is still ROOTFS")
    }

    static let privatePropagation = Check(
        id: "05.private-propagation", title: "works where / is shared (systemd), and leaks no mount", points: 10,
        dependsOn: ["05.runs"],
        hint: "right after unshare(CLONE_NEWNS), make every mount private: mount(NULL, \"/\", NULL,"
            + " MS_REC|MS_PRIVATE, NULL). With / shared (systemd's default), pivot_root fails with EINVAL"
            + " and your mounts appear in the namespace you came from."
    ) { context in
        let run = try ContainedMountRun(
            Probe(context: context), ["run", "--quiet", context.rootfs, "--", "/bin/cat", "/etc/sandboxlabs-rootfs"],
            shared: true)
        let result = run.child.finish(timeout: context.timeout)
        let changes = ContainedMountRun.tableChanges(result)
        guard result.status == .exited(0), result.stdout.trimmingWhitespace() == Lab01.marker else {
            let leak = (changes ?? []).isEmpty ? "" : "; leaked: \((changes ?? []).joined(separator: " "))"
            return .fail("in a namespace whose / is shared: \(summary(result))\(leak)")
        }
        guard let changes, changes.isEmpty else {
            return .fail("mounts leaked into the starting namespace: \((changes ?? ["?"]).joined(separator: " "))")
        }
        return .pass("ran with / shared around it; the starting namespace's mounts are unchanged")
    }

    static let failureClean = Check(
        id: "05.failure-clean", title: "a bad ROOTFS is an error, and every mount table is as before", points: 5,
        dependsOn: ["05.runs"],
        hint: "when a step fails (no such ROOTFS; an empty ROOTFS without /proc or /bin/sh), print the error to"
            + " stderr and exit non-zero; do every mount inside the new namespace, so a failure leaves nothing."
    ) { context in
        let host = try ProcFile.read("/proc/self/mountinfo")
        let empty = try Sys.makeTemporaryDirectory("/tmp/sb-grade-empty-")
        defer {
            // A broken implementation may leave its old-root directory in there.
            removeNewEmptyDirectories(in: empty, before: [])
            rmdir(empty)
        }
        for rootfs in ["/nonexistent/sandboxlabs-no-such-rootfs", empty] {
            let run = try ContainedMountRun(Probe(context: context), ["run", "--quiet", rootfs, "--", "/bin/true"])
            let result = run.child.finish(timeout: context.timeout)
            guard result.status != .exited(0), !result.stderr.trimmingWhitespace().isEmpty else {
                return .fail("ROOTFS=\(rootfs): \(summary(result)); expected a non-zero status and an error")
            }
            guard let changes = ContainedMountRun.tableChanges(result), changes.isEmpty else {
                return .fail("ROOTFS=\(rootfs) failed but changed the starting mount table")
            }
        }
        guard try ProcFile.read("/proc/self/mountinfo") == host else { return .fail("the host's mount table changed") }
        return .pass("both failed with an error; mount tables unchanged")
    }

    static let json = Check(
        id: "05.json", title: "--json reports the namespaces and the mount table as the kernel sees them", points: 5,
        dependsOn: ["05.pivot-root"],
        hint: "with --json, print one JSON object as the first stdout line, before the command's output:"
            + " {\"mnt\":{\"inside\":\"mnt:[N]\",\"outside\":\"mnt:[M]\"},\"mounts\":[\"/\",\"/proc\",...]},"
            + " read from /proc/self/ns/mnt and /proc/self/mountinfo after the switch."
    ) { context in
        let (seen, run, _) = try whileRunning(context, ["run", "--json", context.rootfs], skipLines: 1) { pid, lines in
            (
                record: lines.first ?? "", inode: try NamespaceID.of(pid: "\(pid)", .mnt),
                table: try MountLine.table(pid: pid)
            )
        }
        guard let record = try? JSON.parse(seen.record) else {
            return .fail("the first stdout line is not JSON: \(quoted(seen.record))")
        }
        let inside = record["mnt"]?["inside"]?.stringValue
        let outside = record["mnt"]?["outside"]?.stringValue
        var mounts: [String]?
        if case .array(let items)? = record["mounts"] { mounts = items.compactMap(\.stringValue) }
        guard inside == seen.inode.description, outside == run.startingNamespace.description else {
            return .fail(
                "mnt inside \(inside ?? "missing") outside \(outside ?? "missing"); the kernel says"
                    + " \(seen.inode) and \(run.startingNamespace)")
        }
        guard mounts == seen.table.map(\.mountPoint) else {
            return .fail("mounts \(mounts?.joined(separator: " ") ?? "missing"); mountinfo: \(mountPoints(seen.table))")
        }
        return .pass("mnt and mounts match the kernel")
    }

    /// Starts the implementation in a throwaway namespace with the waiting payload
    /// and inspects the payload while it is alive.
    static func whileRunning<T>(
        _ context: GradeContext, _ arguments: [String], skipLines: Int = 0,
        inspect: (_ pid: pid_t, _ skipped: [String]) throws -> T
    ) throws -> (value: T, run: ContainedMountRun, result: ChildProcess.Result) {
        let run = try ContainedMountRun(Probe(context: context), arguments + ["--"] + Probe.waitingPayload)
        let (value, result) = try Probe.inspect(
            run.child, timeout: context.timeout, skipLines: skipLines, inspect: inspect)
        return (value, run, result)
    }
}
