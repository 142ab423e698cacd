// Starter for lab03, generated from Sources/sb-uts/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-uts: run a command in a new UTS namespace, with its own hostname.
//
// The UTS namespace holds two strings: the hostname and the NIS domain name
// (uname(2)'s "nodename" and "domainname"). Docker gives every container one,
// which is why `docker run --hostname web1` does not rename your machine.
//
// Two ways in, both shown here:
//   --method unshare  this process calls unshare(CLONE_NEWUTS), sets the
//                     hostname, then execs the command (what unshare(1) does)
//   --method clone    a child is cloned straight into a new UTS namespace and
//                     sets the hostname before exec; the parent stays outside
//                     and waits (the shape of a runtime starting a container)
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct UTSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-uts",
        abstract: "Run a command in a new UTS namespace with its own hostname.",
        discussion: """
            The hostname lives in a UTS namespace. A new one starts as a copy of the
            old; changing it inside leaves the host's hostname untouched.

            Examples (as root):
              sb-uts --hostname lab-box -- hostname
              sb-uts --method clone --hostname lab-box -- /bin/sh -c 'hostname; readlink /proc/self/ns/uts'

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-uts itself failed, 126 if the command could not run, 127 if it
            was not found, 64 on a usage error.
            """
    )

    @Option(help: "The hostname inside the new namespace (at most 64 bytes).")
    var hostname = "lab-box"

    @Option(help: "How to make the namespace: unshare (this process) or clone (a new child).")
    var method: Method = .unshare

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (steps, inside/outside hostname and namespace) as the first line.")
    var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    enum Method: String, ExpressibleByArgument, CaseIterable { case unshare, clone }

    func validate() throws {
        if hostname.isEmpty || hostname.utf8.count > 64 {
            throw ValidationError("--hostname must be 1 to 64 bytes (HOST_NAME_MAX), got \(hostname.utf8.count)")
        }
    }

    func run() throws {
        let narrator = Narrator(tool: "sb-uts", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        do {
            let path = try Sys.resolveCommand(argv[0])
            // What the world looks like before we change anything.
            let outside = (hostname: Sys.hostname(), uts: try NamespaceID.of(.uts))
            narrator.fact("method", .string(method.rawValue))
            switch method {
            case .unshare: try runByUnshare(path: path, argv: argv, outside: outside, narrator: narrator)
            case .clone: try runByClone(path: path, argv: argv, outside: outside, narrator: narrator)
            }
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-uts", error)
            throw ExitCode(error.commandExitStatus)
        } catch let exit as ExitCode {
            throw exit
        } catch {
            Terminal.reportError(tool: "sb-uts", error)
            throw ExitCode(125)
        }
    }

    /// This process enters the new namespace itself, then becomes the command.
    func runByUnshare(path: String, argv: [String], outside: (hostname: String, uts: NamespaceID), narrator: Narrator)
        throws
    {
        // TODO(lab03): Give this process its own UTS namespace with unshare(2), then set the
        //   hostname in it with sethostname(2). Order matters: set it before unsharing and you
        //   rename the host.
        let inside = (hostname: Sys.hostname(), uts: try NamespaceID.of(.uts))
        narrator.observe("inside: ", "hostname = \(inside.hostname)    \(inside.uts)  (/proc/self/ns/uts now)")
        narrator.observe("outside:", "hostname = \(outside.hostname)    \(outside.uts)  (/proc/self/ns/uts before)")
        narrator.explain(
            inside.uts != outside.uts
                ? "different inodes: a new UTS namespace. The host keeps its hostname."
                : inside.hostname != outside.hostname
                    ? "same namespace as before: the hostname change is visible to the whole host!"
                    : "same namespace and same hostname as before: nothing was isolated yet.")
        report(inside: inside, outside: outside, pid: nil, narrator: narrator)
        narrator.record(call: Narrator.execveCall(path, argv), result: "…")
        narrator.emitRecord()
        try Sys.execve(path, arguments: argv, environment: Sys.environment())
    }

    /// A child is cloned into the new namespace; we stay outside and wait for it.
    func runByClone(path: String, argv: [String], outside: (hostname: String, uts: NamespaceID), narrator: Narrator)
        throws
    {
        var request = SpawnRequest(path: path, arguments: argv)
        // TODO(lab03): Ask clone(2) for a new UTS namespace for the child, and have the child set
        //   the hostname before it execs.
        let child = try narrator.step("clone(\(NamespaceFlags.names(request.cloneFlags)))") { try Spawn.clone(request) }
        // The child waits for "go": its namespace already exists, so we can look at it from outside.
        let inside = (
            hostname: request.hostname ?? outside.hostname, uts: try NamespaceID.of(pid: "\(child.pid)", .uts)
        )
        narrator.observe("child:  ", "pid \(child.pid)    \(inside.uts)  (/proc/\(child.pid)/ns/uts)")
        narrator.observe("parent: ", "hostname = \(outside.hostname)    \(outside.uts)  (/proc/self/ns/uts)")
        report(inside: inside, outside: outside, pid: child.pid, narrator: narrator)
        let childSteps = (request.hostname.map { ["sethostname(\"\($0)\")"] } ?? []) + [Narrator.execveCall(path, argv)]
        narrator.record(call: "child: " + childSteps.joined(separator: ", "), result: "…")
        narrator.emitRecord()
        try child.go()
        let status = try Sys.waitpid(child.pid)
        narrator.observe("child:  ", "\(status); host hostname is still \(Sys.hostname())")
        if status.shellCode != 0 { throw ExitCode(status.shellCode) }
    }

    /// The facts of the JSON record: what a grader compares with the kernel's view.
    func report(
        inside: (hostname: String, uts: NamespaceID), outside: (hostname: String, uts: NamespaceID), pid: pid_t?,
        narrator: Narrator
    ) {
        func side(_ values: (hostname: String, uts: NamespaceID)) -> JSON {
            .object([("hostname", .string(values.hostname)), ("uts", .string(values.uts.description))])
        }
        if let pid { narrator.fact("pid", .int(Int(pid))) }
        narrator.fact("inside", side(inside))
        narrator.fact("outside", side(outside))
    }
}
UTSCommand.main()
