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
        // With CLONE_NEWUSER the kernel makes the user namespace first and the
        // others inside it, so EPERM is about the user namespace itself.
        case ("unshare", EPERM) where call.contains("CLONE_NEWUSER"),
            ("clone", EPERM) where call.contains("CLONE_NEWUSER"):
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
        case ("msgget", EEXIST), ("semget", EEXIST), ("shmget", EEXIST):
            return "an object with this key already exists in this IPC namespace: if you meant to make a new"
                + " namespace, unshare(CLONE_NEWIPC) did not happen before this call."
        case ("sethostname", EPERM):
            return "changing the hostname needs CAP_SYS_ADMIN in the UTS namespace's owning user namespace."
        case ("sethostname", EINVAL):
            return "a hostname is at most 64 bytes (HOST_NAME_MAX)."
        case ("write", EPERM) where call.contains("gid_map"):
            return "without CAP_SETGID, write \"deny\" to /proc/PID/setgroups BEFORE gid_map (CVE-2014-8989),"
                + " and map only your own gid, one line; each map can be written only once."
        case ("write", EPERM) where call.contains("uid_map"):
            return "without CAP_SETUID you may map only your own uid, in one line (0 YOUR-UID 1); other ids need"
                + " root or newuidmap(1) with /etc/subuid. Each map can be written only once."
        case ("write", EPERM) where call.contains("setgroups"):
            return "setgroups must be written before gid_map; after gid_map it can no longer be changed."
        case ("setns", EPERM):
            return "joining a namespace needs CAP_SYS_ADMIN in it (and for a mount namespace, CAP_SYS_CHROOT)."
        case ("setns", EINVAL):
            return "the process is multi-threaded (mount and user namespaces), or the fd is not of the named type."
        case ("mknod", EPERM):
            return "making device nodes needs CAP_MKNOD outside a user namespace; inside one, bind-mount the"
                + " host's /dev/null, /dev/zero, ... instead (lab 06)."
        case ("mount", EPERM), ("umount2", EPERM):
            return "mounting needs CAP_SYS_ADMIN in the user namespace that owns this mount namespace: run as root."
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
        case ("bpf", EPERM):
            return "loading and attaching BPF programs needs CAP_SYS_ADMIN (or CAP_BPF with CAP_NET_ADMIN):"
                + " run as root."
        case ("bpf", EBADF) where !call.contains("PROG_LOAD"):
            return "the directory is not a cgroup2 directory: device programs attach only to cgroup v2 (on a hybrid"
                + " host under /sys/fs/cgroup/unified/); cgroup v1 uses devices.allow and devices.deny instead."
        case ("bpf", EACCES) where call.contains("PROG_LOAD"), ("bpf", EINVAL) where call.contains("PROG_LOAD"):
            return "the kernel's verifier rejected the program: its log (printed with the error) says which"
                + " instruction and why."
        default:
            return nil
        }
    }
}
