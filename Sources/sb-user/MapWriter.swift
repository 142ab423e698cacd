import SandboxCore
import SandboxNamespaces
import SandboxSecurity

#if canImport(Glibc)
    import Glibc
#endif

/// Writes a waiting child's /proc/PID/setgroups, uid_map and gid_map, and
/// narrates each write.
///
/// Each map file can be written once, in one write(2), by a process that has
/// CAP_SETUID (uid_map) or CAP_SETGID (gid_map) in the PARENT user namespace,
/// or, without those, only the single line that maps the writer's own id.
struct MapWriter {
    let pid: pid_t
    let narrator: Narrator

    /// Whether we may write a gid_map while setgroups is still "allow":
    /// only with CAP_SETGID in our own user namespace (root, usually).
    static func mayMapGroups() -> Bool {
        (try? CapabilityMask.of(set: "CapEff").contains(6)) ?? false  // 6 = CAP_SETGID
    }

    /// The right order: setgroups "deny" (when unprivileged), uid_map, gid_map.
    func write(uids: [IDMapping], gids: [IDMapping], denySetgroups: Bool) throws {
        // BEGIN SOLUTION lab06: From the parent, write the child's maps: "deny" to /proc/PID/setgroups first when you are unprivileged (CVE-2014-8989), then uid_map, then gid_map, each in a single write(2).
        try IDMaps.write(pid: pid, uids: uids, gids: gids, denySetgroups: denySetgroups) { path, text in
            try writeFile(path, text)
        }
        // END SOLUTION
    }

    /// Break it: gid_map before setgroups. An unprivileged writer gets EPERM
    /// on gid_map: with setgroups still allowed, mapping our gid would let the
    /// child drop a supplementary group that denies us access (CVE-2014-8989).
    func writeInWrongOrder(uids: [IDMapping], gids: [IDMapping]) throws {
        narrator.explain(
            "--wrong-order: gid_map before setgroups \"deny\" (as root this still works; try it as a user)")
        try writeFile("/proc/\(pid)/uid_map", uids.map { $0.description + "\n" }.joined())
        try writeFile("/proc/\(pid)/gid_map", gids.map { $0.description + "\n" }.joined())
        if !MapWriter.mayMapGroups() { try writeFile("/proc/\(pid)/setgroups", "deny") }
    }

    /// One narrated write. The error names the file, so its hint can say
    /// which rule was broken: `write(gid_map)` EPERM is the setgroups order.
    func writeFile(_ path: String, _ text: String) throws {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let shown = text.hasSuffix("\n") ? String(text.dropLast()) : text
        try narrator.step("write(\(path), \(JSON.quote(shown)))") {
            do {
                try ProcFile.write(path, text)
            } catch let error as SyscallError {
                throw SyscallError(call: "write(\(file))", path: path, errno: error.errno)
            }
        }
    }
}

/// The host settings that decide whether an unprivileged user may create a
/// user namespace; named in the error when clone(CLONE_NEWUSER) fails.
enum UserNamespaceSettings {
    static func describe() -> String {
        var parts = ["user.max_user_namespaces = \(Host.maxUserNamespaces.map(String.init) ?? "?") (0 disables)"]
        if let clone = Host.unprivilegedUserNamespacesClone {
            parts.append("kernel.unprivileged_userns_clone = \(clone) (Debian; 0 allows only root)")
        }
        if let apparmor = Host.apparmorRestrictsUserNamespaces {
            parts.append("kernel.apparmor_restrict_unprivileged_userns = \(apparmor) (Ubuntu; 1 restricts users)")
        }
        return parts.joined(separator: ", ") + "; sb-doctor 06 explains how to change them."
    }
}
