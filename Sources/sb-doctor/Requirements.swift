// What each lab needs from the host, and how to fix it when it is missing.
import SandboxCore
import SandboxNamespaces

/// One thing a lab needs, assessed on this host.
struct Finding {
    enum Level: Int, Comparable {
        case ok, warning, missing
        static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }
    var level: Level
    /// What was found, e.g. "CAP_SYS_CHROOT is in the effective set".
    var what: String
    /// How to fix it (empty when ok).
    var fix: String = ""

    static func ok(_ what: String) -> Finding { Finding(level: .ok, what: what) }
    static func warning(_ what: String, fix: String) -> Finding { Finding(level: .warning, what: what, fix: fix) }
    static func missing(_ what: String, fix: String) -> Finding { Finding(level: .missing, what: what, fix: fix) }
}

/// A lab and what it needs.
struct LabNeeds: Sendable {
    var number: String
    var title: String
    var needs: @Sendable (HostFacts) -> [Finding]
}

enum Requirements {
    static func root(_ facts: HostFacts) -> Finding {
        facts.isRoot ? .ok("running as root") : .missing("not running as root", fix: "run with sudo")
    }

    static func capability(_ facts: HostFacts, _ name: String, has: Bool) -> Finding {
        has
            ? .ok("\(name) is in the effective set")
            : .missing(
                "\(name) is not in the effective set", fix: "run as root (sudo); inside a container, it was dropped")
    }

    static func rootfs(_ facts: HostFacts) -> Finding {
        guard let path = facts.rootfs else {
            return .missing("no root filesystem (.sandboxlabs/rootfs)", fix: "run scripts/make-rootfs")
        }
        guard Sys.exists(path + "/etc/sandboxlabs-rootfs") else {
            return .missing(
                "\(path) ($SANDBOXLABS_ROOTFS) has no etc/sandboxlabs-rootfs", fix: "run scripts/make-rootfs \(path)")
        }
        return .ok("root filesystem at \(path)")
    }

    static func namespace(_ facts: HostFacts, _ kind: Namespace, since: String) -> Finding {
        facts.namespaces.contains(kind)
            ? .ok("\(kind.rawValue) namespaces (/proc/self/ns/\(kind.rawValue))")
            : .missing(
                "no \(kind.rawValue) namespaces in this kernel (\(facts.kernel.release))",
                fix: "needs Linux \(since)+ built with \(kernelOption(kind))")
    }

    /// The kernel build option behind a namespace kind. Mount and cgroup
    /// namespaces have no option of their own (there is no CONFIG_MNT_NS):
    /// name the umbrella CONFIG_NAMESPACES and CONFIG_CGROUPS instead.
    static func kernelOption(_ kind: Namespace) -> String {
        switch kind {
        case .mnt: "CONFIG_NAMESPACES"
        case .cgroup: "CONFIG_CGROUPS"
        default: "CONFIG_\(kind.rawValue.uppercased())_NS"
        }
    }

    static func container(_ facts: HostFacts) -> Finding? {
        facts.container.map {
            .warning(
                "running inside a container (\($0)): namespaces, mounts and cgroups may be refused",
                fix: "use a VM or a real machine; in Docker at least --privileged")
        }
    }

    static func userNamespaces(_ facts: HostFacts) -> [Finding] {
        var findings = [namespace(facts, .user, since: "3.8")]
        if let max = facts.maxUserNamespaces, max == 0 {
            findings.append(
                .missing(
                    "user namespaces disabled: /proc/sys/user/max_user_namespaces is 0",
                    fix: "sudo sysctl -w user.max_user_namespaces=15000"))
        }
        if facts.unprivilegedClone == 0 {
            findings.append(
                .warning(
                    "unprivileged user namespaces disabled: kernel.unprivileged_userns_clone = 0 (the rootless part needs them)",
                    fix: "sudo sysctl -w kernel.unprivileged_userns_clone=1"))
        }
        if facts.apparmorRestrict == 1 {
            findings.append(
                .warning(
                    "unprivileged user namespaces restricted by AppArmor: kernel.apparmor_restrict_unprivileged_userns = 1 (a rootless sandbox gets no capabilities)",
                    fix:
                        "for the lab only: sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (set it back to 1 afterwards)"
                ))
        }
        if !facts.newuidmap {
            findings.append(
                .warning(
                    "newuidmap not found (maps for a rootless user need the setuid helper)",
                    fix: "sudo apt-get install uidmap"))
        }
        return findings
    }

    static func cgroups(_ facts: HostFacts) -> [Finding] {
        var findings: [Finding] = []
        let wanted = ["memory", "cpu", "pids", "io"]
        switch facts.cgroupMode {
        case .v2(let controllers):
            findings.append(.ok("cgroup v2 (unified hierarchy)"))
            for name in wanted where !controllers.contains(name) {
                findings.append(
                    .missing(
                        "cgroup v2 \(name) controller not available (not in /sys/fs/cgroup/cgroup.controllers)",
                        fix: name == "memory"
                            ? "boot with cgroup_enable=memory (Raspberry Pi OS and some ARM kernels disable it)"
                            : "enable CONFIG_CGROUP_\(name.uppercased()) or check the kernel command line"))
            }
            for name in wanted where controllers.contains(name) && !facts.cgroupSubtreeControl.contains(name) {
                findings.append(
                    .warning(
                        "cgroup v2 \(name) controller not delegated to child cgroups (not in the root's cgroup.subtree_control)",
                        fix:
                            "echo +\(name) | sudo tee /sys/fs/cgroup/cgroup.subtree_control (sb-cgroup does this itself as root)"
                    ))
            }
        case .hybrid(let controllers), .v1(let controllers):
            findings.append(
                .ok("cgroup \(facts.cgroupMode.name): v1 controllers \(controllers.joined(separator: " "))"))
            for name in ["memory", "cpu", "pids", "freezer", "devices"] where !controllers.contains(name) {
                findings.append(
                    .missing(
                        "cgroup v1 \(name) controller not mounted at /sys/fs/cgroup/\(name)",
                        fix: "mount it: sudo mount -t cgroup -o \(name) cgroup /sys/fs/cgroup/\(name)"))
            }
        case .none:
            findings.append(
                .missing(
                    "no cgroup filesystem at /sys/fs/cgroup",
                    fix: "mount cgroup2: sudo mount -t cgroup2 none /sys/fs/cgroup"))
        }
        if !facts.cgroupWritable {
            findings.append(
                .missing(
                    "/sys/fs/cgroup is not writable by us",
                    fix: "run as root; in a container, /sys/fs/cgroup is often read-only"))
        }
        return findings
    }

    static func ipCommand(_ facts: HostFacts) -> Finding {
        facts.ipCommand
            ? .ok("ip (iproute2)") : .missing("the ip command is missing", fix: "sudo apt-get install iproute2")
    }

    /// The labs in course order, with what each needs.
    static let labs: [LabNeeds] = [
        LabNeeds(number: "00", title: "setup") { facts in [rootfs(facts)] },
        LabNeeds(number: "01", title: "chroot") { facts in
            [
                root(facts),
                capability(facts, "CAP_SYS_CHROOT", has: facts.capabilities?.hasEffective(.sysChroot) ?? false),
                rootfs(facts),
            ]
        },
        LabNeeds(number: "02", title: "namespace APIs") { facts in
            var findings =
                [root(facts)] + Namespace.allCases.filter { $0 != .time }.map { namespace(facts, $0, since: "4.6") }
            findings.append(
                facts.namespaceIoctls
                    ? .ok("NS_GET_* ioctls on namespace files")
                    : .missing("the NS_GET_* ioctls are not supported", fix: "needs Linux 4.11+"))
            findings.append(
                facts.pidfd
                    ? .ok("pidfd_open(2)")
                    : .warning("no pidfd_open(2): sb-enter falls back to /proc/PID/ns files", fix: "Linux 5.3+ has it"))
            findings.append(
                facts.namespaces.contains(.time)
                    ? .ok("time namespaces")
                    : .warning(
                        "no time namespaces: the sb-timens part cannot run", fix: "needs Linux 5.6+ with CONFIG_TIME_NS"
                    ))
            return findings
        },
        LabNeeds(number: "03", title: "UTS and IPC namespaces") { facts in
            [root(facts), namespace(facts, .uts, since: "2.6.19"), namespace(facts, .ipc, since: "2.6.19")]
        },
        LabNeeds(number: "04", title: "PID namespace") { facts in
            [root(facts), namespace(facts, .pid, since: "2.6.24"), rootfs(facts)]
        },
        LabNeeds(number: "05", title: "mount namespace") { facts in
            let propagation: Finding =
                facts.rootPropagation == .shared
                ? .ok("/ is a shared mount (systemd's default): the lab shows why it must be made private first")
                : .ok("/ propagation: \(facts.rootPropagation.rawValue)")
            return [root(facts), namespace(facts, .mnt, since: "2.4.19"), rootfs(facts), propagation]
        },
        LabNeeds(number: "06", title: "user namespace") { facts in userNamespaces(facts) },
        LabNeeds(number: "07", title: "network namespace") { facts in
            [
                root(facts), namespace(facts, .net, since: "2.6.29"),
                ipCommand(facts),
            ]
        },
        LabNeeds(number: "08", title: "cgroups") { facts in [root(facts)] + cgroups(facts) },
        LabNeeds(number: "09", title: "capabilities") { facts in
            [
                root(facts),
                facts.capabilities.map { .ok("libcap reads this process's sets: \($0.text)") }
                    ?? .missing(
                        "libcap could not read the capability sets",
                        fix: "sudo apt-get install libcap-dev, then rebuild"),
            ]
        },
        LabNeeds(number: "10", title: "overlay filesystem") { facts in
            [
                root(facts),
                facts.overlay ? .ok("overlayfs") : .missing("overlayfs is not available", fix: "sudo modprobe overlay"),
            ]
        },
        LabNeeds(number: "11", title: "OCI images") { facts in
            [
                root(facts),
                facts.version < KernelVersion(major: 5, minor: 6, patch: 0)
                    ? .warning(
                        "Linux \(facts.kernel.release) has no openat2(2): a layer entry whose path goes through a"
                            + " symlink is refused instead of resolved inside the root",
                        fix: "use Linux 5.6 or later for the same results as umoci and containerd")
                    : .ok("openat2(RESOLVE_IN_ROOT): symlinks in layer paths resolve inside the root"),
                facts.overlay
                    ? .ok("overlayfs (sb-image snapshot and mount)")
                    : .missing("overlayfs is not available", fix: "sudo modprobe overlay"),
                .ok("libarchive: \(facts.libarchive)"),
                facts.libarchiveZstd
                    ? .ok("libarchive reads zstd layers")
                    : .warning(
                        "libarchive has no zstd: zstd-compressed layers cannot be read",
                        fix: "install a libarchive built with zstd (Debian's is)"),
            ]
        },
        LabNeeds(number: "12", title: "mini-container") { facts in
            [
                root(facts), rootfs(facts),
                facts.overlay ? .ok("overlayfs") : .missing("overlayfs is not available", fix: "sudo modprobe overlay"),
            ]
                + [Namespace.mnt, .pid, .net, .uts, .ipc].map { namespace(facts, $0, since: "3.8") } + cgroups(facts)
        },
    ]
}
