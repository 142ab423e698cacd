// Starter for lab05, generated from Sources/sb-mount/Propagation.swift by scripts/make-starters. Fill in the TODOs.
// sb-mount propagation: which way do mounts travel between two namespaces?
//
// Namespace A gets a scratch tmpfs with three mount points: shared/, private/
// and slave/. Namespace B is made from A, so it starts with copies of all
// three. Then B mounts something inside each, and A does the same; each side
// looks at the other's mount table:
//
//   shared   peers: a mount made on either side appears on the other
//   private  nothing crosses, in either direction
//   slave    B's copy receives A's mounts, but B's own stay in B
//
// Everything happens in a child process whose namespaces die with it; the
// only trace on the host is one empty directory under /tmp, removed at the end.
import ArgumentParser
import SandboxCore
import SandboxMounts
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct PropagationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "propagation",
        abstract: "Show shared, private and slave propagation between two mount namespaces.",
        discussion: """
            Example (as root):
              sb-mount propagation

            `docker run -v /data:/data:rslave` and `--mount ...,bind-propagation=rshared`
            choose exactly these kinds for a volume.
            """
    )

    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        let scratch: String
        do {
            scratch = try Sys.makeTemporaryDirectory("/tmp/sb-mount-")
        } catch {
            Terminal.reportError(tool: "sb-mount", error)
            throw ExitCode(125)
        }
        defer { rmdir(scratch) }
        try requireSingleThreaded("fork")
        fflush(nil)
        // The demo runs in a child: when it exits, both namespaces and every mount in them go too.
        let pid = fork()
        if pid == 0 {
            let code: Int32
            do {
                try PropagationDemo(scratch: scratch, narrator: narrator).run()
                code = 0
            } catch {
                Terminal.reportError(tool: "sb-mount", error)
                code = 125
            }
            Glibc.exit(code)
        }
        guard pid > 0 else {
            Terminal.reportError(tool: "sb-mount", SyscallError(call: "fork", errno: .init(rawValue: errno)))
            throw ExitCode(125)
        }
        let status = try Sys.waitpid(pid)
        if status.shellCode != 0 { throw ExitCode(status.shellCode) }
    }
}

/// The demo itself, run in the child.
struct PropagationDemo {
    let scratch: String
    let narrator: Narrator
    static let kinds: [(name: String, flag: MountFlags)] = [
        ("shared", .shared), ("private", .private), ("slave", .shared),
    ]

    func run() throws {
        let a = try makeNamespaceA()
        // B is made from A: copies of A's mounts, the shared ones as peers.
        try narrator.step("unshare(CLONE_NEWNS)", detail: "namespace B, a copy of A") { try unshare([.mnt]) }
        try narrator.step("mount(NULL, \"\(scratch)/slave\", NULL, MS_SLAVE, NULL)", detail: "in B") {
            try Mounts.setPropagation(scratch + "/slave", .slave, recursive: false)
        }
        let b = try NamespaceFile(.mnt)
        try mountEach(named: "from-b", in: "B")
        try narrator.step("setns(A)") { try setns(a, .mnt) }
        let seenInA = try lookFor("from-b")
        try mountEach(named: "from-a", in: "A")
        try narrator.step("setns(B)") { try setns(b, .mnt) }
        let seenInB = try lookFor("from-a")
        report(seenInA: seenInA, seenInB: seenInB)
        narrator.emitRecord()
    }

    /// A: our own namespace, cut off from the host, with the three mount points.
    func makeNamespaceA() throws -> NamespaceFile {
        try narrator.step("unshare(CLONE_NEWNS)", detail: "namespace A") { try unshare([.mnt]) }
        try narrator.step("mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)", detail: "nothing reaches the host") {
            try Mounts.setPropagation("/", .private)
        }
        try narrator.step(Mounts.describe(source: "sb-demo", target: scratch, type: "tmpfs", flags: [], data: nil)) {
            try Mounts.mount(source: "sb-demo", target: scratch, type: "tmpfs")
        }
        for kind in PropagationDemo.kinds {
            let point = scratch + "/" + kind.name
            try Sys.mkdir(point)
            try narrator.step(Mounts.describe(source: kind.name, target: point, type: "tmpfs", flags: [], data: nil)) {
                try Mounts.mount(source: kind.name, target: point, type: "tmpfs")
                try Sys.mkdir(point + "/from-a")
                try Sys.mkdir(point + "/from-b")
            }
            try narrator.step("mount(NULL, \"\(point)\", NULL, \(kind.flag), NULL)") {
                try Mounts.setPropagation(point, kind.flag, recursive: false)
            }
        }
        narrator.explain("slave/ is shared in A for now: B's copy becomes its slave")
        return try NamespaceFile(.mnt)
    }

    /// Mounts a small tmpfs at KIND/NAME for each kind, in the current namespace.
    func mountEach(named name: String, in side: String) throws {
        for kind in PropagationDemo.kinds {
            let target = "\(scratch)/\(kind.name)/\(name)"
            try narrator.step(Mounts.describe(source: name, target: target, type: "tmpfs", flags: [], data: nil)) {
                try Mounts.mount(source: name, target: target, type: "tmpfs")
            }
        }
    }

    /// Which kinds have a mount at KIND/NAME in the current namespace's table.
    func lookFor(_ name: String) throws -> Set<String> {
        let points = Set(try MountInfo.read().map(\.mountPoint))
        return Set(PropagationDemo.kinds.map(\.name).filter { points.contains("\(scratch)/\($0)/\(name)") })
    }

    func report(seenInA: Set<String>, seenInB: Set<String>) {
        func yes(_ seen: Bool) -> String { seen ? "yes" : "no " }
        narrator.observe("        ", "B's mount seen in A   A's mount seen in B")
        var facts: [(String, JSON)] = []
        for kind in PropagationDemo.kinds.map(\.name) {
            let toA = seenInA.contains(kind)
            let toB = seenInB.contains(kind)
            let label = kind.padding(to: 8)
            narrator.observe(label, "\(yes(toA))                   \(yes(toB))")
            facts.append((kind, .object([("b_to_a", .bool(toA)), ("a_to_b", .bool(toB))])))
        }
        narrator.explain("files are shared either way (one tmpfs); what propagation decides is where MOUNTS appear.")
        narrator.fact("propagation", .object(facts))
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
