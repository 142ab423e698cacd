import SandboxCore
import SandboxNamespaces
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("sb-chroot")
struct ChrootTests {
    @Test("the command sees the rootfs as / and its files, not the host's", .withRootfs)
    func confined() throws {
        let rootfs = try #require(Built.rootfs)
        let result = try run(
            "sb-chroot", ["--quiet", rootfs, "--", "/bin/sh", "-c", "cat /etc/sandboxlabs-rootfs; ls /"])
        #expect(result.status == .exited(0))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "sandboxlabs-rootfs")
        #expect(!lines.contains("work"))  // a host directory
        #expect(lines.contains("bin"))
    }

    @Test("narration shows chroot and chdir with their arguments", .withRootfs)
    func narration() throws {
        let rootfs = try #require(Built.rootfs)
        let result = try run("sb-chroot", [rootfs, "--", "/bin/true"])
        #expect(result.stdout.contains("→ chroot(\"\(rootfs)\")"))
        #expect(result.stdout.contains("→ chdir(\"/\")"))
    }

    @Test("--escape really escapes, says so, and leaves the rootfs as it was", .withRootfs)
    func escape() throws {
        // A private copy: the escape makes (and removes) a directory in the rootfs,
        // and other tests copy the shared one in parallel.
        try withScratchDirectory { directory in
            let rootfs = try copyOfRootfs(in: directory)
            let before = try ProcFile.read("/proc/self/mountinfo")
            let listing = try run("sb-chroot", ["--quiet", rootfs, "--", "/bin/ls", "-a", "/"]).stdout
            let result = try run(
                "sb-chroot", ["--escape", rootfs, "--", "/bin/sh", "-c", "test -e /etc/sandboxlabs-rootfs || echo out"])
            #expect(result.stdout.contains("= the host's root: escaped"))
            #expect(result.stdout.contains("→ chroot(\".\")"))
            #expect(result.stdout.hasSuffix("out\n"))
            #expect(result.status == .exited(0))
            let json = try run("sb-chroot", ["--json", "--escape", rootfs, "--", "/bin/true"])
            let record = try JSON.parse(String(json.stdout.split(separator: "\n").first ?? ""))
            #expect(record["escaped"] == .bool(true))
            #expect(try run("sb-chroot", ["--quiet", rootfs, "--", "/bin/ls", "-a", "/"]).stdout == listing)
            #expect(try ProcFile.read("/proc/self/mountinfo") == before)
        }
    }

    @Test("a missing rootfs is a clear error with status 125", .privileged)
    func missingRootfs() throws {
        let result = try run("sb-chroot", ["/nonexistent/rootfs", "--", "/bin/true"])
        #expect(result.status == .exited(125))
        #expect(
            result.stderr.contains(
                "root filesystem /nonexistent/rootfs: No such file or directory; build one with scripts/make-rootfs"))
    }

    @Test("a command missing inside the root exits 127 and names it", .withRootfs)
    func missingCommand() throws {
        let result = try run("sb-chroot", ["--quiet", try #require(Built.rootfs), "--", "/no/such/program"])
        #expect(result.status == .exited(127))
        #expect(result.stderr.contains("execve(/no/such/program): No such file or directory (ENOENT)"))
    }
}

@Suite("sb-uts")
struct UTSTests {
    @Test("the hostname changes inside only, in another UTS namespace", .privileged, arguments: ["unshare", "clone"])
    func isolated(method: String) throws {
        let hostBefore = Sys.hostname()
        let ours = try NamespaceID.of(.uts)
        let result = try run(
            "sb-uts",
            [
                "--quiet", "--method", method, "--hostname", "lab-box", "--", "/bin/sh", "-c",
                "cat /proc/sys/kernel/hostname; readlink /proc/self/ns/uts",
            ])
        #expect(result.status == .exited(0))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "lab-box")
        let inside = try #require(NamespaceID(link: lines.last ?? ""))
        #expect(inside != ours)
        #expect(Sys.hostname() == hostBefore)
        #expect(hostBefore != "lab-box")
    }

    @Test("--json's record matches what the kernel shows", .privileged)
    func jsonRecord() throws {
        let result = try run(
            "sb-uts", ["--json", "--hostname", "json-box", "--", "/bin/sh", "-c", "readlink /proc/self/ns/uts"])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let record = try JSON.parse(try #require(lines.first))
        #expect(record["inside"]?["hostname"]?.stringValue == "json-box")
        #expect(record["inside"]?["uts"]?.stringValue == lines.last)
        #expect(record["outside"]?["uts"]?.stringValue == (try NamespaceID.of(.uts)).description)
    }

    @Test("the clone method's narration shows the child's namespace from outside", .privileged)
    func cloneNarration() throws {
        let result = try run("sb-uts", ["--method", "clone", "--", "/bin/true"])
        #expect(result.stdout.contains("→ clone(CLONE_NEWUTS|SIGCHLD)"))
        #expect(result.stdout.contains("/ns/uts)"))
        #expect(result.stdout.contains("exited with status 0"))
    }

    @Test("a hostname over 64 bytes is refused before anything changes")
    func longHostname() throws {
        let result = try run("sb-uts", ["--hostname", String(repeating: "x", count: 65), "--", "/bin/true"])
        #expect(result.status != .exited(0))
        #expect(result.stderr.contains("64 bytes"))
    }

    @Test("a missing command exits 127 and names it", .privileged, arguments: ["unshare", "clone"])
    func missingCommand(method: String) throws {
        let result = try run("sb-uts", ["--quiet", "--method", method, "--", "/no/such/program"])
        #expect(result.status == .exited(127))
        #expect(result.stderr.contains("execve(/no/such/program): No such file or directory (ENOENT)"))
    }
}

@Suite("sb-doctor")
struct DoctorTests {
    @Test("--json lists every lab with a verdict, and the exit status agrees with it")
    func json() throws {
        let result = try run("sb-doctor", ["--json"])
        let record = try JSON.parse(result.stdout)
        guard case .array(let labs)? = record["labs"] else {
            Issue.record("no labs in \(result.stdout)")
            return
        }
        #expect(labs.count == 13)
        let allReady = labs.allSatisfy { $0["ready"] == .bool(true) }
        #expect(result.status == .exited(allReady ? 0 : 1))
        #expect(record["cgroupMode"]?.stringValue == Host.cgroupMode.name)
    }

    @Test("one lab's text lists every finding with ok, warning or missing")
    func oneLab() throws {
        let result = try run("sb-doctor", ["01"])
        #expect(result.stdout.contains("01 chroot"))
        #expect(result.stdout.contains("ok: ") || result.stdout.contains("missing: "))
        #expect(!result.stdout.contains("02 namespace"))
    }

    @Test("an unknown lab is a usage error")
    func unknownLab() throws {
        let result = try run("sb-doctor", ["42"])
        #expect(result.status != .exited(0))
        #expect(result.stderr.contains("no lab 42"))
    }
}
