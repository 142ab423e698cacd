// Starter for lab07, generated from Sources/sb-net/Links.swift by scripts/make-starters. Fill in the TODOs.
// The tools sb-net uses to wire network namespaces: iproute2's `ip` run as a
// child process (every call narrated), a way to run commands inside another
// process's network namespace, a private subnet per run, and the sweep that
// removes what a killed run left behind.
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Why configuring the network failed, beyond a single system call.
enum NetError: Error, CustomStringConvertible {
    /// A helper program exited with an error.
    case command([String], String)
    /// A program the demo needs is not installed.
    case missingTool(String, package: String)
    /// Every candidate subnet overlapped an address already on this host.
    case noFreeSubnet

    var description: String {
        switch self {
        case .command(let argv, let stderr):
            "\(argv.joined(separator: " ")) failed: \(stderr.trimmingWhitespace())"
        case .missingTool(let name, let package):
            "\(name) not found on PATH: install the Debian package \(package) (scripts/setup does)"
        case .noFreeSubnet: "no free /29 in 10.231.0.0/16: remove leftover test addresses (ip -o addr)"
        }
    }
}

/// iproute2's `ip`, run as a child process that inherits our network namespace.
///
/// We could speak rtnetlink ourselves; calling `ip` instead keeps every step a
/// command the student can type, and it is what `ip` prints that we narrate.
struct IPTool {
    let path: String
    let narrator: Narrator

    init(narrator: Narrator) throws {
        // /usr/sbin too: an ordinary user's PATH often lacks it, and sudo's may.
        let searchPath = (Sys.getenv("PATH") ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        guard let path = Sys.resolveExecutable("ip", searchPath: searchPath) else {
            throw NetError.missingTool("ip", package: "iproute2")
        }
        self.path = path
        self.narrator = narrator
    }

    /// Runs `ip ARGS`, narrated as one step; `place` says which namespace it acts in.
    @discardableResult
    func run(_ arguments: [String], place: String? = nil) throws -> String {
        try narrator.step("ip " + arguments.joined(separator: " "), detail: place) { try quietly(arguments) }
    }

    /// Runs `ip ARGS` without narration: for reading state (`ip -o link`).
    func quietly(_ arguments: [String]) throws -> String {
        let result = try ChildProcess.run(SpawnRequest(path: path, arguments: ["ip"] + arguments), timeout: 30)
        guard result.status == .exited(0) else { throw NetError.command(["ip"] + arguments, result.stderr) }
        return result.stdout
    }

    /// The names of this namespace's links, from `ip -o link` ("eth0@if5" → "eth0").
    func linkNames() throws -> [String] {
        try quietly(["-o", "link", "show"]).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count >= 2 else { return nil }
            return String(fields[1].trimmingWhitespace().split(separator: "@")[0])
        }
    }

    /// One line per link: "lo DOWN", "eth0 UP", from the link's flags.
    func linkStates() throws -> [String] {
        try quietly(["-o", "link", "show"]).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count == 3 else { return nil }
            let name = fields[1].trimmingWhitespace().split(separator: "@")[0]
            let flags = fields[2].split(separator: ">")[0]
            return "\(name) " + (flags.split(separator: ",").contains("UP") ? "UP" : "DOWN")
        }
    }
}

/// Runs `body` with this process in the network namespace of `pid`, then comes back.
///
/// setns(2) moves only the calling thread, which is why sb-net stays
/// single-threaded: every child it starts meanwhile (an `ip`, a `ping`) is
/// born in the namespace we joined. The way back is an fd of our own
/// namespace, opened before we leave it.
func insideNetwork<T>(of pid: pid_t, narrator: Narrator, _ body: () throws -> T) throws -> T {
    let home = try NamespaceFile(.net)
    let target = try NamespaceFile(pid: "\(pid)", .net)
    try narrator.step("setns(/proc/\(pid)/ns/net, CLONE_NEWNET)") { try setns(target, .net) }
    let value: T
    do {
        value = try body()
    } catch {
        try setns(home, .net)
        throw error
    }
    try narrator.step("setns(<our own net namespace>, CLONE_NEWNET)", detail: "back outside") {
        try setns(home, .net)
    }
    return value
}

/// A private /29 of 10.231.0.0/16 for one run: .1 the host side, .2 and .3 the namespaces.
///
/// Chosen from our pid so parallel runs differ, and checked against the
/// addresses this host already has, so we never shadow a real network.
struct Subnet {
    let base: UInt32

    /// "10.231.X.Y" for host number `index` inside the block.
    func address(_ index: UInt32) -> String {
        let value = base + index
        return [24, 16, 8, 0].map { String((value >> UInt32($0)) & 0xff) }.joined(separator: ".")
    }

    /// The address with its prefix length, as `ip addr add` wants it.
    func cidr(_ index: UInt32, prefix: Int) -> String { address(index) + "/\(prefix)" }

    /// The first free block at or after the one `pid` points to; `inUse` is `ip -o -4 addr` output.
    static func pick(for pid: pid_t, inUse: String) throws -> Subnet {
        let taken = inUse.split(separator: "\n").compactMap { line -> (UInt32, Int)? in
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "inet"), index + 1 < words.count else { return nil }
            return parse(String(words[index + 1]))
        }
        for offset in 0..<64 {
            let block = (UInt32(pid) &+ UInt32(offset)) % 8192
            let candidate = (UInt32(10) << 24 | UInt32(231) << 16) + block * 8
            let clash = taken.contains { address, length in
                let common = min(length, 29)
                let mask: UInt32 = common == 0 ? 0 : ~UInt32(0) << UInt32(32 - common)
                return address & mask == candidate & mask
            }
            if !clash { return Subnet(base: candidate) }
        }
        throw NetError.noFreeSubnet
    }

    /// "192.0.2.2/24" → (address, 24).
    static func parse(_ text: String) -> (UInt32, Int)? {
        let parts = text.split(separator: "/")
        let octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 < 256 }) else { return nil }
        let length = parts.count > 1 ? Int(parts[1]) ?? 32 : 32
        return (octets.reduce(0) { $0 << 8 | $1 }, length)
    }
}

/// Links of sb-net are named `sbl-<pid of the sb-net that made them>-<role>`,
/// at most 15 bytes (IFNAMSIZ - 1). A veth pair disappears by itself when the
/// namespace holding one end dies, but a bridge lives in the host namespace
/// until someone deletes it: a run killed by SIGKILL cannot, so the next run
/// removes every `sbl-` link whose owner is no longer alive.
enum Leftovers {
    static func name(_ role: String, owner: pid_t = getpid()) -> String { "sbl-\(owner)-\(role)" }

    /// Deletes `sbl-PID-*` links whose PID is gone; returns their names.
    @discardableResult
    static func sweep(ip: IPTool) throws -> [String] {
        var removed: [String] = []
        for name in try ip.linkNames() where name.hasPrefix("sbl-") {
            let owner = name.split(separator: "-").dropFirst().first.flatMap { pid_t($0) }
            if let owner, owner == getpid() || Sys.exists("/proc/\(owner)") { continue }
            // Gone already when it was the other end of a veth we just deleted.
            if (try? ip.run(["link", "del", name], place: "leftover of a killed run")) != nil {
                removed.append(name)
            }
        }
        return removed
    }
}

/// `ping`, or busybox's, for one packet with a short timeout.
enum Ping {
    static func command(to address: String) -> [String]? {
        let path = Sys.getenv("PATH") ?? "/usr/bin:/bin"
        if let ping = Sys.resolveExecutable("ping", searchPath: path) { return [ping, "-c", "1", "-W", "2", address] }
        if let busybox = Sys.resolveExecutable("busybox", searchPath: path) {
            return [busybox, "ping", "-c", "1", "-W", "2", address]
        }
        return nil
    }

    /// Sends one echo request from the current network namespace; narrated.
    static func once(to address: String, from place: String, narrator: Narrator) throws {
        guard let argv = command(to: address) else {
            narrator.explain("no ping (iputils-ping or busybox) on PATH: skipping the ping to \(address)")
            return
        }
        try narrator.step("ping -c 1 \(address)", detail: place) {
            let result = try ChildProcess.run(SpawnRequest(path: argv[0], arguments: argv), timeout: 10)
            guard result.status == .exited(0) else { throw NetError.command(argv, result.stdout + result.stderr) }
        }
    }
}
