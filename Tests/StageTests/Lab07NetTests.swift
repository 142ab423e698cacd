import SandboxCore
import SandboxNamespaces
import Testing

@testable import SandboxGrader

#if canImport(Glibc)
    import Glibc
#endif

/// What `ip -o link` and `ip -o -4 addr` show in the test runner's namespace.
func hostNetwork() throws -> (links: String, addresses: String) {
    let ip = NetView.tool("ip")
    let links = try ChildProcess.run(SpawnRequest(path: ip, arguments: ["ip", "-o", "link", "show"]))
    let addresses = try ChildProcess.run(SpawnRequest(path: ip, arguments: ["ip", "-o", "-4", "addr", "show"]))
    return (links.stdout, addresses.stdout)
}

/// Lines of the host's links and addresses that mention `needle` (a link name prefix or a subnet).
func hostLines(mentioning needle: String) throws -> [String] {
    let (links, addresses) = try hostNetwork()
    return (links + addresses).split(separator: "\n").map(String.init).filter { $0.contains(needle) }
}

/// Waits (at most 5 s) for the kernel's asynchronous namespace teardown, then
/// returns what still mentions `needle`.
func hostLinesAfterTeardown(mentioning needle: String) throws -> [String] {
    for _ in 0..<50 {
        if try hostLines(mentioning: needle).isEmpty { return [] }
        usleep(100_000)
    }
    return try hostLines(mentioning: needle)
}

@Suite("sb-net: a network namespace, a veth pair, a bridge (lab 07)", .serialized)
struct Lab07NetTests {
    @Test("veth: inside only lo and eth0, lo up, pings answered, the host keeps its own namespace", .privileged)
    func vethInside() throws {
        let script = "cat /proc/net/dev; ip -o link show lo; readlink /proc/self/ns/net"
        let result = try run("sb-net", ["--json", "veth", "--", "/bin/sh", "-c", script])
        #expect(result.status == .exited(0), "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let record = try JSON.parse(try #require(lines.first))
        // /proc/net/dev inside: two header lines, then one line per device.
        let devices = lines.dropFirst(3).prefix { $0.contains(":") && !$0.contains("<") }.map {
            String($0.split(separator: ":")[0]).trimmingWhitespace()
        }
        #expect(Set(devices) == ["lo", "eth0"])
        #expect(lines.contains { $0.contains(": lo:") && $0.contains(",UP") })
        let ours = try NamespaceID.of(.net).description
        #expect(lines.last != ours)
        #expect(record["net"]?["inside"]?.stringValue == lines.last)
        #expect(record["net"]?["outside"]?.stringValue == ours)
        let pings = elements(record["steps"])?.filter { $0["call"]?.stringValue?.hasPrefix("ping") == true } ?? []
        #expect(pings.count == 2)
        #expect(pings.allSatisfy { $0["result"]?.stringValue == "ok" }, "\(pings.map { $0.rendered() })")
        let hostEnd = try #require(record["host"]?["interface"]?.stringValue)
        #expect(try hostLinesAfterTeardown(mentioning: hostEnd + " ").isEmpty)
        #expect(try hostLinesAfterTeardown(mentioning: hostEnd + ":").isEmpty)
    }

    @Test("from outside: the command's /proc/PID/ns differs from ours for net only", .privileged)
    func onlyNetDiffers() throws {
        let path = Built.path("sb-net")
        let child = try ChildProcess(
            SpawnRequest(path: path, arguments: [path, "--quiet", "veth", "--"] + Probe.waitingPayload))
        let (differing, result) = try Probe.inspect(child, timeout: 20, skipLines: 0) { pid, _ in
            try Namespace.allCases.filter { kind in
                try NamespaceID.of(pid: "\(pid)", kind) != NamespaceID.of(kind)
            }
        }
        #expect(differing == [.net])
        #expect(result.status == .exited(0))
        #expect(try hostLinesAfterTeardown(mentioning: "sbl-\(child.pid)-").isEmpty)
    }

    @Test("after SIGKILL to sb-net, the veth pair goes when the command's namespace dies", .privileged)
    func killedRunLeavesNothing() throws {
        let path = Built.path("sb-net")
        let child = try ChildProcess(
            SpawnRequest(path: path, arguments: [path, "--quiet", "veth", "--"] + Probe.waitingPayload))
        let (seen, _) = try Probe.inspect(child, timeout: 20, skipLines: 0) { _, _ in
            let seen = try hostLines(mentioning: "sbl-\(child.pid)-h")
            kill(child.pid, SIGKILL)
            return seen
        }
        #expect(!seen.isEmpty, "the host end existed while the command ran")
        #expect(try hostLinesAfterTeardown(mentioning: "sbl-\(child.pid)-").isEmpty)
    }

    @Test("SIGTERM to sb-net reaches the command, and sb-net still cleans up", .privileged)
    func terminatedRunCleansUp() throws {
        let path = Built.path("sb-net")
        let child = try ChildProcess(
            SpawnRequest(path: path, arguments: [path, "--quiet", "veth", "--", "/bin/sh", "-c", "echo $$; sleep 30"]))
        let (_, result) = try Probe.inspect(child, timeout: 20, skipLines: 0) { _, _ in kill(child.pid, SIGTERM) }
        #expect(result.status == .exited(128 + SIGTERM))
        #expect(try hostLinesAfterTeardown(mentioning: "sbl-\(child.pid)-").isEmpty)
    }

    @Test("bridge: two namespaces ping each other through one bridge, which is deleted afterwards", .privileged)
    func bridge() throws {
        let result = try run("sb-net", ["--json", "bridge"])
        #expect(result.status == .exited(0), "\(result.stderr)")
        let record = try JSON.parse(result.stdout.split(separator: "\n").first.map(String.init) ?? "")
        let members = try #require(elements(record["members"]))
        #expect(members.count == 2)
        #expect(Set(members.compactMap { $0["net"]?.stringValue }).count == 2)
        let steps = try #require(elements(record["steps"]))
        #expect(steps.filter { $0["call"]?.stringValue?.hasPrefix("ping") == true }.count == 3)
        #expect(steps.allSatisfy { $0["result"]?.stringValue == "ok" })
        let bridge = try #require(record["bridge"]?["interface"]?.stringValue)
        let owner = bridge.dropLast("br".count)
        #expect(try hostLinesAfterTeardown(mentioning: String(owner)).isEmpty)
    }

    @Test("a later run sweeps what a killed bridge run left (in a throwaway namespace)", .privileged)
    func sweepsLeftovers() throws {
        let dead = "sbl-4000000-br"  // pid_max is at most 4194304; no live process has this pid here
        let script = "ip link add \(dead) type bridge && \"$0\" --quiet clean && ip -o link show"
        var request = SpawnRequest(path: "/bin/sh", arguments: ["/bin/sh", "-c", script, Built.path("sb-net")])
        request.cloneFlags = Namespace.net.cloneFlag
        let result = try ChildProcess.run(request)
        #expect(result.status == .exited(0), "\(result.stderr)")
        #expect(!result.stdout.contains(dead))
    }
}

@Suite("sb-grade 07 against real implementations", .serialized)
struct Lab07GraderTests {
    static let mistakes: [(String, Set<String>)] = [
        ("ALWAYS_ZERO", ["07.runs"]),
        ("NO_NEWNET", ["07.new-namespace"]),
        ("NO_PEER_MOVE", ["07.interfaces"]),
        ("NO_LO_UP", ["07.lo-up"]),
        ("BAD_JSON", ["07.json"]),
        ("NO_HOST_UP", ["07.ping"]),
        ("KEEP_HOLDER", ["07.cleanup-exit", "07.cleanup-killed"]),
        ("NO_PDEATHSIG", ["07.cleanup-killed"]),
    ]

    func grade07(_ implementation: String) -> Report {
        Grader.grade(Lab07.lab, context: GradeContext(implementation: implementation, rootfs: "", timeout: 20))
    }

    @Test("the reference scores 100 and the checks total 100", .privileged)
    func referencePasses() {
        #expect(Lab07.lab.checks.reduce(0) { $0 + $1.points } == 100)
        let report = grade07(Built.path("sb-net"))
        #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
    }

    @Test("the generated starter fails", .privileged)
    func starterFails() {
        let report = grade07(Built.path(Lab07.lab.starterProduct))
        #expect(report.earned < 50)
    }

    @Test("a correct C implementation scores 100; each mistake fails exactly its checks", .privileged, .withCompiler)
    func cImplementations() throws {
        var seenFailing: Set<String> = []
        try withScratchDirectory { dir in
            let report = grade07(try compileImplementation("net", define: nil, in: dir))
            #expect(report.earned == 100, "\(ReportFormat.text.render(report))")
            for (define, expected) in Lab07GraderTests.mistakes {
                let report = grade07(try compileImplementation("net", define: define, in: dir))
                #expect(failed(report) == expected, "net -D\(define): \(ReportFormat.text.render(report))")
                for id in expected {
                    let check = try #require(Lab07.lab.checks.first { $0.id == id })
                    #expect(report.result(id)?.hint == check.hint)
                }
                seenFailing.formUnion(failed(report))
            }
        }
        let every = Set(Lab07.lab.checks.map(\.id))
        #expect(seenFailing == every, "never seen failing: \(every.subtracting(seenFailing).sorted())")
        // Every broken variant ran in the grader's throwaway namespaces: the host saw none of its
        // links (named ntPID) or addresses (10.232.x.y). Other tests may add their own meanwhile.
        let after = try hostNetwork()
        #expect(!after.links.contains(": nt") && !after.addresses.contains("10.232."))
    }
}

/// The items of a JSON array (nil for anything else).
private func elements(_ json: JSON?) -> [JSON]? {
    guard case .array(let items)? = json else { return nil }
    return items
}
