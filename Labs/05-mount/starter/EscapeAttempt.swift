// Starter for lab05, generated from Sources/sb-mount/EscapeAttempt.swift by scripts/make-starters. Fill in the TODOs.
// Lab 01's escape, tried again after pivot_root.
//
// The escape works on a chroot because the old root is still in the mount
// namespace, above the new one: chroot into a subdirectory, keep the cwd
// outside it, climb with "..", chroot("."). After pivot_root and detaching
// the old root, the namespace's root IS the rootfs: ".." of / is / itself.
// There is nothing above to climb to, whatever capabilities the process has.
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

struct EscapeAttempt {
    let narrator: Narrator

    /// Tries the escape; returns whether / changed (it must not).
    func run() throws -> Bool {
        narrator.explain("the escape from lab 01: chroot into a subdirectory, climb with \"..\", chroot(\".\")")
        let before = try Sys.stat("/")
        let hideout = ".sb-escape-\(getpid())"
        try narrator.step("mkdir(\"/\(hideout)\")") { try Sys.mkdir("/" + hideout, mode: 0o700) }
        // Keep today's root open, so the directory is removed wherever we end up.
        let root = try Sys.openDirectory("/")
        defer { Sys.removeDirectory(named: hideout, in: root) }
        try narrator.step("chroot(\"/\(hideout)\")", detail: "the cwd stays behind, outside the new root") {
            try Sys.chroot("/" + hideout)
        }
        var climbs = 0
        try narrator.step("chdir(\"..\") until \".\" is \"..\"") {
            while try Sys.stat(".") != Sys.stat("..") && climbs < 4096 {
                try Sys.chdir("..")
                climbs += 1
            }
        }
        try narrator.step("chroot(\".\")", detail: "after \(climbs) steps up") { try Sys.chroot(".") }
        let after = try Sys.stat("/")
        let escaped = after != before
        narrator.observe(
            "after:  ",
            escaped
                ? "/ is \(after), no longer the new root (\(before)): escaped"
                : "/ is \(after), the same as before: still inside the new root")
        narrator.explain(
            escaped
                ? "the old root was still reachable: was it detached after pivot_root?"
                : "no old root to climb to: pivot_root plus MNT_DETACH removed it from this namespace.")
        try Sys.chdir("/")
        return escaped
    }
}
