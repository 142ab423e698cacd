import SandboxCore
import SandboxImage
import SandboxNamespaces

#if canImport(Glibc)
    import Glibc
#endif

/// Where lab 11's inputs are: the fixture image and its oracle listing
/// (scripts/make-images), the hostile corpus (scripts/make-hostile-images)
/// and scripts/tree-listing, all found through `.sandboxlabs` above here.
struct ImageInputs {
    let artefacts: String
    var fixture: String { artefacts + "/images/fixture" }
    var oracle: String { artefacts + "/images/fixture.oracle.listing" }
    var repository: String { String(artefacts.dropLast("/.sandboxlabs".count)) }

    func hostile(_ name: String) -> String { artefacts + "/hostile/" + name }

    /// Finds the inputs or explains how to make them.
    static func find() throws -> ImageInputs {
        guard let artefacts = Locate.artefacts(), Sys.exists(artefacts + "/images/fixture/index.json"),
            Sys.exists(artefacts + "/hostile/cases.json")
        else { throw GraderInputError.missing }
        return ImageInputs(artefacts: artefacts)
    }

    /// The canonical listing of a tree, the form the oracle is kept in.
    func listing(_ tree: String) throws -> String {
        let script = repository + "/scripts/tree-listing"
        let result = try ChildProcess.run(
            SpawnRequest(path: "/usr/bin/python3", arguments: ["python3", script, tree, "--exclude-root-meta"]),
            timeout: 120)
        guard result.status == .exited(0) else { throw GraderInputError.listing(result.stderr) }
        return result.stdout
    }
}

enum GraderInputError: Error, CustomStringConvertible {
    case missing
    case listing(String)

    var description: String {
        switch self {
        case .missing:
            "lab 11 needs the fixture image and the hostile corpus: run scripts/make-images and"
                + " scripts/make-hostile-images (as root) in the repository"
        case .listing(let stderr): "scripts/tree-listing failed: \(stderr.prefix(300))"
        }
    }
}

/// One run of `IMPL unpack IMAGE DEST` in throwaway namespaces.
///
/// An unpacker under test may be the naive kind that writes wherever a tar
/// entry points. So it runs in a new mount namespace where /etc and /tmp are
/// overlays whose upper layers live on a tmpfs the grader made: a write to
/// /etc/x or /tmp/x lands there and is reported (fd 3) instead of reaching the
/// host, and vanishes with the namespace. DEST is under /var/tmp, outside both
/// overlays, so its parent directory (where a "../x" entry would land) is seen
/// from outside too.
struct UnpackRun {
    /// Paths written under /etc or /tmp during the run, as the wrapper found them.
    let escapes: [String]
    let result: ChildProcess.Result

    static let wrapper = """
        jail=$1; mount=$2; shift 2
        "$mount" --make-rprivate / || exit 120
        "$mount" -t tmpfs -o mode=0700 sb-grade-jail "$jail" || exit 120
        for d in etc tmp; do
          mkdir "$jail/$d-up" "$jail/$d-work" || exit 120
          "$mount" -t overlay overlay -o "lowerdir=/$d,upperdir=$jail/$d-up,workdir=$jail/$d-work" "/$d" || exit 120
        done
        mkdir -p /tmp/sandboxlabs-hostile-target
        "$@"; status=$?
        for d in etc tmp; do
          (cd "$jail/$d-up" && find . -mindepth 1 ! -path ./sandboxlabs-hostile-target) | sed "s|^\\.|/$d|" >&3
        done
        exit $status
        """

    init(_ context: GradeContext, image: String, destination: String, jail: String) throws {
        let mount = Sys.resolveExecutable("mount", searchPath: "/usr/bin:/bin:/usr/sbin:/sbin") ?? "/bin/mount"
        let run = try Jail(
            Probe(context: context), cloneFlags: Namespace.mnt.cloneFlag, watching: .mnt, wrapper: UnpackRun.wrapper,
            name: "sb-grade-image-jail", leading: [jail, mount], ["unpack", image, destination])
        result = run.child.finish(timeout: context.timeout)
        escapes = result.report.split(separator: "\n").map(String.init)
    }
}

/// A scratch directory under /var/tmp for one check: DEST goes in it, and
/// anything else that appears in it came from an entry that climbed out of DEST.
struct UnpackScratch {
    let root: String
    var destination: String { root + "/dest" }
    var jail: String { root + "/jail" }

    static func with(_ body: (UnpackScratch) throws -> Verdict) throws -> Verdict {
        let scratch = UnpackScratch(root: try Sys.makeTemporaryDirectory("/var/tmp/sb-grade-image-"))
        defer { OverlayFixture.removeAll(scratch.root) }
        try Sys.mkdir(scratch.jail, mode: 0o700)
        return try body(scratch)
    }

    /// Names in the scratch directory other than DEST and the jail: escapes.
    func strays() -> [String] {
        let names = (try? directoryNames(root)) ?? []
        return names.subtracting(["dest", "jail", "secret", "image"]).sorted()
    }

    /// Runs the implementation on `image`.
    func unpack(_ context: GradeContext, _ image: String) throws -> UnpackRun {
        try UnpackRun(context, image: image, destination: destination, jail: jail)
    }

    /// Every escape a run made: writes under /etc or /tmp, names beside DEST.
    func escapes(_ run: UnpackRun) -> [String] {
        run.escapes + strays().map { root + "/" + $0 }
    }
}

/// A one-layer OCI image the grader writes itself: an uncompressed tar (so its
/// digest is its diff_id), a config, a manifest and index.json tagged latest.
enum TinyImage {
    enum Entry {
        case file(String, String)
        case hardlink(String, target: String)
    }

    static func write(_ entries: [Entry], to directory: String) throws {
        var tar: [UInt8] = []
        for entry in entries {
            switch entry {
            case .file(let name, let text):
                tar += header(name: name, type: "0", size: text.utf8.count) + pad(Array(text.utf8))
            case .hardlink(let name, let target):
                tar += header(name: name, type: "1", size: 0, link: target)
            }
        }
        tar += [UInt8](repeating: 0, count: 1024)
        try Sys.mkdir(directory)
        try Sys.mkdir(directory + "/blobs")
        try Sys.mkdir(directory + "/blobs/sha256")
        let layer = try store(tar, in: directory)
        let config = try store(
            Array(
                #"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["\#(layer.digest)"]}}"#
                    .utf8), in: directory)
        let manifest = try store(
            Array(
                (#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","#
                    + #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"#
                    + #""layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layer.digest)","size":\#(layer.size)}]}"#)
                    .utf8), in: directory)
        try ProcFile.write(
            directory + "/index.json",
            #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(manifest.digest)","size":\#(manifest.size),"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}"#,
            create: true)
        try ProcFile.write(directory + "/oci-layout", #"{"imageLayoutVersion":"1.0.0"}"#, create: true)
    }

    private static func store(_ bytes: [UInt8], in directory: String) throws -> (digest: String, size: Int) {
        let digest = Digest.of(bytes)
        let path = directory + "/blobs/sha256/" + digest.hex
        let fd = try check("open", path: path) { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
        defer { close(fd) }
        try check("write", path: path) { bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }
        return (digest.description, bytes.count)
    }

    /// A ustar header (POSIX pax(1) "ustar Interchange Format").
    private static func header(name: String, type: String, size: Int, link: String = "") -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, width: Int) -> String {
            let digits = String(value, radix: 8)
            return String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
        }
        put(name, at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(size, width: 12), at: 124, width: 12)
        put(octal(0, width: 12), at: 136, width: 12)
        put(type, at: 156, width: 1)
        put(link, at: 157, width: 100)
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7), at: 148, width: 7)
        return block
    }

    private static func pad(_ bytes: [UInt8]) -> [UInt8] {
        bytes + [UInt8](repeating: 0, count: (512 - bytes.count % 512) % 512)
    }
}
