import SandboxCore
import SandboxNamespaces
import SandboxSecurity

#if canImport(Glibc)
    import Glibc
#endif

/// What root in a new user namespace can and cannot do, tried from inside.
///
/// sb-user runs this (as `sb-user --tour`) in the child when no command is
/// given. Every capability is there, yet each one is checked against the user
/// namespace that OWNS the thing acted on: the host's UTS and mount namespaces
/// and the host's files belong to the initial user namespace, not to ours.
struct InsideTour {
    let uts: Bool
    let mount: Bool
    let quiet: Bool

    func run() throws {
        let narrator = Narrator(tool: "sb-user", mode: quiet ? .quiet : .from(quiet: false, json: false))
        let maps = IDMapping.parse(try ProcFile.read("/proc/self/uid_map"))
        // In the initial user namespace the map is the identity; the tour would
        // then rename and mount on the real host. Refuse.
        guard maps != [IDMapping(inside: 0, outside: 0, count: UInt32.max)] else {
            throw CoreError.unexpectedFormat(
                path: "/proc/self/uid_map", detail: "the host's own map: --tour runs only inside sb-user's namespace")
        }
        let outsideRoot = maps.first { $0.inside == 0 }.map { "\($0.outside)" } ?? "unmapped"
        let caps = try CapabilityMask.of(set: "CapEff")
        narrator.observe("inside: ", "uid \(getuid()), gid \(getgid())    uid_map: \(maps.map(\.description))")
        narrator.observe("CapEff: ", "\(caps)  (/proc/self/status)")
        narrator.explain("uid 0 after execve gets the full set: in THIS user namespace we are root.")
        tryHostname(narrator)
        tryShadow(narrator, outsideRoot: outsideRoot)
        tryMount(narrator)
    }

    func tryHostname(_ narrator: Narrator) {
        attempt(
            narrator, "sethostname(\"sb-user-tour\")",
            ok: "allowed: this UTS namespace was made with our user namespace, which owns it.",
            failed: "the host's UTS namespace is owned by the initial user namespace, where we have no"
                + " CAP_SYS_ADMIN (try --uts)."
        ) { try Sys.sethostname("sb-user-tour") }
    }

    func tryShadow(_ narrator: Narrator, outsideRoot: String) {
        attempt(
            narrator, "open(\"/etc/shadow\", O_RDONLY)",
            ok:
                "readable: our uid 0 is host uid \(outsideRoot), the file's owner. Run sb-user as a user to see EACCES.",
            failed: "files are checked with the host's ids (uid \(outsideRoot)); CAP_DAC_OVERRIDE here does not"
                + " cover files whose owner is not mapped into our namespace."
        ) {
            let fd = try check("open", path: "/etc/shadow") { open("/etc/shadow", O_RDONLY | O_CLOEXEC) }
            close(fd)
        }
    }

    func tryMount(_ narrator: Narrator) {
        let target = Sys.exists("/mnt") ? "/mnt" : "/tmp"
        if mount {
            // Our own mount namespace: make every mount private first, so nothing
            // we mount could propagate anywhere (DESIGN rule 5).
            attempt(narrator, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)", ok: nil, failed: nil) {
                _ = try check("mount") { Glibc.mount(nil, "/", nil, UInt(MS_REC | MS_PRIVATE), nil) }
            }
        }
        attempt(
            narrator, "mount(\"tmpfs\", \"\(target)\", \"tmpfs\", 0, NULL)",
            ok: "allowed: this mount namespace belongs to our user namespace; the host does not see the mount.",
            failed: "the host's mount namespace is owned by the initial user namespace (try --mount)."
        ) { _ = try check("mount", path: target) { Glibc.mount("tmpfs", target, "tmpfs", 0, nil) } }
    }

    /// Runs one attempt, narrates ok or the errno, explains, and carries on.
    func attempt(
        _ narrator: Narrator, _ call: String, ok: String?, failed: String?, _ body: () throws -> Void
    ) {
        do {
            try narrator.step(call) { try body() }
            if let ok { narrator.explain(ok) }
        } catch {
            if let failed { narrator.explain(failed) }
        }
    }
}
