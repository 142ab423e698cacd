import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Mount operations, each one system call, each named the way narration shows it.
///
/// All of these change the caller's mount namespace: call them only in a
/// process that has its own (after unshare(CLONE_NEWNS) or in a child cloned
/// with it), never in a test runner or on the host.
public enum Mounts {
    /// The call as narration shows it: `mount("proc", "/proc", "proc", MS_NOSUID, NULL)`.
    public static func describe(
        source: String?, target: String, type: String?, flags: MountFlags, data: String?
    ) -> String {
        func text(_ value: String?) -> String { value.map { "\"\($0)\"" } ?? "NULL" }
        return "mount(\(text(source)), \(text(target)), \(text(type)), \(flags), \(text(data)))"
    }

    /// Corresponds to mount(2).
    public static func mount(
        source: String?, target: String, type: String?, flags: MountFlags = [], data: String? = nil
    ) throws(SyscallError) {
        let call = describe(source: source, target: target, type: type, flags: flags, data: data)
        try check(call) { Glibc.mount(source, target, type, flags.rawValue, data) }
    }

    /// Changes the propagation of `path` (and every mount below it when `recursive`).
    ///
    /// Why first in every new mount namespace: on systemd hosts `/` is shared,
    /// so a mount made in the new namespace would appear on the host, and
    /// pivot_root(2) refuses shared mounts with EINVAL. `.slave` still lets
    /// host mounts in; `.private` cuts both ways.
    public static func setPropagation(_ path: String = "/", _ kind: MountFlags, recursive: Bool = true)
        throws(SyscallError)
    {
        try mount(source: nil, target: path, type: nil, flags: kind.union(recursive ? .recursive : []))
    }

    /// Makes `source` visible at `target` as well. Corresponds to mount(2) with MS_BIND.
    public static func bind(_ source: String, to target: String, recursive: Bool = true, readOnly: Bool = false)
        throws(SyscallError)
    {
        try mount(source: source, target: target, type: nil, flags: recursive ? [.bind, .recursive] : [.bind])
        if readOnly {
            // A bind mount ignores MS_RDONLY at creation; it takes a remount.
            try mount(source: nil, target: target, type: nil, flags: [.bind, .remount, .readOnly])
        }
    }

    /// Detaches a mount. Corresponds to umount2(2); `lazy` is MNT_DETACH
    /// (gone from the tree now, freed when the last user lets go).
    public static func unmount(_ target: String, lazy: Bool = false) throws(SyscallError) {
        try check("umount2(\"\(target)\", \(lazy ? "MNT_DETACH" : "0"))") {
            umount2(target, lazy ? Int32(MNT_DETACH) : 0)
        }
    }

    /// Makes `newRoot` the root of this mount namespace and removes the old root.
    ///
    /// The sequence: bind `newRoot` onto itself (pivot_root needs a mount
    /// point), chdir into it, pivot_root(".", ".") stacks the old root under
    /// the new one, umount2(".", MNT_DETACH) takes the old root away, chdir("/").
    /// Unlike chroot, nothing of the old tree remains to climb back to.
    /// `step` lets the caller narrate each call.
    public static func pivotRoot(
        to newRoot: String, step: (String, () throws -> Void) throws -> Void = { _, body in try body() }
    ) throws {
        try step("mount(\"\(newRoot)\", \"\(newRoot)\", NULL, MS_BIND|MS_REC, NULL)") {
            try bind(newRoot, to: newRoot)
        }
        try step("chdir(\"\(newRoot)\")") { try Sys.chdir(newRoot) }
        try step("pivot_root(\".\", \".\")") { try check("pivot_root(\".\", \".\")") { cs_pivot_root(".", ".") } }
        try step("umount2(\".\", MNT_DETACH)") { try unmount(".", lazy: true) }
        try step("chdir(\"/\")") { try Sys.chdir("/") }
    }
}
