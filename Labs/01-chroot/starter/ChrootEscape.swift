// Starter for lab01, generated from Sources/sb-chroot/ChrootEscape.swift by scripts/make-starters. Fill in the TODOs.
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
        // TODO(lab01): Make a directory inside the jail, chroot into it without changing directory
        //   (the cwd is now outside the root), climb with chdir("..") until "." and ".." are the
        //   same directory, then chroot("."). Remove the directory afterwards.
    }
}
