import CSandbox
import Foundation
import SandboxCore
import Testing

/// The fixture trees under Fixtures/, found next to this file.
func fixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)").path
}

/// A fake statfs: the filesystem type of each fixture path, as a real host would report it.
func fakeStatfs(_ types: [String: Int]) -> (String) -> Int? {
    { path in types[path] }
}

@Suite("Host facts")
struct HostTests {
    let cgroup2 = Int(CS_CGROUP2_SUPER_MAGIC), cgroup1 = Int(CS_CGROUP_SUPER_MAGIC), tmpfs = Int(CS_TMPFS_MAGIC)

    @Test("a cgroup2 root is v2, with the controllers from cgroup.controllers")
    func detectsV2() {
        let root = fixture("cgroup-v2")
        let mode = CgroupMode.detect(root: root, filesystemType: fakeStatfs([root: cgroup2]))
        #expect(mode == .v2(controllers: ["cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"]))
        #expect(mode.name == "v2")
    }

    @Test("a tmpfs root with cgroup2 at unified/ is hybrid, with the v1 controllers mounted")
    func detectsHybrid() {
        let root = fixture("cgroup-hybrid")
        var types = [root: tmpfs, root + "/unified": cgroup2]
        for name in ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"] {
            types[root + "/" + name] = cgroup1
        }
        let mode = CgroupMode.detect(root: root, filesystemType: fakeStatfs(types))
        #expect(
            mode
                == .hybrid(v1Controllers: ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids"])
        )
    }

    @Test("a tmpfs root without unified/ is v1")
    func detectsV1() {
        let root = fixture("cgroup-v1")
        let types = [root: tmpfs, root + "/memory": cgroup1, root + "/pids": cgroup1]
        #expect(
            CgroupMode.detect(root: root, filesystemType: fakeStatfs(types)) == .v1(controllers: ["memory", "pids"]))
    }

    @Test("directories named like controllers are not controllers unless they are cgroup mounts")
    func namesAreNotMounts() {
        let root = fixture("cgroup-v1")
        #expect(CgroupMode.detect(root: root, filesystemType: fakeStatfs([root: tmpfs])) == .none)
        #expect(CgroupMode.detect(root: "/nonexistent", filesystemType: fakeStatfs([:])) == .none)
    }

    @Test("this host's cgroup mode is one of the known ones")
    func realHost() {
        let mode = Host.cgroupMode
        #expect(["v2", "hybrid", "v1", "none"].contains(mode.name))
        if ProcessInfo.processInfo.environment["CGROUP2_VM"] == "1" { #expect(mode.name == "v2") }
    }

    @Test(
        "mount propagation of / from mountinfo",
        arguments: [
            ("mountinfo-systemd.txt", MountPropagation.shared),
            ("mountinfo-container.txt", .slave),
            ("mountinfo-private.txt", .private),
        ])
    func propagation(file: String, expected: MountPropagation) throws {
        let text = try String(contentsOfFile: fixture(file), encoding: .utf8)
        #expect(MountPropagation.ofRoot(mountinfo: text) == expected)
    }

    @Test("kernel versions parse and compare")
    func kernelVersion() {
        #expect(KernelVersion(release: "6.1.0-26-amd64") == KernelVersion(major: 6, minor: 1, patch: 0))
        #expect(KernelVersion(release: "5.15.153.1-microsoft-standard-WSL2") > KernelVersion(major: 5, minor: 6))
        #expect(KernelVersion(release: "4.19.0") < KernelVersion(major: 5, minor: 6))
    }

    @Test("the test runner is multi-threaded, and the guard says so")
    func singleThreadGuard() throws {
        let threads = try currentThreadCount()
        #expect(threads >= 1)
        if threads > 1 {
            #expect(throws: CoreError.multiThreaded(operation: "unshare", threads: threads)) {
                try requireSingleThreaded("unshare")
            }
        }
    }

    @Test("/proc fields are read by name")
    func procField() {
        #expect(ProcFile.field("Threads", in: "Name:\tx\nThreads:\t7\n") == "7")
        #expect(ProcFile.field("Missing", in: "Name:\tx\n") == nil)
    }
}
