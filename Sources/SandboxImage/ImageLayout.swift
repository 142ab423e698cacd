import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// An image on disk in one of the three forms tools exchange:
///
///     OCI image layout    a directory: oci-layout, index.json, blobs/sha256/<hex>
///     OCI archive         the same directory as a tar (skopeo's oci-archive:)
///     docker save         a tar: manifest.json, <config>.json, <layer>/layer.tar
///
/// Archives are first copied out into a private temporary directory (only
/// regular files and directories, names checked like layer entries) and read
/// from there; the copy is removed by `close()` or when this object goes.
public final class ImageLayout {
    public enum Kind: String, Sendable {
        case ociLayout = "oci-layout"
        case ociArchive = "oci-archive"
        case dockerArchive = "docker-archive"
    }

    /// What the user named.
    public let path: String
    public let kind: Kind
    /// The directory the blobs are read from.
    public let directory: String
    private var temporary: String?

    private init(path: String, kind: Kind, directory: String, temporary: String?) {
        self.path = path
        self.kind = kind
        self.directory = directory
        self.temporary = temporary
    }

    deinit { close() }

    /// Opens a layout directory or an archive file, telling which by what it holds.
    public static func open(_ path: String) throws -> ImageLayout {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT { throw ImageError.notAnImage(path, reason: "there is no such file or directory") }
            throw SyscallError(call: "stat", path: path, errno: .init(rawValue: code))
        }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            guard Sys.exists(path + "/oci-layout") else {
                throw ImageError.notAnImage(path, reason: "a directory without an oci-layout file")
            }
            try checkLayoutVersion(path)
            return ImageLayout(path: path, kind: .ociLayout, directory: path, temporary: nil)
        }
        let copy = try ArchiveCopy.extract(path)
        if Sys.exists(copy + "/oci-layout") && Sys.exists(copy + "/index.json") {
            try checkLayoutVersion(copy)
            return ImageLayout(path: path, kind: .ociArchive, directory: copy, temporary: copy)
        }
        if Sys.exists(copy + "/manifest.json") {
            return ImageLayout(path: path, kind: .dockerArchive, directory: copy, temporary: copy)
        }
        ArchiveCopy.removeTree(copy)
        throw ImageError.notAnImage(path, reason: "a tar with neither oci-layout nor manifest.json")
    }

    /// Removes the temporary copy of an archive, if there is one.
    public func close() {
        if let temporary { ArchiveCopy.removeTree(temporary) }
        temporary = nil
    }

    private static func checkLayoutVersion(_ directory: String) throws {
        struct LayoutFile: Decodable { var imageLayoutVersion: String }
        let bytes = try BlobFile.read(directory + "/oci-layout", limit: BlobFile.jsonLimit)
        let layout = try BlobFile.decode(LayoutFile.self, from: bytes, what: "oci-layout")
        guard layout.imageLayoutVersion.hasPrefix("1.") else {
            throw ImageError.notAnImage(
                directory, reason: "imageLayoutVersion \(layout.imageLayoutVersion), expected 1.x")
        }
    }

    /// The file of a blob in an OCI layout.
    public func blobPath(_ digest: Digest) -> String { directory + "/blobs/sha256/" + digest.hex }

    /// Reads a JSON blob whole, checks its size and digest, and decodes it.
    public func readJSON<T: Decodable>(_ descriptor: Descriptor, as type: T.Type, what: String) throws -> T {
        let digest = try descriptor.parsedDigest()
        if descriptor.size > BlobFile.jsonLimit {
            throw ImageError.blobTooLarge(digest, size: descriptor.size, limit: BlobFile.jsonLimit)
        }
        let path = blobPath(digest)
        guard Sys.exists(path) else { throw ImageError.missingBlob(digest, path: path) }
        let bytes = try BlobFile.read(path, limit: BlobFile.jsonLimit)
        guard Int64(bytes.count) == descriptor.size else {
            throw ImageError.sizeMismatch(digest, expected: descriptor.size, actual: Int64(bytes.count))
        }
        let actual = Digest.of(bytes)
        guard actual == digest else { throw ImageError.digestMismatch(expected: digest, actual: actual) }
        return try BlobFile.decode(T.self, from: bytes, what: "\(what) \(digest.short)")
    }

    /// Reads a top-level JSON file (index.json, manifest.json): nothing names its digest.
    func readTopLevel<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        let bytes = try BlobFile.read(directory + "/" + name, limit: BlobFile.jsonLimit)
        return try BlobFile.decode(T.self, from: bytes, what: name)
    }
}
