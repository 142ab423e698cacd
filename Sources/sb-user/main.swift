// sb-user: run a command in a new user namespace, as root inside and an
// ordinary user outside.
//
// A user namespace has its own table of user and group ids. The parent writes
// two small files for the child: /proc/CHILD/uid_map ("inside 0 is outside
// 1000") and gid_map. Root inside gets every capability, but only over things
// its user namespace owns; the host still sees uid 1000. This is how rootless
// Docker and Podman run containers without being root.
//
// The shape is clone-then-go: the child is cloned with CLONE_NEWUSER and waits;
// the parent writes setgroups, uid_map and gid_map (only the parent, outside,
// may map ids the child should have); then the child becomes uid 0 and execs.
import ArgumentParser
import SandboxCore
import SandboxNamespaces
import SandboxSecurity

#if canImport(Glibc)
    import Glibc
#endif

struct UserCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-user",
        abstract: "Run a command in a new user namespace: root inside, an ordinary user outside.",
        discussion: """
            The parent clones a child into a new user namespace, writes its uid and gid
            maps (setgroups "deny" first when unprivileged, CVE-2014-8989), then lets it
            become uid 0 and exec the command. No root needed: try it as a normal user.

            Without a command, sb-user runs a short tour inside: its ids, its capabilities,
            and which host actions still fail (sethostname, /etc/shadow, mount).

            Examples:
              sb-user -- id
              sb-user --uts --mount                  # the tour, with namespaces it owns
              sudo sb-user --uid-map 0:100000:65536 -- cat /proc/self/uid_map
              setpriv --reuid=65534 --regid=65534 --clear-groups sb-user -- id
              sb-user --wrong-order -- id           # gid_map before setgroups: EPERM

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-user itself failed, 126 if the command could not run, 127 if it
            was not found, 64 on a usage error.
            """
    )

    @Flag(help: "Map inside uid/gid 0 to your own uid/gid (the default).")
    var mapRoot = false

    @Flag(help: "Map your own uid/gid to the same number inside: no root inside.")
    var mapUser = false

    @Option(help: "A uid_map line INSIDE:OUTSIDE[:COUNT]; repeat for more. Other ids than your own need root.")
    var uidMap: [String] = []

    @Option(help: "A gid_map line INSIDE:OUTSIDE[:COUNT]; default: the same as --uid-map.")
    var gidMap: [String] = []

    @Flag(help: "Also a new UTS namespace, owned by the new user namespace.")
    var uts = false

    @Flag(help: "Also a new mount namespace, owned by the new user namespace.")
    var mount = false

    @Flag(help: "Break it: write gid_map before setgroups \"deny\" (EPERM when unprivileged).")
    var wrongOrder = false

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (pid, maps, inside/outside ids and namespaces) as the first line.")
    var json = false

    @Flag(help: .hidden) var tour = false

    @Argument(parsing: .postTerminator, help: "The command to run after --; default: a tour of the namespace.")
    var command: [String] = []

    func validate() throws {
        let modes = [mapRoot, mapUser, !uidMap.isEmpty].filter { $0 }.count
        if modes > 1 { throw ValidationError("choose one of --map-root, --map-user, --uid-map") }
        if !gidMap.isEmpty && uidMap.isEmpty { throw ValidationError("--gid-map needs --uid-map") }
        for text in uidMap + gidMap where Self.parseMapping(text) == nil {
            throw ValidationError("a map is INSIDE:OUTSIDE[:COUNT] with numbers, e.g. 0:100000:65536; got \(text)")
        }
    }

    func run() throws {
        if tour {
            do {
                return try InsideTour(uts: uts, mount: mount, quiet: quiet).run()
            } catch {
                Terminal.reportError(tool: "sb-user", error)
                throw ExitCode(125)
            }
        }
        let narrator = Narrator(tool: "sb-user", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? try tourCommand() : command
        do {
            let path = try Sys.resolveCommand(argv[0])  // before clone: a typo changes nothing
            try runInUserNamespace(path: path, argv: argv, narrator: narrator)
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-user", error)
            throw ExitCode(error.commandExitStatus)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.reportError(tool: "sb-user", error)
            if let error = error as? SyscallError, error.call.hasPrefix("clone"), error.errno.rawValue == EPERM {
                Terminal.write("sb-user: host: " + UserNamespaceSettings.describe() + "\n", fd: 2)
            }
            throw ExitCode(125)
        }
    }

    /// The maps to write: explicit ones, or one line for our own uid and gid.
    func maps() -> (uids: [IDMapping], gids: [IDMapping]) {
        if !uidMap.isEmpty {
            let uids = uidMap.compactMap(Self.parseMapping)
            return (uids, gidMap.isEmpty ? uids : gidMap.compactMap(Self.parseMapping))
        }
        let (uid, gid) = (UInt32(geteuid()), UInt32(getegid()))
        return mapUser
            ? ([IDMapping(inside: uid, outside: uid)], [IDMapping(inside: gid, outside: gid)])
            : ([IDMapping(inside: 0, outside: uid)], [IDMapping(inside: 0, outside: gid)])
    }

    /// `0:1000` or `0:100000:65536` as an IDMapping.
    static func parseMapping(_ text: String) -> IDMapping? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map { UInt32($0) }
        guard parts.count == 2 || parts.count == 3, let inside = parts[0], let outside = parts[1] else { return nil }
        let count = parts.count == 3 ? parts[2] : 1
        guard let count, count > 0 else { return nil }
        return IDMapping(inside: inside, outside: outside, count: count)
    }

    /// Without a command, the child runs this program again as the inside tour.
    func tourCommand() throws -> [String] {
        let me = try Sys.readlink("/proc/self/exe")
        return [me, "--tour"] + (uts ? ["--uts"] : []) + (mount ? ["--mount"] : []) + (quiet || json ? ["--quiet"] : [])
    }

    func runInUserNamespace(path: String, argv: [String], narrator: Narrator) throws {
        let outside = (uid: getuid(), gid: getgid(), user: try NamespaceID.of(.user))
        let (uids, gids) = maps()
        var request = SpawnRequest(path: path, arguments: argv)
        // BEGIN SOLUTION lab06: Ask clone(2) for a new user namespace (CLONE_NEWUSER, plus the --uts/--mount extras), and have the child become uid/gid 0 when the maps give it an inside 0.
        request.cloneFlags =
            Namespace.user.cloneFlag | (uts ? Namespace.uts.cloneFlag : 0) | (mount ? Namespace.mnt.cloneFlag : 0)
        request.becomeRoot = uids.contains { $0.inside == 0 } && gids.contains { $0.inside == 0 }
        // END SOLUTION
        let child = try narrator.step("clone(\(NamespaceFlags.names(request.cloneFlags)))") {
            try Spawn.clone(request)
        }
        // The child waits for "go". Until the maps are written it is uid 65534 (the overflow uid) inside.
        let writer = MapWriter(pid: child.pid, narrator: narrator)
        if wrongOrder {
            try writer.writeInWrongOrder(uids: uids, gids: gids)
        } else {
            try writer.write(uids: uids, gids: gids, denySetgroups: !MapWriter.mayMapGroups())
        }
        let inside = try InsideFacts(pid: child.pid)
        narrator.observe("child: ", "pid \(child.pid)    \(inside.user)  (/proc/\(child.pid)/ns/user)")
        narrator.observe("parent:", "uid \(outside.uid)    \(outside.user)  (/proc/self/ns/user)")
        narrator.observe("uid_map:", inside.uidMap + "   (inside, outside, count)    gid_map: " + inside.gidMap)
        narrator.fact("pid", .int(Int(child.pid)))
        narrator.fact(
            "outside",
            .object([
                ("uid", .int(Int(outside.uid))), ("gid", .int(Int(outside.gid))),
                ("user", .string(outside.user.description)),
            ]))
        narrator.fact("inside", inside.json)
        let setup = request.becomeRoot ? ["setresgid(0, 0, 0)", "setresuid(0, 0, 0)"] : []
        narrator.record(
            call: "child: " + (setup + [Narrator.execveCall(path, argv)]).joined(separator: ", "), result: "…")
        narrator.emitRecord()
        try child.go()
        observeFromOutside(pid: child.pid, narrator: narrator)
        let status = try Sys.waitpid(child.pid)
        narrator.observe("child: ", "\(status)")
        if status.shellCode != 0 { throw ExitCode(status.shellCode) }
    }

    /// Waits for the command to end WITHOUT reaping it (waitid with WNOWAIT):
    /// a zombie's /proc/PID/status still shows its credentials as the host sees
    /// them, and reading them after the command's output keeps the text in order.
    func observeFromOutside(pid: pid_t, narrator: Narrator) {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
        guard let status = try? ProcFile.read("/proc/\(pid)/status") else { return }
        let uid = ProcFile.field("Uid", in: status) ?? "?"
        let caps = ProcFile.field("CapEff", in: status).flatMap { CapabilityMask(hex: $0) }
        narrator.observe("outside:", "/proc/\(pid)/status Uid: \(uid)    CapEff: \(caps?.description ?? "?")")
        narrator.explain(
            "the host sees uid \(uid.split(separator: "\t").first ?? "?"); the capabilities count only in"
                + " namespaces owned by the new user namespace.")
    }
}

/// What the parent reads back about the child's namespace, for narration and --json.
struct InsideFacts {
    var user: NamespaceID
    var uidMap: String
    var gidMap: String
    var setgroups: String

    init(pid: pid_t) throws {
        func normalized(_ file: String) throws -> String {
            IDMapping.parse(try ProcFile.read("/proc/\(pid)/\(file)")).map(\.description).joined(separator: "\n")
        }
        user = try NamespaceID.of(pid: "\(pid)", .user)
        uidMap = try normalized("uid_map")
        gidMap = try normalized("gid_map")
        setgroups = ProcFile.readTrimmed("/proc/\(pid)/setgroups") ?? "?"
    }

    var json: JSON {
        .object([
            ("user", .string(user.description)), ("uid_map", .string(uidMap)), ("gid_map", .string(gidMap)),
            ("setgroups", .string(setgroups)),
        ])
    }
}

UserCommand.main()
