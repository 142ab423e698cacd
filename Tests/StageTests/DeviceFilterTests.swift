import Foundation
import SandboxCgroups
import SandboxCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Device rules and the cgroup v2 device program (BPF_PROG_TYPE_CGROUP_DEVICE).
///
/// The privileged tests attach programs only to cgroups they create, under
/// `<cgroup2 root>/sandboxlabs/devtest-PID-NAME`, run a shell inside and look at
/// what it could open; they remove the cgroup afterwards, also when a step fails.
/// On this hybrid host the cgroup2 root is /sys/fs/cgroup/unified (no controllers,
/// but device programs attach to any cgroup2 directory); in the cgroup2 VM it is
/// /sys/fs/cgroup.
/// Runs with the other suites that make cgroups under sandboxlabs, one at a time.
extension CgroupsOnTheKernel {
    @Suite("DeviceFilter: device rules and the cgroup v2 device program")
    struct DeviceFilterTests {
        // MARK: Rules (pure)

        @Test("rules parse from the devices.allow form and print back the same")
        func parseRules() throws {
            let null = try DeviceRule("c 1:3 rwm", allow: false)
            #expect(null == DeviceRule(kind: .char, major: 1, minor: 3, access: .all, allow: false))
            let disks = try DeviceRule("b 8:* r", allow: true)
            #expect(disks == DeviceRule(kind: .block, major: 8, minor: nil, access: .read, allow: true))
            let everything = try DeviceRule("a *:* rwm", allow: true)
            #expect(everything == DeviceRule(kind: .all, major: nil, minor: nil, allow: true))
            #expect(try DeviceRule("a", allow: true) == everything)
            #expect(try DeviceRule("c  136:*   mw", allow: true).description == "c 136:* wm")
            for text in ["c 1:3 rwm", "b 8:* r", "a *:* rwm", "c *:5 w"] {
                #expect(try DeviceRule(text, allow: true).description == text)
            }
            #expect(null.summary == "deny c 1:3 rwm")
            #expect(disks.summary == "allow b 8:* r")
        }

        @Test(
            "malformed rules are refused with the reason",
            arguments: [
                ("x 1:3 rwm", "the type is c (character), b (block) or a (all)"),
                ("c 1:3", "expected TYPE MAJOR:MINOR ACCESS, e.g. \"c 1:3 rwm\""),
                ("c 1 rwm", "the device is MAJOR:MINOR, each a number or *"),
                ("c 1:3 rx", "the access is made of r (read), w (write) and m (mknod)"),
                ("c 1:-3 r", "\"-3\" is not a device number (0 to 4294967295) or *"),
                ("b 4294967296:0 r", "\"4294967296\" is not a device number (0 to 4294967295) or *"),
            ])
        func malformedRules(text: String, reason: String) {
            #expect(throws: DeviceRuleError.malformed(text, reason: reason)) { try DeviceRule(text, allow: true) }
        }

        // MARK: The program (pure)

        @Test("the program for a fixed rule set: first match wins, then the default")
        func listing() throws {
            let rules = [try DeviceRule("c 1:3 w", allow: false), try DeviceRule("c 1:* rwm", allow: true)]
            let program = DeviceProgram(rules: rules, defaultAllow: false)
            #expect(
                program.listing == [
                    "0: r2 = *(u32 *)(r1 +0)     ; access_type",
                    "1: r2 &= 65535              ; r2 = device type (low 16 bits)",
                    "2: r3 = *(u32 *)(r1 +0)     ; access_type",
                    "3: r3 >>= 16                ; r3 = access asked for (high 16 bits)",
                    "4: r4 = *(u32 *)(r1 +4)     ; r4 = major",
                    "5: r5 = *(u32 *)(r1 +8)     ; r5 = minor",
                    "; deny c 1:3 w",
                    "6: if r2 != 0x2 goto pc+7   ; not a char device",
                    "7: r1 = r3",
                    "8: r1 &= 4",
                    "9: if r1 == 0x0 goto pc+4   ; asks for none of w",
                    "10: if r4 != 0x1 goto pc+3  ; major is not 1",
                    "11: if r5 != 0x3 goto pc+2  ; minor is not 3",
                    "12: r0 = 0                  ; deny",
                    "13: exit",
                    "; allow c 1:* rwm",
                    "14: if r2 != 0x2 goto pc+3  ; not a char device",
                    "15: if r4 != 0x1 goto pc+2  ; major is not 1",
                    "16: r0 = 1                  ; allow",
                    "17: exit",
                    "; default: deny",
                    "18: r0 = 0                  ; no rule matched",
                    "19: exit",
                ])
        }

        @Test("an allow rule must cover every access asked for; nothing follows a rule that always matches")
        func allowSubsetAndUnreachableCode() throws {
            let rules = [try DeviceRule("c 1:5 r", allow: true), try DeviceRule("a", allow: false)]
            let program = DeviceProgram(rules: rules, defaultAllow: true)
            let body = program.listing.dropFirst(6)
            #expect(
                Array(body) == [
                    "; allow c 1:5 r",
                    "6: if r2 != 0x2 goto pc+7   ; not a char device",
                    "7: r1 = r3",
                    "8: r1 &= 5",
                    "9: if r1 != 0x0 goto pc+4   ; asks for more than r",
                    "10: if r4 != 0x1 goto pc+3  ; major is not 1",
                    "11: if r5 != 0x5 goto pc+2  ; minor is not 5",
                    "12: r0 = 1                  ; allow",
                    "13: exit",
                    "; deny a *:* rwm",
                    "14: r0 = 0                  ; deny",
                    "15: exit",
                ])
        }

        @Test("the kernel's verifier decodes our instructions exactly as our listing prints them", .withCgroup2)
        func verifierAgrees() throws {
            let rules = try ["c 1:3 w", "b 8:* r", "c 136:* rwm", "a *:5 m"].enumerated().map {
                try DeviceRule($0.element, allow: $0.offset % 2 == 1)
            }
            let program = DeviceProgram(rules: rules, defaultAllow: false)
            let log = try program.verifierLog()
            // Kernel lines look like `6: (55) if r2 != 0x2 goto pc+7   ; R2_w=...`.
            var kernel: [String: String] = [:]
            for line in log.split(separator: "\n") {
                let fields = line.split(separator: " ", maxSplits: 2)
                guard fields.count == 3, fields[0].hasSuffix(":"), fields[1].hasPrefix("(") else { continue }
                let text = fields[2].split(separator: ";", maxSplits: 1).first ?? ""
                kernel[String(fields[0].dropLast())] = text.trimmingCharacters(in: .whitespaces)
            }
            let ours = program.listing.filter { !$0.hasPrefix(";") }
            #expect(ours.count == kernel.count, "verifier log:\n\(log)")
            for line in ours {
                let index = String(line.prefix { $0 != ":" })
                let text = line.dropFirst(index.count + 2).split(separator: ";", maxSplits: 1).first ?? ""
                #expect(kernel[index] == text.trimmingCharacters(in: .whitespaces), "instruction \(index)")
            }
        }

        @Test("attaching to a cgroup that does not exist fails on open, before anything is loaded")
        func missingCgroup() {
            #expect(
                throws: SyscallError(call: "open(O_DIRECTORY)", path: "/nonexistent/cg", errno: .noSuchFileOrDirectory)
            ) {
                _ = try DeviceFilter.attach(rules: [], defaultAllow: true, toCgroupAt: "/nonexistent/cg")
            }
        }

        // MARK: On the kernel (root, cgroup2)

        @Test("deny c 1:3: /dev/null gives EPERM inside the cgroup only, until the program is detached", .withCgroup2)
        func denyNull() throws {
            try withTestCgroup("deny-null") { cgroup in
                let filter = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:3 rwm", allow: false)], defaultAllow: true, toCgroupAt: cgroup)
                #expect(try DeviceFilter.attachedPrograms(cgroupAt: cgroup).count == 1)
                let inside = try probe(in: cgroup)
                #expect(inside["null-write"] == "Operation not permitted")
                #expect(inside["null-read"] == "Operation not permitted")
                #expect(inside["zero-read"] == "ok")
                // Outside the cgroup (the test runner itself) nothing changed.
                let fd = open("/dev/null", O_WRONLY)
                #expect(fd >= 0)
                close(fd)
                try filter.detach()
                #expect(try DeviceFilter.attachedPrograms(cgroupAt: cgroup).isEmpty)
                #expect(try probe(in: cgroup)["null-write"] == "ok")
            }
        }

        @Test("default deny with only c 1:5 allowed: /dev/zero opens, /dev/null does not", .withCgroup2)
        func allowOnlyZero() throws {
            try withTestCgroup("allow-zero") { cgroup in
                let filter = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:5 rwm", allow: true)], defaultAllow: false, toCgroupAt: cgroup)
                let inside = try probe(in: cgroup)
                #expect(inside["zero-read"] == "ok")
                #expect(inside["null-read"] == "Operation not permitted")
                #expect(inside["null-write"] == "Operation not permitted")
                try filter.detach()
            }
        }

        @Test("access matching: deny w also stops read-write; allow r does not grant read-write", .withCgroup2)
        func partialAccess() throws {
            try withTestCgroup("access") { cgroup in
                let denyWrite = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:3 w", allow: false)], defaultAllow: true, toCgroupAt: cgroup)
                var inside = try probe(in: cgroup)
                #expect(inside["null-read"] == "ok")
                #expect(inside["null-write"] == "Operation not permitted")
                #expect(inside["null-readwrite"] == "Operation not permitted")
                try denyWrite.detach()

                let allowRead = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:3 r", allow: true)], defaultAllow: false, toCgroupAt: cgroup)
                inside = try probe(in: cgroup)
                #expect(inside["null-read"] == "ok")
                #expect(inside["null-write"] == "Operation not permitted")
                #expect(inside["null-readwrite"] == "Operation not permitted")
                try allowRead.detach()
            }
        }

        @Test("two programs on one cgroup (BPF_F_ALLOW_MULTI): both must allow; detach removes only ours", .withCgroup2)
        func twoPrograms() throws {
            try withTestCgroup("multi") { cgroup in
                let noNull = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:3 rwm", allow: false)], defaultAllow: true, toCgroupAt: cgroup)
                let noZero = try DeviceFilter.attach(
                    rules: [try DeviceRule("c 1:5 rwm", allow: false)], defaultAllow: true, toCgroupAt: cgroup)
                #expect(try DeviceFilter.attachedPrograms(cgroupAt: cgroup).count == 2)
                var inside = try probe(in: cgroup)
                #expect(inside["null-read"] == "Operation not permitted")
                #expect(inside["zero-read"] == "Operation not permitted")
                try noNull.detach()
                inside = try probe(in: cgroup)
                #expect(inside["null-read"] == "ok")
                #expect(inside["zero-read"] == "Operation not permitted")
                #expect(throws: SyscallError.self) { try noNull.detach() }
                try noZero.detach()
                #expect(try DeviceFilter.attachedPrograms(cgroupAt: cgroup).isEmpty)
            }
        }

        @Test("a directory that is not a cgroup2 directory is refused with EBADF and a hint", .withCgroup2)
        func notCgroup2() throws {
            try withScratchDirectory { directory in
                do {
                    _ = try DeviceFilter.attach(rules: [], defaultAllow: true, toCgroupAt: directory)
                    Issue.record("attached a device program to \(directory)")
                } catch let error as SyscallError {
                    #expect(error.call == "bpf(BPF_PROG_ATTACH, BPF_CGROUP_DEVICE, BPF_F_ALLOW_MULTI)")
                    #expect(error.errnoName == "EBADF")
                    #expect(error.hint?.contains("not a cgroup2 directory") == true)
                }
            }
        }
    }
}

// MARK: Helpers

/// The cgroup2 mount: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one.
private let cgroup2Root: String? = {
    switch CgroupMode.detect() {
    case .v2: "/sys/fs/cgroup"
    case .hybrid: "/sys/fs/cgroup/unified"
    default: nil
    }
}()

extension Trait where Self == ConditionTrait {
    /// Needs root and a cgroup2 mount (pure v2 or the hybrid unified/ tree).
    fileprivate static var withCgroup2: Self {
        .enabled(
            if: Can.runPrivileged && cgroup2Root != nil,
            "needs root and a cgroup2 mount (loads BPF device programs): run ./scripts/test or the cgroup2 VM")
    }
}

/// Creates `<cgroup2>/sandboxlabs/devtest-PID-NAME`, runs `body` with its path,
/// then kills what is left in it and removes it (and `sandboxlabs`, if empty).
private func withTestCgroup(_ name: String, _ body: (String) throws -> Void) throws {
    let root = try #require(cgroup2Root)
    let parent = root + "/sandboxlabs"
    if mkdir(parent, 0o755) != 0 && errno != EEXIST {
        throw SyscallError(call: "mkdir", path: parent, errno: .init(rawValue: errno))
    }
    let path = parent + "/devtest-\(getpid())-\(name)"
    defer {
        removeCgroup(path)
        rmdir(parent)  // fails (EBUSY, ENOTEMPTY) while other tests or tools use it: that is fine
    }
    try Sys.mkdir(path)
    try body(path)
}

/// Kills every process in the cgroup, then rmdir with back-off while it is still busy.
private func removeCgroup(_ path: String) {
    for _ in 0..<50 {
        let pids = (ProcFile.readTrimmed(path + "/cgroup.procs") ?? "").split(separator: "\n").compactMap { Int32($0) }
        for pid in pids { kill(pid, SIGKILL) }
        if rmdir(path) == 0 || errno == ENOENT { return }
        usleep(20_000)
    }
    Issue.record("could not remove the test cgroup \(path)")
}

/// Runs a shell inside `cgroup` (it joins before it runs anything) that opens
/// /dev/null and /dev/zero in several ways; returns what each attempt gave:
/// "ok" or the shell's error text ("Operation not permitted").
private func probe(in cgroup: String) throws -> [String: String] {
    let script = """
        try() { if err=$( { eval "$2"; } 2>&1 ); then echo "$1=ok"; else echo "$1=${err##*: }"; fi; }
        try null-write 'echo x > /dev/null'
        try null-read 'cat /dev/null'
        try null-readwrite 'exec 3<>/dev/null'
        try zero-read 'head -c1 /dev/zero > /dev/zero'
        """
    let child = try ChildProcess(SpawnRequest(path: "/bin/sh", arguments: ["sh", "-c", script])) { pid in
        try ProcFile.write(cgroup + "/cgroup.procs", "\(pid)")
    }
    let result = child.finish(timeout: 30)
    #expect(result.status == .exited(0), "probe: \(result.stderr)")
    var answers: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2 { answers[String(parts[0])] = String(parts[1]) }
    }
    return answers
}
