// Starter for lab03, generated from Sources/sb-ipc/main.swift by scripts/make-starters. Fill in the TODOs.
// sb-ipc: run a command in a new IPC namespace, and show what it isolates.
//
// An IPC namespace holds the System V IPC objects (message queues, semaphore
// sets, shared memory segments: msgget(2), semget(2), shmget(2)) and the POSIX
// message queues (mq_open(3)). Docker gives every container one, so two
// containers that both use key 0x1234 get two different objects, and a
// container cannot read the host's shared memory. `docker run --ipc=host`
// turns that off; `--ipc=container:NAME` shares one namespace between two.
//
// What this demo does, step by step:
//   1. outside: make a message queue with key K and a POSIX queue
//   2. unshare(CLONE_NEWIPC)                       <- the lab's one line
//   3. inside: neither is there; make K again (queue, semaphores, memory)
//   4. setns(2) back outside: the host has its K, not ours; remove its objects
//   5. setns(2) inside again, remove ours, exec the command inside
import ArgumentParser
import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

struct IPCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-ipc",
        abstract: "Run a command in a new IPC namespace (System V IPC and POSIX message queues).",
        discussion: """
            A new IPC namespace starts empty: the host's message queues, semaphores and
            shared memory are not there, and what is made inside never shows outside.
            Before running the command, sb-ipc proves it with a queue of the same key on
            both sides, and removes every object it made.

            Examples (as root):
              sb-ipc -- ipcs -q
              sb-ipc -- /bin/sh -c 'ipcmk -Q; cat /proc/sysvipc/msg; readlink /proc/self/ns/ipc'

            Output: narration on stdout (--quiet: none; --json: one JSON record as the
            first line), then the command's own output. Exit status: the command's;
            125 if sb-ipc itself failed, 126 if the command could not run, 127 if it
            was not found, 64 on a usage error.
            """
    )

    @Flag(help: "Print nothing of our own; only the command's output.")
    var quiet = false

    @Flag(help: "Print one JSON record (steps, inside/outside IPC namespace) as the first line.")
    var json = false

    @Argument(parsing: .postTerminator, help: "The command to run after --, default /bin/sh.")
    var command: [String] = []

    func run() throws {
        let narrator = Narrator(tool: "sb-ipc", mode: .from(quiet: quiet, json: json))
        let argv = command.isEmpty ? ["/bin/sh"] : command
        let demo = IPCDemo(narrator: narrator)
        do {
            let path = try Sys.resolveCommand(argv[0])  // before any IPC object exists
            try demo.run()
            narrator.record(call: Narrator.execveCall(path, argv), result: "…")
            narrator.emitRecord()
            try Sys.execve(path, arguments: argv, environment: Sys.environment())
        } catch let error as SyscallError where error.call == "execve" {
            Terminal.reportError(tool: "sb-ipc", error)
            throw ExitCode(error.commandExitStatus)
        } catch {
            demo.cleanUpAfterFailure()
            Terminal.reportError(tool: "sb-ipc", error)
            throw ExitCode(125)
        }
    }
}

/// The demonstration: objects on both sides, each side blind to the other's.
///
/// It owns every object it makes and removes each one in the namespace it
/// lives in, also when a step fails: System V objects outlive their creator
/// (until IPC_RMID or reboot), so a crashed demo would otherwise leak them.
final class IPCDemo {
    let narrator: Narrator
    /// The same key on both sides: in one namespace the second msgget(IPC_EXCL) would fail with EEXIST.
    let key: key_t = key_t(bitPattern: 0x5b1a_0000 | (UInt32(getpid()) & 0xffff))
    let hostQueueName = "/sb-ipc-host-\(getpid())"
    let insideQueueName = "/sb-ipc-inside-\(getpid())"
    var outsideFile: NamespaceFile?
    var insideFile: NamespaceFile?
    var hostObjects: [IPCObject] = []
    var insideObjects: [IPCObject] = []

    init(narrator: Narrator) { self.narrator = narrator }

    func run() throws {
        let outside = try NamespaceID.of(.ipc)
        outsideFile = try NamespaceFile(.ipc)  // our way back out, for step 4
        try makeObjects(in: &hostObjects, posixName: hostQueueName, allKinds: false)
        // TODO(lab03): Give this process its own IPC namespace with unshare(2) (CLONE_NEWIPC).
        //   Without it the same key K already exists here and msgget(IPC_EXCL) fails with EEXIST.
        let inside = try NamespaceID.of(.ipc)
        insideFile = try NamespaceFile(.ipc)
        narrator.observe("inside: ", "\(inside)  (/proc/self/ns/ipc now)")
        narrator.observe("outside:", "\(outside)  (/proc/self/ns/ipc before)")
        observeTables(side: "inside: ")
        narrator.observe(
            "inside: ", "mq_open(\"\(hostQueueName)\") finds it: \(IPCObject.posixQueueExists(hostQueueName))")
        narrator.explain(
            inside != outside
                ? "a new IPC namespace starts empty: the host's queue with key \(IPCObject.hex(key)) is not here."
                : "same IPC namespace as before: the host's queue with key \(IPCObject.hex(key)) is right here.")
        try makeObjects(in: &insideObjects, posixName: insideQueueName, allKinds: true)
        observeTables(side: "inside: ")
        try lookFromOutside()
        try narrator.step("setns(ipc:[\(inside.inode)], CLONE_NEWIPC)") { try setns(try required(insideFile), .ipc) }
        try removeAll(&insideObjects)
        narrator.explain("every object we made is removed; the command starts in an empty IPC namespace.")
        narrator.fact("inside", .object([("ipc", .string(inside.description))]))
        narrator.fact("outside", .object([("ipc", .string(outside.description))]))
    }

    /// Step 4: back in the starting namespace, the host sees its own objects only.
    func lookFromOutside() throws {
        let outside = try required(outsideFile)
        try narrator.step("setns(ipc:[\(try outside.inode())], CLONE_NEWIPC)") { try setns(outside, .ipc) }
        observeTables(side: "outside:")
        narrator.observe(
            "outside:", "mq_open(\"\(insideQueueName)\") finds it: \(IPCObject.posixQueueExists(insideQueueName))")
        narrator.explain("one key, two objects: each namespace has its own table of keys and ids.")
        try removeAll(&hostObjects)
    }

    func makeObjects(in objects: inout [IPCObject], posixName: String, allKinds: Bool) throws {
        try narrator.step("msgget(\(IPCObject.hex(key)), IPC_CREAT|IPC_EXCL|0600)") {
            objects.append(try IPCObject.createMessageQueue(key: key))
        }
        if allKinds {
            try narrator.step("semget(\(IPCObject.hex(key)), 1, IPC_CREAT|IPC_EXCL|0600)") {
                objects.append(try IPCObject.createSemaphoreSet(key: key))
            }
            try narrator.step("shmget(\(IPCObject.hex(key)), 4096, IPC_CREAT|IPC_EXCL|0600)") {
                objects.append(try IPCObject.createSharedMemory(key: key))
            }
        }
        try narrator.step("mq_open(\"\(posixName)\", O_CREAT|O_EXCL|O_RDWR)") {
            objects.append(try IPCObject.createPosixQueue(posixName))
        }
    }

    func removeAll(_ objects: inout [IPCObject]) throws {
        while let object = objects.last {
            try narrator.step(removeCall(object)) { try object.remove() }
            objects.removeLast()
        }
    }

    func removeCall(_ object: IPCObject) -> String {
        switch object {
        case .messageQueue(let id): "msgctl(\(id), IPC_RMID)"
        case .semaphoreSet(let id): "semctl(\(id), 0, IPC_RMID)"
        case .sharedMemory(let id): "shmctl(\(id), IPC_RMID)"
        case .posixQueue(let name): "mq_unlink(\"\(name)\")"
        }
    }

    /// What /proc/sysvipc shows to this process: the tables of its IPC namespace.
    func observeTables(side: String) {
        let counts = SysVTable.allCases.map { table in
            let keys = (try? table.keys()) ?? []
            let ours = keys.contains(key) ? " (with \(IPCObject.hex(key)))" : ""
            return "\(table.rawValue) \(keys.count)\(ours)"
        }
        narrator.observe(side, "/proc/sysvipc: " + counts.joined(separator: ", "))
    }

    /// After a failed step: remove what exists, each object in its own namespace.
    func cleanUpAfterFailure() {
        if let insideFile, !insideObjects.isEmpty, (try? setns(insideFile, .ipc)) != nil {
            for object in insideObjects.reversed() { try? object.remove() }
        }
        if let outsideFile, !hostObjects.isEmpty, (try? setns(outsideFile, .ipc)) != nil {
            for object in hostObjects.reversed() { try? object.remove() }
        }
        insideObjects = []
        hostObjects = []
    }

    func required(_ file: NamespaceFile?) throws -> NamespaceFile {
        guard let file else { throw CoreError.unexpectedFormat(path: "/proc/self/ns/ipc", detail: "not opened") }
        return file
    }
}

IPCCommand.main()
