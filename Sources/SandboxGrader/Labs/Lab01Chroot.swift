import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 01: chroot, and why it is not enough.
///
/// Contract: `IMPL [--quiet] [--escape] ROOTFS -- CMD [ARGS...]` runs CMD with
/// ROOTFS as its root directory and working directory, and exits with CMD's
/// status; with --escape it first escapes the chroot and runs CMD in the host's
/// root. --quiet prints nothing but CMD's output. Errors go to stderr with a
/// non-zero status.
enum Lab01 {
    static let marker = "sandboxlabs-rootfs"

    static let lab = Lab(
        number: "01", slug: "01-chroot", title: "chroot and its escape", reference: "sb-chroot",
        contract: "IMPL [--quiet] [--escape] ROOTFS -- CMD [ARGS...]",
        checks: [runs, rootIsRootfs, rootFromOutside, cwdInside, exitStatus, missingRootfs, escape, escapeCleanup],
        starterSources: ["Sources/sb-chroot"])

    static let runs = Check(
        id: "01.runs", title: "runs the command and prints its output", points: 10,
        hint: "IMPL ROOTFS -- /bin/sh -c 'echo hi' should print hi and exit 0. Run it by hand: does it parse"
            + " `ROOTFS -- CMD...` and execve the command?"
    ) { context in
        let result = try Probe(context: context).run([
            "--quiet", context.rootfs, "--", "/bin/sh", "-c", "echo sandboxlabs-ok",
        ])
        guard result.status == .exited(0), result.stdout.contains("sandboxlabs-ok") else {
            return .fail(
                "expected output sandboxlabs-ok and status 0; got \(summary(result)), stdout \(quoted(result.stdout))")
        }
        return .pass("printed sandboxlabs-ok")
    }

    static let rootIsRootfs = Check(
        id: "01.root-is-rootfs", title: "inside, / is the root filesystem (seen from inside)", points: 20,
        dependsOn: ["01.runs"],
        hint:
            "the command saw the host's files: chroot(2) was not called, or not on ROOTFS. Call chroot(ROOTFS) before execve."
    ) { context in
        let probe = Probe(context: context)
        let marker = try probe.run(["--quiet", context.rootfs, "--", "/bin/cat", "/etc/sandboxlabs-rootfs"])
        let listing = try probe.run(["--quiet", context.rootfs, "--", "/bin/ls", "-a", "/"])
        let expected = try directoryNames(context.rootfs)
        let seen = Set(listing.stdout.split(separator: "\n").map(String.init)).subtracting([".", ".."])
        guard marker.stdout.trimmingWhitespace() == Lab01.marker else {
            return .fail("/etc/sandboxlabs-rootfs inside read \(quoted(marker.stdout)) (\(summary(marker)))")
        }
        guard seen == expected else {
            return .fail(
                "ls -a / inside listed \(seen.sorted().prefix(12).joined(separator: " ")); ROOTFS has \(expected.sorted().prefix(12).joined(separator: " "))"
            )
        }
        return .pass("/etc/sandboxlabs-rootfs is there and ls / lists ROOTFS (\(seen.count) entries)")
    }

    static let rootFromOutside = Check(
        id: "01.root-from-outside", title: "the kernel's record of the command's root is ROOTFS (/proc/PID/root)",
        points: 20,
        dependsOn: ["01.runs"],
        hint: "/proc/PID/root of the command is not ROOTFS. The command itself must run chrooted: call chroot(2)"
            + " in the process that then execs the command (or in a parent before fork)."
    ) { context in
        let rootfs = try realPath(context.rootfs)
        let (root, result) = try Probe(context: context).whileRunning(["--quiet", context.rootfs]) { pid, _ in
            try Sys.readlink("/proc/\(pid)/root")
        }
        guard root == rootfs else { return .fail("/proc/PID/root -> \(root), expected \(rootfs) (\(summary(result)))") }
        return .pass("/proc/PID/root -> \(root)")
    }

    static let cwdInside = Check(
        id: "01.cwd-inside", title: "the command's working directory is the new / (/proc/PID/cwd)", points: 15,
        dependsOn: ["01.root-from-outside"],
        hint: "call chdir(\"/\") right after chroot(2): chroot does not move the working directory, and a cwd"
            + " outside the root is the first step of the escape."
    ) { context in
        let rootfs = try realPath(context.rootfs)
        let (cwd, _) = try Probe(context: context).whileRunning(["--quiet", context.rootfs]) { pid, _ in
            try Sys.readlink("/proc/\(pid)/cwd")
        }
        guard cwd == rootfs else { return .fail("/proc/PID/cwd -> \(cwd), expected \(rootfs) (the new /)") }
        return .pass("/proc/PID/cwd -> \(cwd)")
    }

    static let exitStatus = Check(
        id: "01.exit-status", title: "exits with the command's status", points: 5, dependsOn: ["01.runs"],
        hint: "exec the command with execve(2) so its status is yours, or wait for it and exit with the same status."
    ) { context in
        let result = try Probe(context: context).run(["--quiet", context.rootfs, "--", "/bin/sh", "-c", "exit 7"])
        guard result.status == .exited(7) else {
            return .fail("the command exited 7, the implementation \(summary(result))")
        }
        return .pass("status 7 passed through")
    }

    static let missingRootfs = Check(
        id: "01.missing-rootfs", title: "a missing ROOTFS is a clear error, not a silent success", points: 5,
        dependsOn: ["01.runs"],
        hint: "when chroot(2) fails (ENOENT here), print an error naming the path to stderr and exit non-zero."
    ) { context in
        let missing = "/nonexistent/sandboxlabs-no-such-rootfs"
        let result = try Probe(context: context).run(["--quiet", missing, "--", "/bin/true"])
        guard result.status != .exited(0), result.stderr.contains("sandboxlabs-no-such-rootfs") else {
            return .fail(
                "with ROOTFS=\(missing): \(summary(result)); expected a non-zero status and the path on stderr")
        }
        return .pass("\(result.status), stderr names the path")
    }

    static let escape = Check(
        id: "01.escape", title: "--escape gets the command out of the chroot to the host's /", points: 20,
        dependsOn: ["01.root-from-outside"],
        hint: "after chroot(\"jail/sub\") the cwd stays outside the new root; climb with chdir(\"..\") until"
            + " \".\" and \"..\" are the same directory, then chroot(\".\"). Needs CAP_SYS_CHROOT (root)."
    ) { context in
        let before = try directoryNames(context.rootfs)
        let outer = try Sys.makeTemporaryDirectory("/tmp/sb-grade-outer-")
        defer { rmdir(outer) }
        let run = try OuterChrootRun(
            Probe(context: context), outer: outer, ["--quiet", "--escape", context.rootfs, "--"] + Probe.waitingPayload)
        let (root, result) = try Probe.inspect(run.child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try Sys.readlink("/proc/\(pid)/root")
        }
        // An escape that leaves its directory behind is 01.escape-cleanup's business:
        // remove it here, so that check starts from a clean rootfs and sees it again.
        removeNewEmptyDirectories(in: context.rootfs, before: before)
        guard root == "/" else {
            let why =
                root == outer
                ? "; the grader started it chrooted in \(outer), and it never got out (was chroot(ROOTFS) skipped?)"
                : ""
            return .fail("/proc/PID/root -> \(root) after --escape, expected /\(why) (\(summary(result)))")
        }
        return .pass("/proc/PID/root -> / : out of the chroot")
    }

    static let escapeCleanup = Check(
        id: "01.escape-cleanup", title: "--escape leaves nothing behind in ROOTFS", points: 5, dependsOn: ["01.escape"],
        hint: "remove the directory the escape made inside ROOTFS (after escaping it is at ROOTFS/NAME on the host)."
    ) { context in
        let before = try directoryNames(context.rootfs)
        let result = try Probe(context: context).run(["--quiet", "--escape", context.rootfs, "--", "/bin/true"])
        let after = try directoryNames(context.rootfs)
        let added = after.subtracting(before)
        removeNewEmptyDirectories(in: context.rootfs, before: before)
        guard added.isEmpty else {
            return .fail(
                "new entries in ROOTFS after --escape: \(added.sorted().joined(separator: " ")) (\(summary(result)))")
        }
        guard result.status == .exited(0) else { return .fail("--escape -- /bin/true: \(summary(result))") }
        return .pass("ROOTFS has the same \(after.count) entries as before")
    }
}

/// A run that starts already chrooted, into OUTER: a bind of the whole tree in a
/// throwaway mount namespace. A real escape climbs past ROOTFS and past OUTER
/// to the namespace's "/"; a program that skips chroot(ROOTFS) when asked to
/// escape stays in OUTER, and /proc/PID/root says so. (Checked from a plain
/// start, "/" is exactly where a program that never chrooted already is.)
struct OuterChrootRun {
    let child: ChildProcess

    static let wrapper =
        "mount=$1; chroot=$2; outer=$3; shift 3; \"$mount\" --make-rprivate / || exit 120; "
        + "\"$mount\" --rbind / \"$outer\" || exit 120; cd \"$outer\" && exec \"$chroot\" \"$outer\" \"$@\""

    init(_ probe: Probe, outer: String, _ arguments: [String]) throws {
        let search = "/usr/sbin:/usr/bin:/sbin:/bin"
        let mount = Sys.resolveExecutable("mount", searchPath: search) ?? "/bin/mount"
        let chroot = Sys.resolveExecutable("chroot", searchPath: search) ?? "/usr/sbin/chroot"
        child = try Jail(
            probe, cloneFlags: Namespace.mnt.cloneFlag, watching: .mnt, wrapper: OuterChrootRun.wrapper,
            name: "sb-grade-chroot-jail", leading: [mount, chroot, outer], arguments
        ).child
    }
}

/// Removes directories that appeared in `path` since `before` if they are empty
/// (an escape's leftover), so one failed run does not spoil the next check.
func removeNewEmptyDirectories(in path: String, before: Set<String>) {
    guard let now = try? directoryNames(path) else { return }
    for name in now.subtracting(before) { _ = rmdir(path + "/" + name) }
}

/// The names in a directory, without . and ..
func directoryNames(_ path: String) throws -> Set<String> {
    guard let dir = opendir(path) else {
        throw SyscallError(call: "opendir", path: path, errno: .init(rawValue: errno))
    }
    defer { closedir(dir) }
    var names: Set<String> = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name != "." && name != ".." { names.insert(name) }
    }
    return names
}

/// The absolute path with symlinks resolved. Corresponds to realpath(3).
func realPath(_ path: String) throws -> String {
    guard let resolved = realpath(path, nil) else {
        throw SyscallError(call: "realpath", path: path, errno: .init(rawValue: errno))
    }
    defer { free(resolved) }
    return String(cString: resolved)
}

/// Output shortened for a message.
func quoted(_ text: String) -> String {
    let trimmed = text.trimmingWhitespace()
    return "\"" + (trimmed.count > 200 ? trimmed.prefix(200) + "…" : trimmed) + "\""
}
