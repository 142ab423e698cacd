import SandboxCore
import Testing

@testable import SandboxCgroups

/// Both managers against scratch trees shaped like /sys/fs/cgroup.
@Suite("SandboxCgroups: managers on fixture trees")
struct CgroupFixtureTests {
    func write(_ path: String, _ text: String) throws { try ProcFile.write(path, text, create: true) }

    @Test("v2: controllers enabled top-down, never in the leaf; limits and pid in the leaf; narrated")
    func v2Manager() throws {
        try withScratchDirectory { root in
            try write(root + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc")
            try write(root + "/cgroup.subtree_control", "memory")
            var lines: [String] = []
            let narrator = Narrator(tool: "test", mode: .text(color: false)) { lines.append($0) }
            let files = CgroupFiles(narrator: narrator, createMissing: true)
            let group = try Cgroups.manager(name: "web", mode: .v2(controllers: []), root: root, files: files)
            try group.create()
            #expect(ProcFile.readTrimmed(root + "/cgroup.subtree_control") == "+cpuset +cpu +io +pids")
            #expect(
                ProcFile.readTrimmed(root + "/sandboxlabs/cgroup.subtree_control") == "+cpuset +cpu +io +memory +pids")
            #expect(!Sys.exists(root + "/sandboxlabs/web/cgroup.subtree_control"))  // never the leaf
            try write(root + "/sandboxlabs/web/cgroup.controllers", "cpuset cpu io memory pids")  // the kernel's part
            var settings = CgroupSettings()
            settings.memoryMax = CgroupLimit.parse("64M")
            settings.pidsMax = .value(20)
            try group.apply(settings)
            try group.join(pid: 4242)
            #expect(ProcFile.readTrimmed(root + "/sandboxlabs/web/memory.max") == "67108864")
            #expect(ProcFile.readTrimmed(root + "/sandboxlabs/web/pids.max") == "20")
            #expect(group.processes() == [4242])
            #expect(lines.contains { $0.hasPrefix("→ write \(root)/sandboxlabs/web/memory.max \"67108864\"") })
            try write(root + "/sandboxlabs/web/cgroup.procs", "")
            try group.delete()
            #expect(!Sys.exists(root + "/sandboxlabs"))
        }
    }

    @Test("v2: a controller the parent did not enable gives an error naming it and the fix")
    func v2MissingController() throws {
        try withScratchDirectory { root in
            try write(root + "/cgroup.controllers", "cpu pids")
            let files = CgroupFiles(createMissing: true)
            let group = try Cgroups.manager(name: "db", mode: .v2(controllers: []), root: root, files: files)
            try group.create()
            try write(root + "/sandboxlabs/db/cgroup.controllers", "cpu pids")
            var settings = CgroupSettings()
            settings.memoryMax = .value(1 << 20)
            let error = #expect(throws: CgroupError.self) { try group.apply(settings) }
            let text = error.map { "\($0)" } ?? ""
            #expect(text.contains("v2 memory controller is not available"))
            #expect(text.contains("\(root)/cgroup.controllers"))
            try write(root + "/cgroup.controllers", "cpu pids memory")  // offered, but not enabled below
            let enable = "\(#expect(throws: CgroupError.self) { try group.apply(settings) }.map { "\($0)" } ?? "")"
            #expect(enable.contains("echo +memory > \(root)/sandboxlabs/cgroup.subtree_control"))
        }
    }

    @Test("v1: one directory per hierarchy, cpuset inherited before tasks, pid in every hierarchy")
    func v1Manager() throws {
        try withScratchDirectory { root in
            for controller in ["memory", "cpu", "cpuset", "pids"] { try Sys.mkdir(root + "/" + controller) }
            try write(root + "/cpuset/cpuset.cpus", "0-1")
            try write(root + "/cpuset/cpuset.mems", "0")
            let files = CgroupFiles(createMissing: true)
            let mode = CgroupMode.hybrid(v1Controllers: ["cpu", "cpuset", "memory", "pids"])
            let group = try Cgroups.manager(name: "web", mode: mode, root: root, files: files)
            try group.create()
            #expect(group.directories.count == 4)
            #expect(ProcFile.readTrimmed(root + "/cpuset/sandboxlabs/web/cpuset.cpus") == "0-1")
            #expect(ProcFile.readTrimmed(root + "/cpuset/sandboxlabs/web/cpuset.mems") == "0")
            var settings = CgroupSettings()
            settings.memoryMax = .value(32 << 20)
            settings.cpuWeight = 100
            try group.apply(settings)
            #expect(ProcFile.readTrimmed(root + "/memory/sandboxlabs/web/memory.limit_in_bytes") == "33554432")
            #expect(ProcFile.readTrimmed(root + "/cpu/sandboxlabs/web/cpu.shares") == "2598")
            try group.join(pid: 77)
            for controller in ["memory", "cpu", "cpuset", "pids"] {
                #expect(ProcFile.readTrimmed(root + "/\(controller)/sandboxlabs/web/cgroup.procs") == "77")
            }
            settings = CgroupSettings()
            settings.ioWeight = 100
            let error = #expect(throws: CgroupError.self) { try group.apply(settings) }
            #expect("\(error.map { "\($0)" } ?? "")".contains("mount -t cgroup -o blkio cgroup \(root)/blkio"))
            for controller in ["memory", "cpu", "cpuset", "pids"] {
                try write(root + "/\(controller)/sandboxlabs/web/cgroup.procs", "")
            }
            try group.delete()
            #expect(Cgroups.existingGroups(mode: mode, root: root).isEmpty)
        }
    }

    @Test("v2 freeze waits for frozen 1 in cgroup.events")
    func v2Freeze() throws {
        try withScratchDirectory { root in
            let files = CgroupFiles(createMissing: true)
            let group = try Cgroups.manager(name: "f", mode: .v2(controllers: []), root: root, files: files)
            try group.create()
            try write(root + "/sandboxlabs/f/cgroup.events", "populated 1\nfrozen 1")
            try group.freeze()
            #expect(ProcFile.readTrimmed(root + "/sandboxlabs/f/cgroup.freeze") == "1")
            #expect(group.stats().frozen == true)
        }
    }
}
