// Starter for lab10, generated from Sources/sb-overlay/Demo.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCore
import SandboxMounts

#if canImport(Glibc)
    import Glibc
#endif

/// `sb-overlay demo`: the whole story of an overlay, step by step.
struct OverlayDemo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Walk through copy-up, whiteouts, opaque directories and a shared lower layer.",
        discussion: """
            Everything happens in a scratch directory (sb-overlay-XXXXXX under /tmp or
            --workdir) inside a private mount namespace; both are gone at the end, also
            when a step fails.
            """
    )

    @OptionGroup var output: OutputOptions

    @Option(help: "Where to make the scratch directory (tmpfs or ext4, not 9p or overlay).")
    var workdir = "/tmp"

    func run() throws {
        let narrator = output.narrator()
        do {
            try OverlayInspect.requireUpperCapable(workdir)
            let scratch = try Files.makeScratch(in: workdir)
            defer { try? Files.removeTree(scratch) }
            try enterPrivateMountNamespace(narrator)
            var walk = DemoWalk(root: scratch, narrator: narrator)
            defer { walk.unmountAll() }
            try walk.run()
            walk.unmountAll()
            try narrator.step("rm -rf \(scratch)") { try Files.removeTree(scratch) }
            narrator.emitRecord()
        } catch {
            throw fail(error)
        }
    }
}

/// The demo's steps, over one scratch tree: lower1 (bottom), lower2 (above it),
/// two containers A and B, each with its own upper, work and merged directory.
struct DemoWalk {
    let root: String
    let narrator: Narrator
    var mounted: [String] = []

    init(root: String, narrator: Narrator) {
        self.root = root
        self.narrator = narrator
    }

    func layers(_ name: String) -> OverlayLayers {
        OverlayLayers(
            lower: [root + "/lower2", root + "/lower1"], upper: "\(root)/\(name)/upper", work: "\(root)/\(name)/work")
    }

    mutating func run() throws {
        try buildLowers()
        try mount("A")
        try copyUp()
        try whiteout()
        try opaque()
        try mount("B")
        try shared()
    }

    func buildLowers() throws {
        try Files.put(root + "/lower1/etc/os-release", "NAME=\"SandboxLabs base\"\nVERSION_ID=1\n")
        try Files.put(root + "/lower1/etc/motd", "welcome to the base layer\n")
        try Files.put(root + "/lower1/var/cache/app/one", "1\n")
        try Files.put(root + "/lower1/var/cache/app/two", "2\n")
        try Files.put(root + "/lower2/etc/os-release", "NAME=\"SandboxLabs app\"\nVERSION_ID=2\n")
        try Files.put(root + "/lower2/etc/hostname", "lab-box\n")
        narrator.observe("lower1: ", "etc/os-release etc/motd var/cache/app/{one,two}   (bottom layer)")
        narrator.observe("lower2: ", "etc/os-release etc/hostname   (the layer above it)")
    }

    mutating func mount(_ name: String) throws {
        let layers = layers(name)
        let merged = "\(root)/\(name)/merged"
        for dir in [layers.upper, layers.work, merged] { try Files.makeDirectories(dir) }
        let data = try layers.mountData()
        try narrator.step(Mounts.describe(source: "overlay", target: merged, type: "overlay", flags: [], data: data)) {
            try layers.mount(at: merged)
        }
        mounted.append(merged)
        narrator.fact(
            "container\(name)",
            .object([
                ("lower", .array(layers.lower.map { .string($0) })), ("upper", .string(layers.upper)),
                ("merged", .string(merged)), ("data", .string(data)),
            ]))
        if name == "A" {
            let etc = Files.list(merged + "/etc").joined(separator: " ")
            let release = (try? ProcFile.read(merged + "/etc/os-release"))?.split(separator: "\n").first ?? ""
            narrator.observe("merged: ", "etc/ = \(etc);  os-release says \(release)")
            narrator.explain("one view of both layers; for a name in both, the upper-most lower (lower2) wins.")
        }
    }

    func copyUp() throws {
        let (merged, upper, lower) = (
            "\(root)/A/merged/etc/motd", "\(root)/A/upper/etc/motd", "\(root)/lower1/etc/motd"
        )
        try narrator.step("open(\"\(merged)\", O_WRONLY|O_CREAT|O_TRUNC)", detail: "write") {
            try ProcFile.write(merged, "changed in container A\n", create: true)
        }
        let inUpper = (try? ProcFile.read(upper)) ?? "(missing)"
        let inLower = (try? ProcFile.read(lower)) ?? "(missing)"
        narrator.observe("upper:  ", "etc/motd = \(inUpper.trimmingWhitespace())   ino \(Files.inode(upper))")
        narrator.observe("lower1: ", "etc/motd = \(inLower.trimmingWhitespace())   ino \(Files.inode(lower))")
        narrator.explain("copy-up: the whole file was copied to upper before the write; the lower layer never changes.")
        narrator.fact(
            "copyUp",
            .object([("upper", .string(inUpper)), ("lowerUnchanged", .bool(inLower == "welcome to the base layer\n"))]))
    }

    func whiteout() throws {
        let target = "\(root)/A/merged/etc/hostname"
        try narrator.step("unlink(\"\(target)\")") { try Sys.unlink(target) }
        let mark = "\(root)/A/upper/etc/hostname"
        var buf = stat()
        lstat(mark, &buf)
        let isWhiteout = OverlayInspect.isWhiteout(mark)
        let kind = buf.st_mode & S_IFMT == S_IFCHR ? "S_IFCHR" : "not a character device"
        narrator.observe("upper:  ", "etc/hostname: \(kind), rdev \(buf.st_rdev)  → whiteout: \(isWhiteout)")
        narrator.observe("lower2: ", "etc/hostname still there: \(Sys.exists(root + "/lower2/etc/hostname"))")
        narrator.explain("a character device 0/0 in upper hides the name in every lower layer: a recorded deletion.")
        narrator.fact("whiteout", .object([("path", .string(mark)), ("found", .bool(isWhiteout))]))
    }

    func opaque() throws {
        let dir = "\(root)/A/merged/var/cache/app"
        try narrator.step("rm -rf \(dir); mkdir(\"\(dir)\")") {
            try Files.removeTree(dir)
            try Sys.mkdir(dir)
            try Files.put(dir + "/three", "3\n")
        }
        let upperDir = "\(root)/A/upper/var/cache/app"
        let value = OverlayInspect.xattr(upperDir, "trusted.overlay.opaque")
        narrator.observe(
            "upper:  ", "lgetxattr(var/cache/app, \"trusted.overlay.opaque\") = \(value.map { "\"\($0)\"" } ?? "none")")
        narrator.observe("merged: ", "var/cache/app/ = \(Files.list(dir).joined(separator: " "))")
        narrator.observe(
            "lower1: ", "var/cache/app/ = \(Files.list(root + "/lower1/var/cache/app").joined(separator: " "))")
        narrator.explain("an opaque directory stops the lookup: nothing below it in the lower layers shows through.")
        narrator.fact("opaque", .object([("path", .string(upperDir)), ("xattr", value.map { .string($0) } ?? .null)]))
    }

    func shared() throws {
        let motdB = (try? ProcFile.read("\(root)/B/merged/etc/motd")) ?? "(missing)"
        try Files.put("\(root)/B/merged/etc/only-in-b", "B\n")
        let seenInA = Sys.exists("\(root)/A/merged/etc/only-in-b")
        narrator.observe(
            "B sees: ",
            "etc/motd = \(motdB.trimmingWhitespace());  etc/hostname exists: \(Sys.exists("\(root)/B/merged/etc/hostname"))"
        )
        narrator.observe("A sees: ", "etc/only-in-b exists: \(seenInA)")
        narrator.explain(
            "same lowers, separate uppers: each container's changes are its own; the layers are stored once.")
        narrator.fact(
            "shared",
            .object([("bSeesOriginal", .bool(motdB == "welcome to the base layer\n")), ("aSeesB", .bool(seenInA))]))
    }

    mutating func unmountAll() {
        while let merged = mounted.popLast() {
            do {
                try narrator.step("umount2(\"\(merged)\", 0)") { try Mounts.unmount(merged) }
            } catch {
                Terminal.reportError(tool: "sb-overlay", error)
            }
        }
    }
}
