import SandboxCore
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// sb-user started as uid/gid 65534 with no groups, the way a rootless user runs it.
/// `copy` is an ExecutableCopy of sb-user: the build may sit where 65534 cannot reach (/root).
func asNobody(_ arguments: [String], copy: ExecutableCopy) -> SpawnRequest {
    let setpriv = Sys.resolveExecutable("setpriv", searchPath: Sys.getenv("PATH")) ?? "/usr/bin/setpriv"
    return SpawnRequest(
        path: setpriv, arguments: [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", copy.path] + arguments)
}

/// Starts `request` whose command prints `id -u`, then its pid and waits; returns
/// what it printed first and what the kernel shows about it from outside.
func observeUserRun(_ request: SpawnRequest) throws -> (
    inside: String, outside: UserRun.Outside, namespaces: [Namespace]
) {
    let child = try ChildProcess(request)
    let (value, result) = try Probe.inspect(child, timeout: 20, skipLines: 1) { pid, skipped in
        let different = try Namespace.allCases.filter {
            try NamespaceID.of(pid: "\(pid)", $0) != NamespaceID.of($0)
        }
        return (skipped.first ?? "", try UserRun.readOutside(pid: pid), different)
    }
    #expect(result.status == .exited(0), "\(result.stderr)")
    return value
}

let idThenWait = ["--", "/bin/sh", "-c", "id -u; echo $$; read line || true"]

@Suite("sb-user", .serialized)
struct UserTests {
    @Test("as root: uid 0 inside, a new user namespace and no other", .privileged)
    func rootRun() throws {
        let path = Built.path("sb-user")
        let (inside, outside, different) = try observeUserRun(
            SpawnRequest(path: path, arguments: [path, "--quiet"] + idThenWait))
        #expect(inside == "0")
        #expect(different == [.user])
        #expect(outside.uidMap == [IDMapping(inside: 0, outside: 0)])
        #expect(outside.setgroups == "allow")  // root has CAP_SETGID: no need to deny
    }

    @Test("as an unprivileged user: root inside, uid 65534 outside, setgroups deny", .privileged)
    func rootless() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-user"))
        defer { copy.remove() }
        let (inside, outside, different) = try observeUserRun(asNobody(["--quiet"] + idThenWait, copy: copy))
        #expect(inside == "0")
        #expect(different == [.user])
        #expect(outside.statusUIDs == ["65534", "65534", "65534", "65534"])
        #expect(outside.uidMap == [IDMapping(inside: 0, outside: 65534)])
        #expect(outside.gidMap == [IDMapping(inside: 0, outside: 65534)])
        #expect(outside.setgroups == "deny")
    }

    @Test("--uts --mount: those namespaces are new too, owned by the new user namespace", .privileged)
    func ownedNamespaces() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-user"))
        defer { copy.remove() }
        let (_, _, different) = try observeUserRun(asNobody(["--quiet", "--uts", "--mount"] + idThenWait, copy: copy))
        #expect(Set(different) == [.user, .uts, .mnt])
    }

    @Test("--uid-map as root maps root inside to an unused uid outside", .privileged)
    func explicitMap() throws {
        let path = Built.path("sb-user")
        let (inside, outside, _) = try observeUserRun(
            SpawnRequest(path: path, arguments: [path, "--quiet", "--uid-map", "0:100000:1"] + idThenWait))
        #expect(inside == "0")
        #expect(outside.statusUIDs.first == "100000")
        #expect(outside.gidMap == [IDMapping(inside: 0, outside: 100_000)])  // --gid-map defaults to --uid-map
    }

    @Test("the tour as a user: full CapEff, yet the host's hostname, files and mounts stay out of reach", .privileged)
    func tour() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-user"))
        defer { copy.remove() }
        let hostname = Sys.hostname()
        let mountinfo = try ProcFile.read("/proc/self/mountinfo")
        let plain = try ChildProcess.run(asNobody([], copy: copy), timeout: 20)
        #expect(plain.status == .exited(0), "\(plain.stderr)")
        // Root in the new namespace holds every capability this kernel has (0 ... cap_last_cap),
        // even those missing from our own bounding set.
        let last = try #require(ProcFile.readTrimmed("/proc/sys/kernel/cap_last_cap").flatMap { Int($0) })
        let everything = String((UInt64(1) << UInt64(last + 1)) - 1, radix: 16)
        let padded = String(repeating: "0", count: 16 - everything.count) + everything
        #expect(plain.stdout.contains("CapEff:  \(padded) (\(last + 1) capabilities)"))
        let tourLines = plain.stdout.split(separator: "\n")
        #expect(tourLines.contains { $0.hasPrefix("→ sethostname(") && $0.hasSuffix("EPERM") })
        #expect(tourLines.contains { $0.hasPrefix(#"→ open("/etc/shadow""#) && $0.hasSuffix("EACCES") })
        #expect(tourLines.contains { $0.hasPrefix(#"→ mount("tmpfs""#) && $0.hasSuffix("EPERM") })
        let owned = try ChildProcess.run(asNobody(["--uts", "--mount"], copy: copy), timeout: 20)
        let lines = owned.stdout.split(separator: "\n")
        #expect(lines.contains { $0.hasPrefix("→ sethostname(") && $0.hasSuffix("ok") })
        #expect(lines.contains { $0.hasPrefix(#"→ mount("tmpfs""#) && $0.hasSuffix("ok") })
        #expect(Sys.hostname() == hostname)
        #expect(try ProcFile.read("/proc/self/mountinfo") == mountinfo)
    }

    @Test("--wrong-order as a user: gid_map before setgroups fails with EPERM and the hint says why", .privileged)
    func wrongOrder() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-user"))
        defer { copy.remove() }
        let result = try ChildProcess.run(asNobody(["--wrong-order", "--", "/bin/true"], copy: copy), timeout: 20)
        #expect(result.status == .exited(125))
        #expect(result.stdout.contains("gid_map") && result.stdout.contains("EPERM"))
        #expect(result.stderr.contains("write(gid_map)"))
        #expect(result.stderr.contains("CVE-2014-8989"))
    }

    @Test("--json: one record first, with the namespaces and the map the kernel shows", .privileged)
    func json() throws {
        let copy = try ExecutableCopy(of: Built.path("sb-user"))
        defer { copy.remove() }
        let child = try ChildProcess(
            asNobody(["--json", "--", "/bin/sh", "-c", "echo $$; read line || true"], copy: copy))
        let record = try JSON.parse(try #require(child.readLine(timeout: 20)))
        let (outside, _) = try Probe.inspect(child, timeout: 20, skipLines: 0) { pid, _ in
            try UserRun.readOutside(pid: pid)
        }
        #expect(record["inside"]?["user"]?.stringValue == outside.user.description)
        #expect(record["outside"]?["user"]?.stringValue == (try NamespaceID.of(.user)).description)
        #expect(record["outside"]?["uid"]?.intValue == 65534)
        #expect(record["inside"]?["uid_map"]?.stringValue == "0 65534 1")
        #expect(record["inside"]?["setgroups"]?.stringValue == "deny")
    }

    @Test("usage errors exit 64, an unknown command 127, --tour on the host refuses")
    func errors() throws {
        #expect(try run("sb-user", ["--map-user", "--uid-map", "0:0:1"]).status == .exited(64))
        #expect(try run("sb-user", ["--uid-map", "zero:1"]).status == .exited(64))
        #expect(try run("sb-user", ["--", "/nonexistent/command"]).status == .exited(127))
        let hostname = Sys.hostname()
        let tour = try run("sb-user", ["--tour"])
        #expect(tour.status == .exited(125))
        #expect(tour.stderr.contains("--tour runs only inside"))
        #expect(Sys.hostname() == hostname)
    }
}

/// Which checks each deliberate mistake in Tests/BrokenImplementations/user.c must fail.
let userMistakes: [(String, Set<String>)] = [
    ("ALWAYS_ZERO", ["06.runs"]),
    ("NO_NEWUSER", ["06.new-namespace"]),
    ("NO_UID_MAP", ["06.uid-map"]),
    ("NO_GID_MAP", ["06.gid-map", "06.explicit-map", "06.setgroups-deny"]),
    ("WRONG_ORDER", ["06.rootless", "06.setgroups-deny"]),
    ("IGNORE_MAP_OPTION", ["06.explicit-map"]),
    ("BAD_JSON", ["06.json"]),
]

@Suite("sb-grade 06", .serialized)
struct Lab06GraderTests {
    /// A scratch directory the rootless checks' user (65534) can enter.
    func withOpenScratchDirectory<T>(_ body: (String) throws -> T) throws -> T {
        try withScratchDirectory { directory in
            chmod(directory, 0o755)
            return try body(directory)
        }
    }

    @Test("the reference scores 100", .privileged)
    func reference() {
        let report = grade(Lab06.lab, Built.path("sb-user"), rootfs: "")
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test("the generated starter fails", .privileged)
    func starter() {
        let report = grade(Lab06.lab, Built.path("lab06-starter"), rootfs: "")
        #expect(!report.allPassed)
        #expect(report.earned < 50)
    }

    @Test("a correct C implementation scores 100", .privileged, .withCompiler)
    func cImplementation() throws {
        let report = try withOpenScratchDirectory { directory in
            grade(Lab06.lab, try compileImplementation("user", define: nil, in: directory), rootfs: "")
        }
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test("each deliberate mistake fails exactly its checks, with their hints", .privileged, .withCompiler)
    func mistakes() throws {
        var seenFailing: Set<String> = []
        try withOpenScratchDirectory { directory in
            for (define, expected) in userMistakes {
                let implementation = try compileImplementation("user", define: define, in: directory)
                let report = grade(Lab06.lab, implementation, rootfs: "")
                #expect(failed(report) == expected, "user -D\(define): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab06.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab06.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        #expect(Lab06.lab.checks.map(\.points).reduce(0, +) == 100)
    }

    @Test(
        "gid_map before setgroups: the rootless failure shows the kernel's EPERM and the setgroups hint",
        .privileged, .withCompiler)
    func wrongOrderMessage() throws {
        let report = try withOpenScratchDirectory { directory in
            grade(Lab06.lab, try compileImplementation("user", define: "WRONG_ORDER", in: directory), rootfs: "")
        }
        let rootless = try #require(report.result("06.rootless"))
        #expect(rootless.detail.contains("gid_map: Operation not permitted"))
        #expect(rootless.hint.contains("setgroups"))
    }
}
