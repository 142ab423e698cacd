// Starter for lab07, generated from Sources/sb-net/Bridge.swift by scripts/make-starters. Fill in the TODOs.
// sb-net bridge: two network namespaces plugged into one bridge, like docker0.
//
// A bridge is a virtual switch in the host's namespace. Docker makes one
// (docker0) and, per container, a veth pair: the container's end becomes its
// eth0, the host's end is attached to the bridge. Containers on the same
// bridge reach each other at layer 2; the bridge's own address is their gateway.
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct BridgeDemo {
    let ip: IPTool
    let narrator: Narrator

    /// One namespace on the bridge: a held child, its host-side veth end and its address.
    struct Member {
        let holder: PendingChild
        let hostEnd: String
        let address: String
    }

    func run() throws {
        Signals.forwardToChild()
        try Leftovers.sweep(ip: ip)
        let subnet = try Subnet.pick(for: getpid(), inUse: ip.quietly(["-o", "-4", "addr", "show"]))
        let bridge = Leftovers.name("br")
        try ip.run(["link", "add", bridge, "type", "bridge"])
        // Unlike a veth, a bridge dies with no namespace: it must be deleted, or
        // swept by the next run if this one is killed by SIGKILL.
        defer { _ = try? ip.run(["link", "del", bridge], place: "cleanup") }
        try ip.run(["addr", "add", subnet.cidr(1, prefix: 29), "dev", bridge])
        try ip.run(["link", "set", bridge, "up"])

        var members: [Member] = []
        // Killing a holder destroys its namespace, and the kernel deletes its veth pair.
        defer { for member in members { member.holder.abort() } }
        for (index, role) in ["a", "b"].enumerated() {
            members.append(try plug(role: role, bridge: bridge, address: subnet.cidr(UInt32(index + 2), prefix: 29)))
            if Signals.caught != 0 { throw ExitCode(128 + Signals.caught) }
        }
        let ports = try ip.quietly(["-o", "link", "show", "master", bridge]).split(separator: "\n").map {
            String($0.split(separator: ":")[1].trimmingWhitespace().split(separator: "@")[0])
        }
        narrator.observe(
            "bridge: ", "\(bridge) (\(subnet.cidr(1, prefix: 29))), ports: \(ports.joined(separator: ", "))")
        for (from, to) in [(members[0], members[1]), (members[1], members[0])] {
            try insideNetwork(of: from.holder.pid, narrator: narrator) {
                try Ping.once(
                    to: address(of: to), from: "\(from.hostEnd) side → \(to.hostEnd) side", narrator: narrator)
            }
        }
        try Ping.once(to: address(of: members[0]), from: "host → \(members[0].hostEnd) side", narrator: narrator)
        narrator.explain("two namespaces, one switch: this is the default `docker run` network (docker0).")
        narrator.fact(
            "bridge", .object([("interface", .string(bridge)), ("address", .string(subnet.cidr(1, prefix: 29)))]))
        narrator.fact(
            "members",
            .array(
                try members.map { member in
                    .object([
                        ("pid", .int(Int(member.holder.pid))),
                        ("net", .string(try NamespaceID.of(pid: "\(member.holder.pid)", .net).description)),
                        ("host", .string(member.hostEnd)), ("address", .string(member.address)),
                    ])
                }))
        narrator.emitRecord()
    }

    /// A new namespace held by a child that waits for a "go" it never gets,
    /// joined to the bridge by a veth pair.
    func plug(role: String, bridge: String, address: String) throws -> Member {
        var request = SpawnRequest(path: "/bin/true", arguments: ["true"])
        request.cloneFlags = Namespace.net.cloneFlag
        let holder = try narrator.step(
            "clone(\(NamespaceFlags.names(request.cloneFlags)))", detail: "namespace \(role)"
        ) {
            try Spawn.clone(request)
        }
        let hostEnd = Leftovers.name(role)
        do {
            try ip.run(["link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", "\(holder.pid)"])
            try ip.run(["link", "set", hostEnd, "master", bridge])
            try ip.run(["link", "set", hostEnd, "up"])
            try insideNetwork(of: holder.pid, narrator: narrator) {
                try ip.run(["link", "set", "lo", "up"], place: "inside \(role)")
                try ip.run(["addr", "add", address, "dev", "eth0"], place: "inside \(role)")
                try ip.run(["link", "set", "eth0", "up"], place: "inside \(role)")
            }
        } catch {
            holder.abort()
            throw error
        }
        return Member(holder: holder, hostEnd: hostEnd, address: address)
    }

    func address(of member: Member) -> String { String(member.address.split(separator: "/")[0]) }
}
