// sb-net: run a command in a new network namespace, wired to the host by a veth pair.
//
// A network namespace holds its own network devices, addresses, routes,
// firewall rules, sockets and /proc/net. A new one holds a single device, the
// loopback `lo`, and it is down: nothing can talk to anything. Docker then
// does what this program does:
//   1. clone(CLONE_NEWNET): the container's process gets an empty namespace;
//   2. a veth pair (a virtual cable): one end stays on the host, the other is
//      moved into the container's namespace and called eth0;
//   3. addresses on both ends, links up, lo up;
//   4. `sb-net bridge`: several namespaces plugged into one bridge, like docker0.
// When the last process of a namespace exits, the kernel destroys it and every
// veth end inside, and with it the other end on the host.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct NetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-net",
        abstract: "Run a command in a new network namespace connected to the host by a veth pair.",
        discussion: """
            A new network namespace has only a loopback device, down. sb-net clones the
            command into one, connects it to the host with a veth pair on a private /30
            of 10.231.0.0/16, pings both ways, then runs the command.

            Modes:
              veth    (default) one namespace and a veth pair to the host, then the command
              bridge  two namespaces plugged into one bridge, like docker0; they ping each other
              clean   remove sbl-* links left by runs that were killed with SIGKILL

            Examples (as root):
              sb-net veth -- ip addr
              sb-net --json veth -- cat /proc/net/dev
              sb-net bridge

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-net itself failed, 126 if the command could not run, 127 if it
            was not found, 64 on a usage error. Every link and address is removed on
            exit, on failure, and on SIGINT/SIGTERM (forwarded to the command).
            """
    )

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (namespaces, interfaces, addresses) as the first line.")
    var json = false

    @Argument(help: "veth, bridge or clean.")
    var mode: Mode = .veth

    @Argument(parsing: .postTerminator, help: "The command to run after -- (veth mode), default /bin/sh.")
    var command: [String] = []

    enum Mode: String, ExpressibleByArgument, CaseIterable { case veth, bridge, clean }

    func run() throws {
        let narrator = Narrator(tool: "sb-net", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        do {
            try requireSingleThreaded("sb-net")
            let ip = try IPTool(narrator: narrator)
            switch mode {
            case .clean:
                let removed = try Leftovers.sweep(ip: ip)
                narrator.fact("removed", .array(removed.map { .string($0) }))
                narrator.explain(removed.isEmpty ? "nothing left over." : "removed \(removed.count) link(s).")
                narrator.emitRecord()
            case .bridge: try BridgeDemo(ip: ip, narrator: narrator).run()
            case .veth: try runVeth(argv: argv, ip: ip, narrator: narrator)
            }
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-net", error)
            throw ExitCode(error.commandExitStatus)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.reportError(tool: "sb-net", error)
            throw ExitCode(125)
        }
    }

    /// Clones the command into a new network namespace, wires it, lets it run, cleans up.
    func runVeth(argv: [String], ip: IPTool, narrator: Narrator) throws {
        let path = try Sys.resolveCommand(argv[0])
        Signals.forwardToChild()
        try Leftovers.sweep(ip: ip)
        let subnet = try Subnet.pick(for: getpid(), inUse: ip.quietly(["-o", "-4", "addr", "show"]))
        let (hostEnd, insideEnd) = (Leftovers.name("h"), "eth0")
        let (hostAddress, insideAddress) = (subnet.cidr(1, prefix: 30), subnet.cidr(2, prefix: 30))
        let outside = try NamespaceID.of(.net)

        var request = SpawnRequest(path: path, arguments: argv)
        // BEGIN SOLUTION lab07: Ask clone(2) for a new network namespace for the command (CLONE_NEWNET). It waits for go() while we wire it.
        request.cloneFlags = Namespace.net.cloneFlag
        // END SOLUTION
        let child = try narrator.step("clone(\(NamespaceFlags.names(request.cloneFlags)))") { try Spawn.clone(request) }
        // However we leave (error, signal, normal end): delete the host end, which
        // takes the other end with it. If the namespace already died, the kernel did it.
        defer { _ = try? ip.quietly(["link", "del", hostEnd]) }
        let inside = try NamespaceID.of(pid: "\(child.pid)", .net)
        narrator.observe("child:  ", "pid \(child.pid)    \(inside)  (/proc/\(child.pid)/ns/net)")
        narrator.observe("host:   ", "\(outside)  (/proc/self/ns/net)")
        let before = try insideNetwork(of: child.pid, narrator: .init(tool: "sb-net", mode: .quiet)) {
            try ip.linkStates()
        }
        narrator.observe("inside: ", before.joined(separator: ", ") + "  (a new namespace: only lo, and it is down)")

        // BEGIN SOLUTION lab07: Create a veth pair whose second end is born in the child's namespace (ip link add HOST type veth peer name eth0 netns PID), give the host end its address and bring it up.
        try ip.run(["link", "add", hostEnd, "type", "veth", "peer", "name", insideEnd, "netns", "\(child.pid)"])
        try ip.run(["addr", "add", hostAddress, "dev", hostEnd])
        try ip.run(["link", "set", hostEnd, "up"])
        // END SOLUTION
        try insideNetwork(of: child.pid, narrator: narrator) {
            // BEGIN SOLUTION lab07: Inside the namespace: bring lo up, give eth0 its address and bring it up.
            try ip.run(["link", "set", "lo", "up"], place: "inside")
            try ip.run(["addr", "add", insideAddress, "dev", insideEnd], place: "inside")
            try ip.run(["link", "set", insideEnd, "up"], place: "inside")
            // END SOLUTION
            try Ping.once(to: subnet.address(1), from: "inside → host", narrator: narrator)
            narrator.observe("inside: ", try ip.linkStates().joined(separator: ", "))
        }
        try Ping.once(to: subnet.address(2), from: "host → inside", narrator: narrator)
        narrator.explain("one cable, two namespaces: only these two addresses can reach each other through it.")

        narrator.fact("pid", .int(Int(child.pid)))
        narrator.fact("net", .object([("inside", .string("\(inside)")), ("outside", .string("\(outside)"))]))
        narrator.fact("host", end(hostEnd, hostAddress))
        narrator.fact("inside", end(insideEnd, insideAddress))
        narrator.record(call: "child: " + Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        if Signals.caught != 0 { throw ExitCode(128 + Signals.caught) }
        Signals.target = child.pid
        try child.go()
        let status = try Sys.waitpid(child.pid)
        Signals.target = 0
        narrator.observe("child:  ", "\(status); its namespace is gone, and with it both veth ends")
        if status.shellCode != 0 { throw ExitCode(status.shellCode) }
    }

    func end(_ interface: String, _ address: String) -> JSON {
        .object([("interface", .string(interface)), ("address", .string(address))])
    }
}

/// SIGINT, SIGTERM and SIGHUP must not kill sb-net before it cleaned up: they
/// are recorded, and passed on to the command once it runs. The handler only
/// reads and writes two words and calls kill(2), which is async-signal-safe.
enum Signals {
    nonisolated(unsafe) static var target: pid_t = 0
    nonisolated(unsafe) static var caught: Int32 = 0

    static func forwardToChild() {
        for signal in [SIGINT, SIGTERM, SIGHUP] {
            _ = Glibc.signal(signal) { number in
                Signals.caught = number
                if Signals.target > 0 { _ = Glibc.kill(Signals.target, number) }
            }
        }
    }
}

NetCommand.main()
