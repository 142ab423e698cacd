#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What a failed call usually means on a student's machine, and what to do.
///
/// Keyed by the call's name (the text before its first parenthesis) and the
/// errno. Docs/troubleshooting.md is the long form of this table.
enum SyscallHints {
    static func hint(call: String, errno: Int32) -> String? {
        let name = String(call.prefix { $0 != "(" && $0 != " " })
        switch (name, errno) {
        case ("chroot", EPERM):
            return "chroot needs CAP_SYS_CHROOT: run it as root (sudo)."
        case ("unshare", EPERM) where call.contains("CLONE_NEWUSER") && !call.contains("|"),
            ("clone", EPERM) where call.contains("CLONE_NEWUSER|SIGCHLD") && call.filter({ $0 == "|" }).count == 1:
            return "unprivileged user namespaces are disabled or restricted on this host (sb-doctor 06 says which"
                + " setting), or this process is chrooted: the kernel refuses user namespaces inside a chroot."
        case ("unshare", EPERM), ("clone", EPERM):
            return "new namespaces (other than a user namespace) need CAP_SYS_ADMIN: run as root (sudo)."
        case ("clone", EINVAL) where call.contains("CLONE_NEWTIME"):
            return "clone(2) cannot make a time namespace (its flag bit is the exit-signal byte): call"
                + " unshare(CLONE_NEWTIME), write /proc/self/timens_offsets, then start the child."
        case ("unshare", EINVAL), ("clone", EINVAL):
            return "CLONE_NEWUSER needs a single-threaded caller, or this kernel lacks that namespace type"
                + " (sb-doctor 02 lists the ones it has)."
        case ("unshare", ENOSPC), ("clone", ENOSPC):
            return "a namespace limit in /proc/sys/user/max_*_namespaces is reached (0 disables that kind)."
        case ("sethostname", EPERM):
            return "changing the hostname needs CAP_SYS_ADMIN in the UTS namespace's owning user namespace."
        case ("sethostname", EINVAL):
            return "a hostname is at most 64 bytes (HOST_NAME_MAX)."
        case ("setns", EPERM):
            return "joining a namespace needs CAP_SYS_ADMIN in it (and for a mount namespace, CAP_SYS_CHROOT)."
        case ("setns", EINVAL):
            return "the process is multi-threaded (mount and user namespaces), or the fd is not of the named type."
        case ("pivot_root", EINVAL):
            return "the new root is not a mount point, or a mount involved is shared: make / private"
                + " with mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) in the new mount namespace first."
        case ("execve", ENOENT):
            return "no such file: check the path. After chroot or pivot_root it is looked up in the new root"
                + " (is it built? scripts/make-rootfs); for a script, its #! interpreter may be missing."
        case ("execve", EACCES):
            return "the file is not executable, or it lives on a filesystem mounted noexec."
        case ("execve", ENOEXEC):
            return "the file is not a program this kernel can run (wrong architecture, or a script without #!)."
        case ("open", EACCES), ("openat", EACCES), ("mkdir", EACCES), ("write", EACCES):
            return "permission denied: run as root, or check the directory's owner and mode."
        case ("mkdir", EROFS), ("open", EROFS), ("write", EROFS):
            return "the filesystem is mounted read-only."
        default:
            return nil
        }
    }
}
