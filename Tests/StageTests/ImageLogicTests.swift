import Testing

@testable import SandboxImage

/// The image library's pure logic: no files, no kernel.
@Suite("SandboxImage: digests, paths, platforms, references")
struct ImageLogicTests {
    @Test("a digest is sha256: and 64 lowercase hex digits; anything else is refused with its reason")
    func digests() throws {
        let hex = String(repeating: "ab", count: 32)
        #expect(try Digest(parsing: "sha256:" + hex).hex == hex)
        #expect(throws: ImageError.malformedDigest("sha256:" + hex.uppercased())) {
            try Digest(parsing: "sha256:" + hex.uppercased())
        }
        #expect(throws: ImageError.malformedDigest("sha256:abc")) { try Digest(parsing: "sha256:abc") }
        #expect(throws: ImageError.unsupportedDigest("sha512:" + hex)) { try Digest(parsing: "sha512:" + hex) }
        #expect(Digest.of(Array("".utf8)).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test("paths compare by bytes: NFC and NFD café are two files")
    func pathsByBytes() throws {
        let composed = try RelativePath(components: ["caf\u{E9}"], entry: "x")
        let decomposed = try RelativePath(components: ["cafe\u{301}"], entry: "x")
        #expect(composed.components[0] == decomposed.components[0], "Swift's String == says equal")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
    }

    @Test("a path refuses \"..\", \".\", \"\", NUL, names over 255 bytes and paths over PATH_MAX")
    func pathLimits() {
        for bad in ["..", ".", "", "a\0b", "a/b", String(repeating: "n", count: 256)] {
            #expect(throws: LayerError.self) { try RelativePath(components: ["ok", bad], entry: "e") }
        }
        let long = Array(repeating: String(repeating: "d", count: 200), count: 21)
        #expect(throws: LayerError.pathTooLong("e", length: 21 * 201, limit: 4095)) {
            try RelativePath(components: long, entry: "e")
        }
    }

    @Test("platforms: os/arch[/variant]; a request without a variant takes any")
    func platforms() throws {
        let arm = try #require(Platform(parsing: "linux/arm64/v8"))
        #expect(arm.satisfies(try #require(Platform(parsing: "linux/arm64"))))
        #expect(!arm.satisfies(try #require(Platform(parsing: "linux/arm64/v9"))))
        #expect(Platform(parsing: "linux") == nil && Platform(parsing: "linux//") == nil)
    }

    @Test("docker save RepoTags answer to the whole tag, the tag alone, the repository, or a shorter name")
    func dockerReferences() {
        let tag = "docker.io/sandboxlabs/fixture:latest"
        for name in [tag, "latest", "sandboxlabs/fixture", "fixture", "fixture:latest", "sandboxlabs/fixture:latest"] {
            #expect(DockerArchiveReader.matches(tag, name), "\(name)")
        }
        for name in ["fixture:1.0", "other", "xfixture"] { #expect(!DockerArchiveReader.matches(tag, name), "\(name)") }
    }

    @Test("index.json: no reference takes latest or the only image; a digest picks its entry")
    func pickReference() throws {
        func entry(_ tag: String?, _ byte: String) -> Descriptor {
            var descriptor = Descriptor(
                mediaType: MediaType.ociManifest, digest: "sha256:" + String(repeating: byte, count: 64), size: 1)
            descriptor.annotations = tag.map { ["org.opencontainers.image.ref.name": $0] }
            return descriptor
        }
        let entries = [entry("v1", "1"), entry("latest", "2")]
        #expect(try ImageLayout.pick(nil, from: entries).digest == entries[1].digest)
        #expect(try ImageLayout.pick("v1", from: entries).digest == entries[0].digest)
        #expect(try ImageLayout.pick("@" + entries[0].digest, from: entries).digest == entries[0].digest)
        #expect(throws: ImageError.ambiguousReference(available: ["v1", "v2"])) {
            try ImageLayout.pick(nil, from: [entry("v1", "1"), entry("v2", "2")])
        }
        #expect(throws: ImageError.referenceNotFound("v3", available: ["v1", "latest"])) {
            try ImageLayout.pick("v3", from: entries)
        }
        // A tag is not matched by the tag part of some other name.
        #expect(throws: ImageError.referenceNotFound("ubuntu:v1", available: ["v1", "latest"])) {
            try ImageLayout.pick("ubuntu:v1", from: entries)
        }
        #expect(try ImageLayout.pick("busybox", from: [entry("busybox:latest", "3")]).digest.hasSuffix("3333"))
    }
}
