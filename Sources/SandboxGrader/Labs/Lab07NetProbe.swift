import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// A run inside a throwaway network namespace, so the implementation's "host"
/// is a namespace the grader made and every link or address it leaves dies
/// with it. The wrapper shell is that namespace's first process. After the
/// implementation exits it waits (up to 5 s: namespaces are torn down
/// asynchronously) until nothing but `lo` is left, then reports on fd 3 what
/// is still there.
struct ContainedNetRun {
    /// The namespace the implementation was started in.
    let startingNamespace: NamespaceID
    let child: ChildProcess

    static let wrapper = """
        "$@" 3>&-; status=$?; i=0
        left() { ip -o link show | grep -v ': lo:'; ip -o addr show | grep -v '^1: lo '; }
        while [ $i -lt 50 ] && [ -n "$(left)" ]; do sleep 0.1; i=$((i+1)); done
        left >&3; exit $status
        """

    init(_ probe: Probe, _ arguments: [String]) throws {
        let jail = try Jail(
            probe, cloneFlags: Namespace.net.cloneFlag, watching: .net, wrapper: ContainedNetRun.wrapper,
            name: "sb-grade-net-jail", arguments)
        (startingNamespace, child) = (jail.startingNamespace, jail.child)
    }

    /// Waits for the end, then kills whatever the implementation left in the
    /// wrapper's process group (a namespace holder it forgot).
    func finish(timeout: Double) -> ChildProcess.Result {
        let result = child.finish(timeout: timeout)
        kill(-child.pid, SIGKILL)
        return result
    }

    /// Reads the payload's pid, inspects while it runs, then finishes as above.
    func inspect<T>(timeout: Double, _ body: (pid_t) throws -> T) throws -> (value: T, result: ChildProcess.Result) {
        defer { kill(-child.pid, SIGKILL) }
        return try Probe.inspect(child, timeout: timeout, skipLines: 0) { pid, _ in try body(pid) }
    }

    /// What the wrapper found left in its namespace: `ip -o` lines other than lo's.
    static func leftovers(_ result: ChildProcess.Result) -> [String] {
        result.report.split(separator: "\n").map { line in
            String(line.split(separator: "\\")[0]).trimmingWhitespace()
        }.filter { !$0.isEmpty }
    }
}

/// The grader's view of another process's network namespace: `ip` and `ping`
/// run as children through `nsenter --net=/proc/PID/ns/net`, so the grader
/// itself never joins a namespace.
enum NetView {
    /// One link as `ip -o -d link` shows it.
    struct Link: CustomStringConvertible {
        var name: String
        var isUp: Bool
        var isVeth: Bool
        var description: String { name + (isVeth ? " (veth)" : "") + (isUp ? " UP" : " DOWN") }
    }

    /// An end from the --json record: `{"interface": "eth0", "address": "10.0.0.2/30"}`.
    struct End: CustomStringConvertible {
        var interface: String
        var cidr: String
        var address: String { String(cidr.split(separator: "/")[0]) }
        var description: String { "\(cidr) on \(interface)" }

        init?(_ json: JSON?) {
            guard let interface = json?["interface"]?.stringValue, let cidr = json?["address"]?.stringValue else {
                return nil
            }
            self.interface = interface
            self.cidr = cidr
        }
    }

    static func tool(_ name: String) -> String {
        Sys.resolveExecutable(name, searchPath: (Sys.getenv("PATH") ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin") ?? name
    }

    /// Runs ARGS in the network namespace of `pid`.
    static func run(in pid: pid_t, _ arguments: [String]) throws -> ChildProcess.Result {
        let nsenter = tool("nsenter")
        let argv = [nsenter, "--net=/proc/\(pid)/ns/net"] + arguments
        return try ChildProcess.run(SpawnRequest(path: nsenter, arguments: argv), timeout: 15)
    }

    static func links(of pid: pid_t) throws -> [Link] {
        let result = try run(in: pid, [tool("ip"), "-o", "-d", "link", "show"])
        return result.stdout.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: ":", maxSplits: 2)
            guard fields.count == 3 else { return nil }
            let name = String(fields[1].trimmingWhitespace().split(separator: "@")[0])
            let flags = fields[2].split(separator: ">")[0].split(separator: ",")
            let words = fields[2].split(whereSeparator: { $0 == " " || $0 == "\\" })
            return Link(name: name, isUp: flags.contains("UP"), isVeth: words.contains("veth"))
        }
    }

    /// "10.0.0.2/30 on eth0" for every IPv4 address in the namespace of `pid`.
    static func addresses(of pid: pid_t) throws -> [String] {
        let result = try run(in: pid, [tool("ip"), "-o", "-4", "addr", "show"])
        return result.stdout.split(separator: "\n").compactMap { line in
            let words = line.split(separator: " ")
            guard words.count > 3, let index = words.firstIndex(of: "inet"), index + 1 < words.count else {
                return nil
            }
            return "\(words[index + 1]) on \(words[1])"
        }
    }

    /// Whether one echo request from the namespace of `pid` to `address` is answered.
    static func ping(_ address: String, from pid: pid_t) throws -> Bool {
        let ping = tool("ping")
        let argv = ping != "ping" ? [ping] : [tool("busybox"), "ping"]
        return try run(in: pid, argv + ["-c", "1", "-W", "3", address]).status == .exited(0)
    }
}
