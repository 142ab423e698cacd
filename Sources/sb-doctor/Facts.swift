// What sb-doctor reads about the host, each from where the kernel publishes it.
import CArchive
import CSandbox
import SandboxCore
import SandboxNamespaces
import SandboxSecurity

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the requirements look at, gathered once.
struct HostFacts {
    var kernel = Sys.uname()
    var version = Host.kernelVersion
    var isRoot = Host.isRoot
    var capabilities = try? CapabilitySets.current()
    var cgroupMode = Host.cgroupMode
    var cgroupWritable = access("/sys/fs/cgroup", W_OK) == 0 || access("/sys/fs/cgroup/memory", W_OK) == 0
    /// On v2, the controllers enabled for the root's children (cgroup.subtree_control).
    var cgroupSubtreeControl = (ProcFile.readTrimmed("/sys/fs/cgroup/cgroup.subtree_control") ?? "")
        .split(separator: " ").map(String.init)
    var rootPropagation = Host.rootPropagation
    var namespaces = Set(Namespace.allCases.filter { Sys.exists("/proc/self/ns/\($0.rawValue)") })
    var namespaceIoctls = HostFacts.probeNamespaceIoctl()
    var pidfd = HostFacts.probePidfd()
    var maxUserNamespaces = Host.maxUserNamespaces
    var unprivilegedClone = Host.unprivilegedUserNamespacesClone
    var apparmorRestrict = Host.apparmorRestrictsUserNamespaces
    var newuidmap = Sys.resolveExecutable("newuidmap", searchPath: nil) != nil
    var ipCommand = Sys.resolveExecutable("ip", searchPath: nil) != nil
    var overlay = Host.overlaySupported || Host.overlayModuleAvailable
    var container = Host.container
    var rootfs = Locate.rootfs()
    var libarchive = String(cString: archive_version_string())
    var libarchiveZstd = HostFacts.probeZstd()

    /// NS_GET_NSTYPE (Linux 4.11) answers on our own UTS namespace file.
    static func probeNamespaceIoctl() -> Bool {
        let fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        return cs_ns_get_nstype(fd) == Namespace.uts.cloneFlag
    }

    /// pidfd_open (Linux 5.3) on ourselves.
    static func probePidfd() -> Bool {
        let fd = cs_pidfd_open(getpid(), 0)
        if fd >= 0 { close(fd) }
        return fd >= 0
    }

    /// Whether this libarchive was built with zstd (OCI layers may be zstd-compressed).
    static func probeZstd() -> Bool {
        guard let reader = archive_read_new() else { return false }
        defer { archive_read_free(reader) }
        return archive_read_support_filter_zstd(reader) == ARCHIVE_OK
    }
}
