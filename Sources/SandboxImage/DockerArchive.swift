import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// Reads the `docker save` form: `manifest.json` lists, per image, its
/// RepoTags, its config file and its layer tars, bottom first.
///
/// This form has no descriptors: the config file is named by its own digest
/// (the image id), and layers are checked only against the config's
/// `rootfs.diffIDs` (they are stored uncompressed, so that is their digest).
struct DockerArchiveReader {
    let layout: ImageLayout

    func resolve(_ reference: String?) throws -> ResolvedImage {
        let entries = try layout.readTopLevel("manifest.json", as: [DockerArchiveEntry].self)
        let entry = try pick(reference, from: entries)
        let configPath = try member(entry.config)
        let configBytes = try BlobFile.read(configPath, limit: BlobFile.jsonLimit)
        let configDigest = Digest.of(configBytes)
        if let named = Self.hexName(entry.config), named != configDigest.hex {
            throw ImageError.digestMismatch(expected: try Digest(parsing: "sha256:" + named), actual: configDigest)
        }
        let config = try BlobFile.decode(ImageConfiguration.self, from: configBytes, what: "config \(entry.config)")
        guard config.rootfs.diffIDs.count == entry.layers.count else {
            throw ImageError.layerCountMismatch(manifest: entry.layers.count, diffIDs: config.rootfs.diffIDs.count)
        }
        var layers: [LayerSource] = []
        var descriptors: [Descriptor] = []
        for (position, name) in entry.layers.enumerated() {
            let path = try member(name)
            let diffID = try Digest(parsing: config.rootfs.diffIDs[position])
            var info = stat()
            try check("stat", path: path) { stat(path, &info) }
            layers.append(LayerSource(index: position, path: path, digest: nil, size: nil, diffID: diffID))
            descriptors.append(
                Descriptor(mediaType: MediaType.dockerLayer, digest: diffID.description, size: Int64(info.st_size)))
        }
        let configDescriptor = Descriptor(
            mediaType: MediaType.dockerConfig, digest: configDigest.description, size: Int64(configBytes.count))
        let manifest = ImageManifest(
            schemaVersion: 2, mediaType: MediaType.dockerManifest, config: configDescriptor, layers: descriptors)
        return ResolvedImage(
            names: entry.repoTags ?? [], index: nil, indexDescriptor: nil, manifestDescriptor: configDescriptor,
            manifest: manifest, config: config, configDigest: configDigest, layers: layers)
    }

    private func pick(_ reference: String?, from entries: [DockerArchiveEntry]) throws -> DockerArchiveEntry {
        let available = entries.flatMap { $0.repoTags ?? ["(untagged)"] }
        guard let reference else {
            guard entries.count == 1, let only = entries.first else {
                throw ImageError.ambiguousReference(available: available)
            }
            return only
        }
        let found = entries.first { entry in (entry.repoTags ?? []).contains { Self.matches($0, reference) } }
        guard let found else { throw ImageError.referenceNotFound(reference, available: available) }
        return found
    }

    /// True if `reference` names `repoTag` ("docker.io/library/busybox:1.36"):
    /// the whole of it, its tag alone, its repository (meaning :latest), or a
    /// shorter form of it ("busybox:1.36", "library/busybox").
    static func matches(_ repoTag: String, _ reference: String) -> Bool {
        func split(_ text: String) -> (repository: String, tag: String) {
            let slash = text.lastIndex(of: "/") ?? text.startIndex
            guard let colon = text[slash...].lastIndex(of: ":") else { return (text, "latest") }
            return (String(text[..<colon]), String(text[text.index(after: colon)...]))
        }
        let have = split(repoTag)
        if reference == repoTag || reference == have.tag { return true }
        let want = split(reference)
        return want.tag == have.tag
            && (have.repository == want.repository || have.repository.hasSuffix("/" + want.repository))
    }

    /// The path of a member of the copied archive, following symlinks
    /// between members lexically and never out of the copy.
    private func member(_ name: String) throws -> String {
        var path = try ArchiveCopy.clean(name)
        for _ in 0..<8 {
            let full = layout.directory + "/" + path.description
            guard let target = try? Sys.readlink(full) else {
                guard Sys.exists(full) else {
                    throw ImageError.archiveMember(name, reason: "listed in manifest.json but not in the archive")
                }
                return full
            }
            if target.hasPrefix("/") { throw ImageError.archiveMember(name, reason: "an absolute symlink") }
            var parts = path.parent.components
            for part in target.split(separator: "/").map(String.init) where part != "." {
                if part == ".." {
                    guard !parts.isEmpty else {
                        throw ImageError.archiveMember(name, reason: "a symlink out of the archive")
                    }
                    parts.removeLast()
                } else {
                    parts.append(part)
                }
            }
            path = try RelativePath(components: parts, entry: name)
        }
        throw ImageError.archiveMember(name, reason: "too many symlinks")
    }

    /// The 64-hex digest in a member name like `abc….json` or `blobs/sha256/abc…`.
    static func hexName(_ name: String) -> String? {
        let base = name.split(separator: "/").last.map(String.init) ?? name
        let stem = base.hasSuffix(".json") ? String(base.dropLast(5)) : base
        let isHex = stem.utf8.count == 64 && stem.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
        return isHex ? stem : nil
    }
}
