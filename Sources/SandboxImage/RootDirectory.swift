import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// A directory tree that every write stays inside.
///
/// The way out of a root is not only "..": a symlink `etc -> /etc` placed by
/// one tar entry turns the next entry `etc/passwd` into a write to the host
/// (CVE-2018-15664 and many extractor bugs since). So parents are opened with
/// openat2(2) and RESOLVE_IN_ROOT: the kernel resolves "..", absolute names and
/// symlinks as if this directory were "/", the way containerd and umoci treat
/// image paths. The last component is never followed: every call on it is an
/// *at() call on the parent's fd with AT_SYMLINK_NOFOLLOW or O_NOFOLLOW.
/// On kernels before 5.6 (no openat2) parents are walked one component at a
/// time with O_NOFOLLOW, and a symlink on the way is refused instead.
public final class RootDirectory {
    /// The path the root was opened at (for messages).
    public let path: String
    /// An fd on the root directory.
    public let fd: Int32
    private var hasOpenat2 = true
    private var cachedParent: (path: RelativePath, fd: Int32)?

    /// Opens an existing directory as a root.
    public init(path: String) throws(SyscallError) {
        self.path = path
        self.fd = try check("open", path: path) { Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
    }

    deinit {
        if let cachedParent { close(cachedParent.fd) }
        close(fd)
    }

    /// An fd on the directory `directory` (borrowed: do not close it), creating
    /// missing directories with mode 0755 when `create` is true.
    public func directory(_ directory: RelativePath, create: Bool, entry: String) throws -> Int32 {
        if directory.isRoot { return fd }
        if let cachedParent, cachedParent.path == directory { return cachedParent.fd }
        let opened = try open(directory, create: create, entry: entry)
        if let cachedParent { close(cachedParent.fd) }
        cachedParent = (directory, opened)
        return opened
    }

    /// An fd on `directory` that the caller owns and closes.
    public func openDirectory(_ directory: RelativePath, create: Bool = false, entry: String) throws -> Int32 {
        if directory.isRoot { return try check("dup") { dup(fd) } }
        return try open(directory, create: create, entry: entry)
    }

    /// Forgets the cached parent fd: call after removing or replacing a directory.
    public func forgetCachedDirectory() {
        if let cachedParent { close(cachedParent.fd) }
        cachedParent = nil
    }

    private func open(_ directory: RelativePath, create: Bool, entry: String) throws -> Int32 {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
        if hasOpenat2 {
            let opened = cs_openat2_in_root(fd, directory.description, flags, 0)
            if opened >= 0 { return opened }
            let code = errno
            // ENOSYS: a kernel before 5.6. EPERM: a seccomp filter that refuses
            // syscalls it does not know (older Docker and CI sandboxes).
            if code == ENOSYS || code == EPERM {
                hasOpenat2 = false
            } else if code == ENOENT && create {
                return try walk(directory, create: true, entry: entry)
            } else if code == ENOTDIR {
                throw LayerError.parentNotDirectory(entry)
            } else if code == ELOOP {
                throw LayerError.symlinkLoop(entry)
            } else {
                throw SyscallError(
                    call: "openat2(RESOLVE_IN_ROOT)", path: directory.description, errno: .init(rawValue: code))
            }
        }
        return try walk(directory, create: create, entry: entry)
    }

    /// Opens `directory` one component at a time, creating what is missing.
    /// Each step is resolved in the root when openat2 exists, else with
    /// O_NOFOLLOW (a symlink component is then refused).
    private func walk(_ directory: RelativePath, create: Bool, entry: String) throws -> Int32 {
        var current = try check("dup") { dup(fd) }
        var sofar = RelativePath.root
        for name in directory.components {
            sofar = sofar.appending(name)
            var next = openStep(parent: current, sofar: sofar, name: name)
            if next < 0 && errno == ENOENT && create {
                let made = mkdirat(current, name, 0o755)
                if made != 0 && errno != EEXIST {
                    let code = errno
                    close(current)
                    throw SyscallError(call: "mkdirat", path: sofar.description, errno: .init(rawValue: code))
                }
                next = openStep(parent: current, sofar: sofar, name: name)
            }
            let code = errno
            let isSymlink =
                next < 0
                && (try? status(name, in: current)).flatMap { $0 }.map { ($0.st_mode & S_IFMT) == S_IFLNK } == true
            close(current)
            guard next >= 0 else {
                // Without openat2, O_NOFOLLOW|O_DIRECTORY on a symlink fails with ENOTDIR (or ELOOP).
                if !hasOpenat2 && isSymlink { throw LayerError.symlinkInPath(entry) }
                if code == ENOTDIR { throw LayerError.parentNotDirectory(entry) }
                if code == ELOOP { throw LayerError.symlinkLoop(entry) }
                if code == ENOENT && isSymlink { throw LayerError.danglingParent(entry, component: sofar.description) }
                throw SyscallError(call: "openat", path: sofar.description, errno: .init(rawValue: code))
            }
            current = next
        }
        return current
    }

    private func openStep(parent: Int32, sofar: RelativePath, name: String) -> Int32 {
        let flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC
        if hasOpenat2 { return cs_openat2_in_root(fd, sofar.description, flags, 0) }
        return openat(parent, name, flags | O_NOFOLLOW)
    }

    /// lstat of `name` in `directory`, or nil if nothing is there.
    public func status(_ name: String, in directory: Int32) throws(SyscallError) -> stat? {
        var info = stat()
        if fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 { return info }
        if errno == ENOENT { return nil }
        throw SyscallError(call: "fstatat", path: name, errno: .init(rawValue: errno))
    }

    /// Removes `name` from `directory`: a file, a symlink (never its target)
    /// or a whole directory tree. Nothing there is not an error.
    /// The cached parent fd is dropped: it may have been inside what went.
    public func remove(_ name: String, in directory: Int32) throws(SyscallError) {
        // "." or ".." here would empty the directory or its parent: never a name to remove.
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw SyscallError(call: "unlinkat", path: name, errno: .init(rawValue: EINVAL))
        }
        try removeTree(name, in: directory)
        forgetCachedDirectory()
    }

    private func removeTree(_ name: String, in directory: Int32) throws(SyscallError) {
        guard let info = try status(name, in: directory) else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            let child = try check("openat", path: name) {
                openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            }
            defer { close(child) }
            for entry in try Self.names(in: child) { try removeTree(entry, in: child) }
            try check("unlinkat(AT_REMOVEDIR)", path: name) { unlinkat(directory, name, AT_REMOVEDIR) }
        } else {
            try check("unlinkat", path: name) { unlinkat(directory, name, 0) }
        }
    }

    /// The names in a directory fd, without "." and "..".
    public static func names(in directory: Int32) throws(SyscallError) -> [String] {
        let copy = try check("dup") { dup(directory) }
        guard let stream = fdopendir(copy) else {
            close(copy)
            throw SyscallError(call: "fdopendir", errno: .init(rawValue: errno))
        }
        defer { closedir(stream) }
        rewinddir(stream)
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
