import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 05: a mount namespace, pivot_root, and a container's /proc, /sys, /dev.
///
/// Contract: `IMPL run [--quiet | --json] [--try-escape] ROOTFS -- CMD [ARGS...]`
/// runs CMD in a new mount namespace whose root is ROOTFS (switched with
/// pivot_root, the old root detached), with proc at /proc, sysfs read-only at
/// /sys, a tmpfs at /dev holding exactly null zero full random urandom tty, the
/// links fd stdin stdout stderr ptmx, and a devpts at /dev/pts; it exits with
/// CMD's status. --try-escape tries lab 01's chroot escape after the switch,
/// then runs CMD wherever it ended up. --json prints, as the first stdout line,
/// one JSON object with `mnt` {`inside`, `outside`} as readlink(/proc/self/ns/mnt)
/// shows them and `mounts`, the mount points of /proc/self/mountinfo after the
/// switch. Errors go to stderr with a non-zero status.
///
/// Every run happens in a throwaway mount namespace made by the grader
/// (`ContainedMountRun`), so a wrong implementation cannot change the host's mounts.
enum Lab05 {
    static let lab = Lab(
        number: "05", slug: "05-mount", title: "Mount namespace: pivot_root and a container's filesystems",
        reference: "sb-mount",
        contract: "IMPL run [--quiet | --json] [--try-escape] ROOTFS -- CMD [ARGS...]",
        checks: [
            runs, newNamespace, pivotRoot, oldRootGone, proc, sysReadOnly, dev, escapeBlocked, privatePropagation,
            failureClean, json,
        ],
        starterSources: ["Sources/sb-mount"])

    static let runs = Check(
        id: "05.runs", title: "the command runs in ROOTFS and its exit status passes through", points: 10,
        hint: "IMPL run ROOTFS -- /bin/sh -c 'cat /etc/sandboxlabs-rootfs; exit 7' should print sandboxlabs-rootfs"
            + " and exit 7: switch the root to ROOTFS, then execve the command given after --."
    ) { context in
        let run = try ContainedMountRun(
            Probe(context: context),
            ["run", "--quiet", context.rootfs, "--", "/bin/sh", "-c", "cat /etc/sandboxlabs-rootfs; exit 7"])
        let result = run.child.finish(timeout: context.timeout)
        guard result.status == .exited(7), result.stdout.trimmingWhitespace() == Lab01.marker else {
            return .fail(
                "expected \(Lab01.marker) and status 7; got stdout \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed \(Lab01.marker), exited 7")
    }

    static let newNamespace = Check(
        id: "05.new-namespace", title: "the command runs in a new mount namespace (/proc/PID/ns/mnt)", points: 10,
        dependsOn: ["05.runs"],
        hint: "the command is in the mount namespace the program started in: call unshare(CLONE_NEWNS) before any"
            + " mount. Every mount and the pivot_root changed that namespace (on a host: the host's)."
    ) { context in
        let (inode, run, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .mnt)
        }
        return .newNamespace(inode, startedIn: run.startingNamespace, .mnt)
    }

    static let pivotRoot = Check(
        id: "05.pivot-root", title: "ROOTFS is the root of the new namespace (pivot_root, not chroot)", points: 15,
        dependsOn: ["05.new-namespace"],
        hint: "/proc/PID/root should read / and mountinfo should list ROOTFS as /: bind-mount ROOTFS onto itself,"
            + " then pivot_root(2) into it. chroot(2) only moves where lookups start; the old root stays above."
    ) { context in
        let (seen, _, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            (
                root: try Sys.readlink("/proc/\(pid)/root"), table: try MountLine.table(pid: pid),
                marker: (try? ProcFile.read("/proc/\(pid)/root/etc/sandboxlabs-rootfs"))?.trimmingWhitespace()
            )
        }
        guard seen.marker == Lab01.marker else { return .fail("the command's / is not ROOTFS (no marker file)") }
        guard seen.root == "/", seen.table.contains(where: { $0.mountPoint == "/" }) else {
            return .fail(
                "/proc/PID/root -> \(seen.root), mountinfo: \(mountPoints(seen.table)); ROOTFS is not a root mount")
        }
        return .pass("/proc/PID/root -> /, and ROOTFS is mounted at / in mountinfo")
    }

    static let allowedPrefixes = ["/proc", "/sys", "/dev"]

    static let oldRootGone = Check(
        id: "05.old-root-gone", title: "no old root and no host mounts left in the command's mount table", points: 10,
        dependsOn: ["05.pivot-root"],
        hint: "after pivot_root, detach the old root with umount2(OLD, MNT_DETACH) (and rmdir it if you made a"
            + " directory for it): while it is mounted, every host mount is reachable from the container."
    ) { context in
        let before = try directoryNames(context.rootfs)
        let (table, _, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            try MountLine.table(pid: pid)
        }
        let leftovers = try directoryNames(context.rootfs).subtracting(before)
        removeNewEmptyDirectories(in: context.rootfs, before: before)
        let strays = table.dropFirst().filter { line in
            !allowedPrefixes.contains { line.mountPoint == $0 || line.mountPoint.hasPrefix($0 + "/") }
        }
        guard strays.isEmpty, table.filter({ $0.mountPoint == "/" }).count == 1 else {
            return .fail("mounts that are not the container's: \(mountPoints(Array(strays)))")
        }
        guard leftovers.isEmpty else {
            return .fail("new entries in ROOTFS after the run: \(leftovers.sorted().joined(separator: " "))")
        }
        return .pass("\(table.count) mounts: \(mountPoints(table))")
    }

    static let proc = Check(
        id: "05.proc", title: "a proc filesystem is mounted at /proc", points: 5, dependsOn: ["05.new-namespace"],
        hint: "mount(\"proc\", \"/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL) after the root switch:"
            + " ps, top and /proc/self need it."
    ) { context in
        let (table, _, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            try MountLine.table(pid: pid)
        }
        guard table.contains(where: { $0.mountPoint == "/proc" && $0.type == "proc" }) else {
            return .fail("no proc mount at /proc; mounts: \(mountPoints(table))")
        }
        return .pass("/proc is proc")
    }

    static let sysReadOnly = Check(
        id: "05.sys-read-only", title: "sysfs is mounted read-only at /sys", points: 5, dependsOn: ["05.new-namespace"],
        hint: "mount(\"sysfs\", \"/sys\", \"sysfs\", MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL): a writable /sys"
            + " lets a container change settings of the whole machine."
    ) { context in
        let (table, _, _) = try whileRunning(context, ["run", "--quiet", context.rootfs]) { pid, _ in
            try MountLine.table(pid: pid)
        }
        guard let sys = table.first(where: { $0.mountPoint == "/sys" && $0.type == "sysfs" }) else {
            return .fail("no sysfs mount at /sys; mounts: \(mountPoints(table))")
        }
        guard sys.readOnly else { return .fail("/sys is mounted \(sys.options): writable") }
        return .pass("/sys is sysfs, \(sys.options)")
    }
}
