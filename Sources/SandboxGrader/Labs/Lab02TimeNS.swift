import SandboxCore
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Lab 02 (timens part): a time namespace shifts the monotonic and boot-time clocks.
///
/// Contract: `IMPL [--monotonic SECS] [--boottime SECS] [--quiet | --json] -- CMD
/// [ARGS...]` runs CMD in a new time namespace whose CLOCK_MONOTONIC and
/// CLOCK_BOOTTIME are shifted by SECS, and exits with CMD's status. --json
/// prints, as the first line of stdout, one JSON object with `inside`
/// (`{"time":"time:[INODE]","offsets":{"monotonic":S,"boottime":S}}`) and
/// `outside` (`{"time":"time:[INODE]",...}`). Needs Linux 5.6.
///
/// A time namespace changes nothing outside itself, so the implementation runs directly.
enum Lab02TimeNS {
    static let lab = Lab(
        number: "02-timens", slug: "02-namespaces-api", title: "The namespace APIs: time namespace",
        reference: "sb-timens",
        contract: "IMPL [--monotonic SECS] [--boottime SECS] [--quiet | --json] -- CMD [ARGS...]",
        checks: [runs, newNamespace, offsets, uptime, json], starterSources: ["Sources/sb-timens"], needsRootfs: false)

    static let shift = ["--monotonic", "3600", "--boottime", "864000"]

    static let runs = Check(
        id: "02.timens.runs", title: "the command runs and its exit status is passed on", points: 10,
        hint: "start the command given after -- as a child, wait for it and exit with its status."
    ) { context in
        let result = try Probe(context: context).run(["--quiet", "--", "/bin/sh", "-c", "echo ran; exit 6"])
        guard result.status == .exited(6), result.stdout.trimmingWhitespace() == "ran" else {
            return .fail("expected \"ran\" and status 6: \(quoted(result.stdout)), \(summary(result))")
        }
        return .pass("printed ran, exited 6")
    }

    static let newNamespace = Check(
        id: "02.timens.new-namespace", title: "the command runs in a new time namespace (/proc/PID/ns/time)",
        points: 25, dependsOn: ["02.timens.runs"],
        hint: "call unshare(CLONE_NEWTIME) before starting the command: it does not move the caller, but its"
            + " children are born in the new namespace (and execve(2) moves the caller in too)."
    ) { context in
        let (inode, _) = try Probe(context: context).whileRunning(["--quiet"] + shift) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .time)
        }
        guard inode != (try NamespaceID.of(.time)) else { return .fail("the command is in our \(inode)") }
        return .pass("\(inode)")
    }

    static let offsets = Check(
        id: "02.timens.offsets", title: "/proc/PID/timens_offsets of the command shows the offsets asked for",
        points: 30, dependsOn: ["02.timens.new-namespace"],
        hint: "write \"monotonic SECS 0\\nboottime SECS 0\\n\" to /proc/self/timens_offsets after unshare and before"
            + " the first child exists (later it fails with EACCES)."
    ) { context in
        let (text, _) = try Probe(context: context).whileRunning(["--quiet"] + shift) { pid, _ in
            try ProcFile.read("/proc/\(pid)/timens_offsets")
        }
        let lines = text.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        guard lines.contains("monotonic 3600 0"), lines.contains("boottime 864000 0") else {
            return .fail("timens_offsets is \(quoted(text)), expected monotonic 3600 0 and boottime 864000 0")
        }
        return .pass(lines.joined(separator: ", "))
    }

    static let uptime = Check(
        id: "02.timens.uptime", title: "inside, /proc/uptime is shifted by the boot-time offset", points: 20,
        dependsOn: ["02.timens.new-namespace"],
        hint: "CLOCK_BOOTTIME drives /proc/uptime: pass --boottime SECS through as the boottime offset, in seconds."
    ) { context in
        let result = try Probe(context: context).run(["--quiet"] + shift + ["--", "/bin/cat", "/proc/uptime"])
        let outside = Double(try ProcFile.read("/proc/uptime").split(separator: " ").first ?? "") ?? 0
        let inside = Double(result.stdout.split(separator: " ").first ?? "") ?? 0
        // The two readings are a moment apart; a minute of slack is generous and not a timing test.
        guard abs(inside - outside - 864000) < 60 else {
            return .fail("uptime inside \(inside), outside \(outside): expected a difference of 864000 s")
        }
        return .pass("inside \(Int(inside)) s, outside \(Int(outside)) s")
    }

    static let json = Check(
        id: "02.timens.json", title: "--json reports the inside and outside time namespaces and the offsets",
        points: 15, dependsOn: ["02.timens.offsets"],
        hint: "with --json, print one JSON object as the first stdout line: {\"inside\":{\"time\":\"time:[N]\","
            + "\"offsets\":{\"monotonic\":S,\"boottime\":S}},\"outside\":{\"time\":\"time:[N]\"}}."
    ) { context in
        let child = try ChildProcess(
            Probe(context: context).request(["--json"] + shift + ["--"] + Probe.waitingPayload))
        let line = child.readLine(timeout: context.timeout) ?? ""
        guard let record = try? JSON.parse(line) else {
            return .fail("the first stdout line is not JSON: \(quoted(line))")
        }
        let (inode, _) = try Probe.inspect(child, timeout: context.timeout, skipLines: 0) { pid, _ in
            try NamespaceID.of(pid: "\(pid)", .time)
        }
        let inside = record["inside"]
        guard inside?["time"]?.stringValue == inode.description else {
            return .fail("inside.time is \(inside?["time"]?.rendered() ?? "missing"), the command's is \(inode)")
        }
        guard record["outside"]?["time"]?.stringValue == (try NamespaceID.of(.time)).description else {
            return .fail("outside.time is \(record["outside"]?["time"]?.rendered() ?? "missing")")
        }
        guard inside?["offsets"]?["monotonic"]?.intValue == 3600, inside?["offsets"]?["boottime"]?.intValue == 864000
        else { return .fail("inside.offsets is \(inside?["offsets"]?.rendered() ?? "missing")") }
        return .pass("inside \(inode), offsets 3600/864000")
    }
}
