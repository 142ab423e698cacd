import SandboxCore
import SandboxNamespaces
import Testing

/// The namespace ioctls and maps, asked about the test runner's own namespaces
/// (reading only: nothing here changes a namespace).
@Suite("Namespace files and ID maps")
struct NamespaceFileTests {
    @Test(
        "NS_GET_NSTYPE names each kind, and the inode matches readlink",
        arguments: Namespace.allCases.filter { $0 != .time })
    func kindAndInode(kind: Namespace) throws {
        let file = try NamespaceFile(kind)
        #expect(try file.kind() == kind)
        #expect(try file.identity() == NamespaceID.of(kind))
    }

    @Test(
        "NS_GET_NSTYPE names a time namespace too",
        .enabled(if: Sys.exists("/proc/self/ns/time"), "time namespaces need Linux 5.6 with CONFIG_TIME_NS"))
    func timeKindAndInode() throws {
        let file = try NamespaceFile(.time)
        #expect(try file.kind() == .time)
        #expect(try file.identity() == NamespaceID.of(.time))
    }

    @Test("every namespace is owned by a user namespace; ours is the initial one here", .privileged)
    func owner() throws {
        let owner = try NamespaceFile(.uts).owningUserNamespace()
        #expect(try owner.kind() == .user)
        #expect(try owner.inode() == NamespaceFile(.user).inode())
        #expect(try NamespaceFile(.user).ownerUID() == 0)
    }

    @Test("only PID and user namespaces have parents (EINVAL); the initial one has none in view (EPERM)")
    func parents() throws {
        #expect(
            throws: SyscallError(call: "ioctl(NS_GET_PARENT)", path: "/proc/self/ns/uts", errno: .init(rawValue: 22))
        ) {
            _ = try NamespaceFile(.uts).parent()
        }
        if try NamespaceFile(.user).ownerUID() == 0, Sys.exists("/proc/1/ns/user") {
            #expect(throws: SyscallError.self) { _ = try NamespaceFile(.user).parent() }
        }
    }

    @Test("ID map lines parse and print the way the kernel writes them")
    func idMaps() {
        let text = "         0       1000          1\n         1     100000      65536\n"
        let maps = IDMapping.parse(text)
        #expect(maps == [IDMapping(inside: 0, outside: 1000), IDMapping(inside: 1, outside: 100_000, count: 65536)])
        #expect(maps.map(\.description) == ["0 1000 1", "1 100000 65536"])
        #expect(IDMapping.parse("garbage\n1 2\n").isEmpty)
    }

    @Test("maps are written setgroups first, then uid_map, then gid_map, one write each")
    func writeOrder() throws {
        var writes: [(String, String)] = []
        try IDMaps.write(
            pid: 42, uids: [IDMapping(inside: 0, outside: 1000)], gids: [IDMapping(inside: 0, outside: 1000)],
            denySetgroups: true
        ) { path, text in writes.append((path, text)) }
        #expect(writes.map(\.0) == ["/proc/42/setgroups", "/proc/42/uid_map", "/proc/42/gid_map"])
        #expect(writes.map(\.1) == ["deny", "0 1000 1\n", "0 1000 1\n"])
    }
}
