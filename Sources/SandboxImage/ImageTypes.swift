// The JSON documents of an image (opencontainers/image-spec): descriptors,
// indexes, manifests and the image configuration. Only the fields a reader
// needs are declared; decoding ignores the others, as the spec asks
// ("implementations MUST NOT generate an error if they encounter an unknown property").

/// A pointer to a blob: what it is (media type), its digest and its size.
///
/// The size matters as much as the digest: a reader stops at `size` bytes,
/// so a blob cannot grow without bound while it is being hashed.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: String
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?
    public var urls: [String]?

    public init(mediaType: String, digest: String, size: Int64, platform: Platform? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
    }

    /// The digest, parsed and checked.
    public func parsedDigest() throws(ImageError) -> Digest { try Digest(parsing: digest) }

    /// The `org.opencontainers.image.ref.name` annotation: the tag in an OCI layout.
    public var referenceName: String? { annotations?["org.opencontainers.image.ref.name"] }
}

/// The operating system and CPU architecture an image is built for.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var architecture: String
    public var os: String
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case architecture, os, variant
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    /// Parses `os/arch[/variant]`, e.g. `linux/amd64` or `linux/arm/v7`.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 || parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    public var description: String { [os, architecture, variant].compactMap { $0 }.joined(separator: "/") }

    /// True if an image for `self` fits a request for `wanted`; a request
    /// without a variant accepts any variant.
    public func satisfies(_ wanted: Platform) -> Bool {
        os == wanted.os && architecture == wanted.architecture
            && (wanted.variant == nil || variant == wanted.variant)
    }
}

/// An image index (OCI) or manifest list (Docker): one manifest per platform.
/// The `index.json` at the top of an OCI layout has the same shape.
public struct ImageIndex: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var manifests: [Descriptor]
    public var annotations: [String: String]?
}

/// An image manifest: the config blob and the layers, bottom first.
public struct ImageManifest: Codable, Sendable {
    public var schemaVersion: Int?
    public var mediaType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?
}

/// The image configuration: what to run, and the uncompressed digest of
/// every layer (`rootfs.diffIDs`), bottom first.
public struct ImageConfiguration: Codable, Sendable {
    public var architecture: String
    public var os: String
    public var variant: String?
    public var created: String?
    public var author: String?
    public var config: RunConfiguration?
    public var rootfs: RootFS
    public var history: [History]?

    /// The process defaults: `docker run` without arguments uses these.
    public struct RunConfiguration: Codable, Sendable {
        public var user: String?
        public var env: [String]?
        public var entrypoint: [String]?
        public var cmd: [String]?
        public var workingDir: String?
        public var labels: [String: String]?
        public var stopSignal: String?

        // The config's keys are capitalised (they come from Docker's Go structs).
        enum CodingKeys: String, CodingKey {
            case user = "User"
            case env = "Env"
            case entrypoint = "Entrypoint"
            case cmd = "Cmd"
            case workingDir = "WorkingDir"
            case labels = "Labels"
            case stopSignal = "StopSignal"
        }
    }

    /// The layers as the config sees them: uncompressed digests.
    public struct RootFS: Codable, Sendable {
        public var type: String
        public var diffIDs: [String]

        enum CodingKeys: String, CodingKey {
            case type
            case diffIDs = "diff_ids"
        }
    }

    /// One build step; `emptyLayer` steps (ENV, CMD, ...) made no layer.
    public struct History: Codable, Sendable {
        public var created: String?
        public var createdBy: String?
        public var comment: String?
        public var emptyLayer: Bool?

        enum CodingKeys: String, CodingKey {
            case created, comment
            case createdBy = "created_by"
            case emptyLayer = "empty_layer"
        }
    }

    public var platform: Platform { Platform(os: os, architecture: architecture, variant: variant) }
}

/// `manifest.json` at the top of a `docker save` archive: one entry per image.
public struct DockerArchiveEntry: Codable, Sendable {
    public var config: String
    public var repoTags: [String]?
    public var layers: [String]

    enum CodingKeys: String, CodingKey {
        case config = "Config"
        case repoTags = "RepoTags"
        case layers = "Layers"
    }
}
