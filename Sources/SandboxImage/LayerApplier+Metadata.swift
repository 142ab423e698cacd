import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

// Whiteouts, opaque directories and the metadata calls of LayerApplier.
extension LayerApplier {
    /// `.wh.NAME`: in a flat tree, delete NAME as lower layers left it; in an
    /// overlay snapshot, record the deletion as a 0/0 character device, the
    /// form overlayfs reads as "this name is gone" (mknod needs CAP_MKNOD).
    func whiteout(_ path: RelativePath, entry: String) throws {
        switch mode {
        case .flat:
            if written.contains(path) { return }  // hides only lower layers' files
            guard let parent = try? root.directory(path.parent, create: false, entry: entry) else { return }
            try root.remove(path.name, in: parent)
        case .overlay:
            guard privileged else { throw LayerError.needsPrivilege(entry, what: "an overlay whiteout (mknod 0/0)") }
            // A whiteout below a name this layer made a file (umoci writes
            // "dir-to-file" and then "dir-to-file/.wh.child") has nothing to
            // hide: the file already hides the lower directory.
            let parent: Int32
            do {
                parent = try root.directory(path.parent, create: true, entry: entry)
            } catch LayerError.parentNotDirectory {
                return
            }
            if try root.status(path.name, in: parent) != nil { return }
            try check("mknodat(S_IFCHR, 0, 0)", path: path.description) { cs_mknodat(parent, path.name, S_IFCHR, 0, 0) }
        }
    }

    /// `.wh..wh..opq`: the directory's lower contents are hidden, wherever in
    /// the layer the marker comes (image-spec: as if it came first). In a flat
    /// tree that means deleting what this layer did not write; in an overlay
    /// snapshot it is the xattr trusted.overlay.opaque=y on the directory.
    func opaque(_ path: RelativePath, entry: String) throws {
        switch mode {
        case .flat:
            guard let directory = try? root.openDirectory(path, entry: entry) else { return }
            defer { close(directory) }
            try removeLower(in: directory, at: path)
        case .overlay:
            guard privileged else {
                throw LayerError.needsPrivilege(entry, what: "an opaque directory (trusted.* xattr)")
            }
            let directory = try root.openDirectory(path, create: true, entry: entry)
            defer { close(directory) }
            try check("fsetxattr(trusted.overlay.opaque)", path: path.description) {
                cs_fsetxattr(directory, "trusted.overlay.opaque", "y", 1, 0)
            }
            markWritten(path)
        }
    }

    private func removeLower(in directory: Int32, at path: RelativePath) throws {
        for name in try RootDirectory.names(in: directory) {
            let child = path.appending(name)
            guard written.contains(child) else {
                try root.remove(name, in: directory)
                continue
            }
            if let info = try root.status(name, in: directory), (info.st_mode & S_IFMT) == S_IFDIR {
                let inner = try check("openat", path: child.description) {
                    openat(directory, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                }
                defer { close(inner) }
                try removeLower(in: inner, at: child)
            }
        }
    }

    /// Directory modes and times, deepest first, once every child is written.
    func finishDirectories() throws {
        for (path, entry) in directories.reversed() {
            // The directory itself is opened with O_NOFOLLOW from its parent:
            // openat2 would follow a symlink that a later entry put at its name.
            let fd: Int32
            if path.isRoot {
                fd = try check("dup") { dup(root.fd) }
            } else {
                let parent = try root.openDirectory(path.parent, entry: entry.name)
                fd = openat(parent, path.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                close(parent)
                if fd < 0 { continue }  // replaced by a non-directory since: nothing to finish
            }
            defer { close(fd) }
            try check("fchmod", path: entry.name) { fchmod(fd, mode_t(entry.mode)) }
            setXattrs(entry) { cs_fsetxattr(fd, $0, $1, $2, 0) }
            let times = [entry.accessed ?? entry.modified, entry.modified]
            try check("futimens", path: entry.name) { futimens(fd, times) }
        }
    }

    /// chown without following a symlink; skipped (and said) without root.
    func setOwner(_ entry: LayerEntry, name: String, in directory: Int32) throws {
        guard privileged else {
            if (entry.uid != geteuid() || entry.gid != getegid()) && !ownershipNoted {
                ownershipNoted = true
                report.skipped.append(
                    "ownership not kept: not root of the host (initial user namespace), so every file is owned by uid \(geteuid())"
                )
            }
            return
        }
        try check("fchownat(AT_SYMLINK_NOFOLLOW)", path: entry.name) {
            fchownat(directory, name, entry.uid, entry.gid, AT_SYMLINK_NOFOLLOW)
        }
    }

    func setTimes(_ entry: LayerEntry, name: String, in directory: Int32) throws {
        let times = [entry.accessed ?? entry.modified, entry.modified]
        try check("utimensat(AT_SYMLINK_NOFOLLOW)", path: entry.name) {
            utimensat(directory, name, times, AT_SYMLINK_NOFOLLOW)
        }
    }

    /// Sets the entry's xattrs, except ones that belong to the host or to
    /// overlayfs: security.selinux (the host's labels), trusted.overlay.* and
    /// user.overlay.* (a layer that sets overlay's own xattrs could redirect
    /// lookups in a snapshot). Without root, trusted.* and security.* cannot
    /// be set; each xattr not kept is reported.
    func setXattrs(_ entry: LayerEntry, _ set: (String, UnsafeRawPointer?, Int) -> Int32) {
        for (name, value) in entry.xattrs {
            if name == "security.selinux" || name.hasPrefix("trusted.overlay.") || name.hasPrefix("user.overlay.") {
                report.skipped.append("\(entry.name): xattr \(name) not kept (host- or overlay-specific)")
                continue
            }
            if !privileged && (name.hasPrefix("trusted.") || name.hasPrefix("security.")) {
                report.skipped.append("\(entry.name): xattr \(name) not kept (needs root)")
                continue
            }
            let status = value.withUnsafeBytes { set(name, $0.baseAddress, $0.count) }
            if status != 0 {
                report.skipped.append(
                    "\(entry.name): xattr \(name) not kept (\(SyscallError(call: "setxattr", errno: .init(rawValue: errno)).errnoName))"
                )
            }
        }
    }
}
