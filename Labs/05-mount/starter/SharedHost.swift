// Starter for lab05, generated from Sources/sb-mount/SharedHost.swift by scripts/make-starters. Fill in the TODOs.
// --keep-shared: the systemd pitfall, shown without touching the real host.
//
// systemd makes every mount shared at boot (mount --make-rshared /), so that
// a mount made in one place shows up in its peers. A new mount namespace is a
// copy in which every shared mount is a PEER of the host's. A runtime that
// forgets MS_PRIVATE then leaks each mount it makes back to the host, and
// pivot_root(2) refuses: it fails with EINVAL when the current root, or the
// mount the new root sits on, is shared (it would have to propagate a root
// change into other namespaces).
//
// To show this safely, a first namespace plays the host: it is cut off from the
// real host with MS_REC|MS_PRIVATE, then made MS_REC|MS_SHARED, like systemd's
// /. The "container" namespace is made from it; its leak lands there, and the
// whole thing vanishes when this process ends.
import SandboxCore
import SandboxMounts
import SandboxNamespaces

struct SharedHostImitation {
    /// The namespace that plays the host, kept open to look into it later.
    let namespace: NamespaceFile

    init(narrator: Narrator) throws {
        narrator.explain("--keep-shared: first a throwaway namespace that plays a systemd host")
        try narrator.step("unshare(CLONE_NEWNS)", detail: "the \"host\"") { try unshare([.mnt]) }
        try narrator.step("mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)", detail: "cut off from the real host") {
            try Mounts.setPropagation("/", .private)
        }
        try narrator.step("mount(NULL, \"/\", NULL, MS_REC|MS_SHARED, NULL)", detail: "shared, as systemd makes it") {
            try Mounts.setPropagation("/", .shared)
        }
        namespace = try NamespaceFile(.mnt)
        narrator.explain("now the \"container\":")
    }

    /// After the failed root switch: does the "host" see the container's mount?
    func showLeak(of rootfs: String, narrator: Narrator) throws {
        try narrator.step("setns(\"host\" mnt namespace)", detail: "to look at its mount table") {
            try setns(namespace, .mnt)
        }
        let leaked = try MountInfo.read().filter { $0.mountPoint == rootfs }
        narrator.fact("leaked", .array(leaked.map { .string($0.mountPoint) }))
        if leaked.isEmpty {
            narrator.observe("\"host\":", "no mount at \(rootfs): nothing leaked")
        } else {
            let fields = leaked.map { $0.optionalFields.joined(separator: ",") }.joined(separator: " ")
            narrator.observe(
                "\"host\":", "\(leaked.count) mount(s) at \(rootfs) (\(fields)): the container's bind mount leaked")
        }
        narrator.explain("fix: mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL) right after unshare(CLONE_NEWNS)")
    }
}
