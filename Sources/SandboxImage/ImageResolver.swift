import SandboxCore

/// One image, found and read: the manifest chosen, its config, its layers.
public struct ResolvedImage: Sendable {
    /// The names this image is known by here (tags, `name:tag`).
    public var names: [String]
    /// The index that offered several platforms, if the reference named one.
    public var index: ImageIndex?
    public var indexDescriptor: Descriptor?
    public var manifestDescriptor: Descriptor
    public var manifest: ImageManifest
    public var config: ImageConfiguration
    public var configDigest: Digest
    public var layers: [LayerSource]
}

extension ImageLayout {
    /// The references a user can name: tags (OCI layout) or RepoTags (docker save).
    public func references() throws -> [String] {
        switch kind {
        case .ociLayout, .ociArchive:
            let index = try readTopLevel("index.json", as: ImageIndex.self)
            return index.manifests.map { $0.referenceName ?? $0.digest }
        case .dockerArchive:
            let entries = try readTopLevel("manifest.json", as: [DockerArchiveEntry].self)
            return entries.flatMap { $0.repoTags ?? [] }
        }
    }

    /// Finds an image by reference (`tag`, `name:tag`, `@sha256:…`; nil when
    /// there is only one), picks `platform` from an index, and reads and
    /// checks the manifest and config.
    public func resolve(_ reference: String?, platform: Platform) throws -> ResolvedImage {
        switch kind {
        case .ociLayout, .ociArchive: return try resolveOCI(reference, platform: platform)
        case .dockerArchive: return try DockerArchiveReader(layout: self).resolve(reference)
        }
    }

    private func resolveOCI(_ reference: String?, platform: Platform) throws -> ResolvedImage {
        let top = try readTopLevel("index.json", as: ImageIndex.self)
        let chosen = try Self.pick(reference, from: top.manifests)
        var names = [chosen.referenceName].compactMap { $0 }
        var index: ImageIndex?
        var indexDescriptor: Descriptor?
        var manifestDescriptor = chosen
        if MediaType.indexes.contains(chosen.mediaType) {
            let nested = try readJSON(chosen, as: ImageIndex.self, what: "index")
            index = nested
            indexDescriptor = chosen
            manifestDescriptor = try Self.choose(platform, from: nested.manifests)
            guard MediaType.manifests.contains(manifestDescriptor.mediaType) else {
                throw ImageError.wrongMediaType(
                    what: "index entry \(manifestDescriptor.digest)", mediaType: manifestDescriptor.mediaType,
                    expected: MediaType.ociManifest)
            }
        } else if !MediaType.manifests.contains(chosen.mediaType) {
            throw ImageError.wrongMediaType(
                what: "index.json entry \(chosen.digest)", mediaType: chosen.mediaType, expected: MediaType.ociManifest)
        }
        let manifest = try readJSON(manifestDescriptor, as: ImageManifest.self, what: "manifest")
        if names.isEmpty { names = [manifestDescriptor.digest] }
        return try finish(
            names: names, index: index, indexDescriptor: indexDescriptor, manifestDescriptor: manifestDescriptor,
            manifest: manifest)
    }

    func finish(
        names: [String], index: ImageIndex?, indexDescriptor: Descriptor?, manifestDescriptor: Descriptor,
        manifest: ImageManifest
    ) throws -> ResolvedImage {
        guard MediaType.configs.contains(manifest.config.mediaType) else {
            throw ImageError.wrongMediaType(
                what: "the manifest's config", mediaType: manifest.config.mediaType, expected: MediaType.ociConfig)
        }
        let config = try readJSON(manifest.config, as: ImageConfiguration.self, what: "config")
        guard config.rootfs.diffIDs.count == manifest.layers.count else {
            throw ImageError.layerCountMismatch(manifest: manifest.layers.count, diffIDs: config.rootfs.diffIDs.count)
        }
        var layers: [LayerSource] = []
        for (position, descriptor) in manifest.layers.enumerated() {
            guard MediaType.layers.contains(descriptor.mediaType) else {
                throw ImageError.wrongMediaType(
                    what: "layer \(position + 1)", mediaType: descriptor.mediaType, expected: MediaType.ociLayerGzip)
            }
            let digest = try descriptor.parsedDigest()
            let path = blobPath(digest)
            guard Sys.exists(path) else { throw ImageError.missingBlob(digest, path: path) }
            let diffID = try Digest(parsing: config.rootfs.diffIDs[position])
            layers.append(
                LayerSource(index: position, path: path, digest: digest, size: descriptor.size, diffID: diffID))
        }
        return ResolvedImage(
            names: names, index: index, indexDescriptor: indexDescriptor, manifestDescriptor: manifestDescriptor,
            manifest: manifest, config: config, configDigest: try manifest.config.parsedDigest(), layers: layers)
    }

    /// The index.json entry a reference names.
    static func pick(_ reference: String?, from entries: [Descriptor]) throws -> Descriptor {
        let available = entries.map { $0.referenceName ?? $0.digest }
        guard let reference else {
            // Like docker: no tag means "latest", if there is one.
            let latest = entries.filter { $0.referenceName == "latest" }
            if entries.count > 1, latest.count == 1, let only = latest.first { return only }
            guard entries.count == 1, let only = entries.first else {
                throw entries.isEmpty
                    ? ImageError.referenceNotFound("(any)", available: [])
                    : ImageError.ambiguousReference(available: available)
            }
            return only
        }
        if let at = reference.range(of: "@") {
            let digest = String(reference[at.upperBound...])
            if let match = entries.first(where: { $0.digest == digest }) { return match }
            throw ImageError.referenceNotFound(reference, available: available)
        }
        // Exact names only (a tag such as "latest", or a full name:tag), plus
        // "name" meaning "name:latest" as docker reads it. A tag is never
        // matched by the tag part of another name: "ubuntu:latest" is not "latest".
        let matches = entries.filter { entry in
            let names = [entry.referenceName, entry.annotations?["io.containerd.image.name"]].compactMap { $0 }
            return names.contains(reference) || (!reference.contains(":") && names.contains(reference + ":latest"))
        }
        guard let first = matches.first else { throw ImageError.referenceNotFound(reference, available: available) }
        guard matches.count == 1 else {
            throw ImageError.ambiguousReference(available: matches.map { $0.referenceName ?? $0.digest })
        }
        return first
    }

    /// The manifest for `platform` in an index; a request without a variant
    /// takes the first match, one with a variant needs that variant.
    static func choose(_ platform: Platform, from manifests: [Descriptor]) throws -> Descriptor {
        if let match = manifests.first(where: { $0.platform?.satisfies(platform) ?? false }) { return match }
        if manifests.count == 1, let only = manifests.first, only.platform == nil { return only }
        throw ImageError.platformNotFound(
            platform.description, available: manifests.map { $0.platform?.description ?? "(no platform)" })
    }
}
