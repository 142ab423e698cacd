import CSandbox
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// A System V IPC object or a POSIX message queue: what an IPC namespace isolates.
///
/// Each IPC namespace has its own tables of System V message queues, semaphore
/// sets and shared memory segments (keys and ids are per namespace) and its
/// own instance of the mqueue filesystem behind mq_open(3). The same key in
/// two namespaces names two different objects.
public enum IPCObject: Equatable, Sendable, CustomStringConvertible {
    case messageQueue(id: Int32)
    case semaphoreSet(id: Int32)
    case sharedMemory(id: Int32)
    case posixQueue(name: String)

    /// Creates a System V message queue with `key`. Corresponds to msgget(2).
    ///
    /// IPC_EXCL: fails with EEXIST if this namespace already has a queue with
    /// that key, which is exactly what tells us whether we see another namespace's.
    public static func createMessageQueue(key: key_t) throws(SyscallError) -> IPCObject {
        .messageQueue(
            id: try check("msgget(\(hex(key)), IPC_CREAT|IPC_EXCL|0600)") {
                msgget(key, IPC_CREAT | IPC_EXCL | 0o600)
            })
    }

    /// Creates a set of one semaphore with `key`. Corresponds to semget(2).
    public static func createSemaphoreSet(key: key_t) throws(SyscallError) -> IPCObject {
        .semaphoreSet(
            id: try check("semget(\(hex(key)), 1, IPC_CREAT|IPC_EXCL|0600)") {
                semget(key, 1, IPC_CREAT | IPC_EXCL | 0o600)
            })
    }

    /// Creates a 4 KiB shared memory segment with `key`. Corresponds to shmget(2).
    public static func createSharedMemory(key: key_t) throws(SyscallError) -> IPCObject {
        .sharedMemory(
            id: try check("shmget(\(hex(key)), 4096, IPC_CREAT|IPC_EXCL|0600)") {
                shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0o600)
            })
    }

    /// Creates a POSIX message queue (a name such as "/sb-ipc"). Corresponds to mq_open(3).
    public static func createPosixQueue(_ name: String) throws(SyscallError) -> IPCObject {
        let mqd = try check("mq_open(\"\(name)\", O_CREAT|O_EXCL|O_RDWR)") { cs_mq_create(name) }
        _ = cs_mq_close(mqd)
        return .posixQueue(name: name)
    }

    /// Whether a POSIX queue of that name exists in the caller's IPC namespace.
    /// Corresponds to mq_open(3) without O_CREAT (ENOENT means no).
    public static func posixQueueExists(_ name: String) -> Bool {
        let mqd = cs_mq_open_existing(name)
        if mqd < 0 { return false }
        _ = cs_mq_close(mqd)
        return true
    }

    /// Removes the object from the caller's IPC namespace.
    /// Corresponds to msgctl(2), semctl(2), shmctl(2) with IPC_RMID, or mq_unlink(3).
    public func remove() throws(SyscallError) {
        switch self {
        case .messageQueue(let id):
            try check("msgctl(\(id), IPC_RMID)") { msgctl(id, IPC_RMID, nil) }
        case .semaphoreSet(let id):
            try check("semctl(\(id), 0, IPC_RMID)") { cs_semctl_rmid(id) }
        case .sharedMemory(let id):
            try check("shmctl(\(id), IPC_RMID)") { shmctl(id, IPC_RMID, nil) }
        case .posixQueue(let name):
            try check("mq_unlink(\"\(name)\")") { cs_mq_unlink(name) }
        }
    }

    public var description: String {
        switch self {
        case .messageQueue(let id): "message queue id \(id)"
        case .semaphoreSet(let id): "semaphore set id \(id)"
        case .sharedMemory(let id): "shared memory id \(id)"
        case .posixQueue(let name): "POSIX queue \(name)"
        }
    }

    /// A key the way ipcs(1) prints it: 0x5b1ab000.
    public static func hex(_ key: key_t) -> String {
        let digits = String(UInt32(bitPattern: key), radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

/// The System V tables of the caller's IPC namespace, as /proc/sysvipc shows them.
///
/// /proc/sysvipc/{msg,sem,shm} list the objects of the *reading process's*
/// IPC namespace (not of the /proc mount), one line per object after a header.
public enum SysVTable: String, CaseIterable, Sendable {
    case msg, sem, shm

    /// The keys of every object in the table. Reads /proc/sysvipc/KIND.
    public func keys() throws(SyscallError) -> [key_t] {
        let text = try ProcFile.read("/proc/sysvipc/\(rawValue)")
        return SysVTable.parseKeys(text)
    }

    /// The first column of each line after the header is the key, in decimal.
    public static func parseKeys(_ text: String) -> [key_t] {
        text.split(separator: "\n").dropFirst().compactMap { line in
            line.split(separator: " ").first.flatMap { key_t($0) }
        }
    }
}
