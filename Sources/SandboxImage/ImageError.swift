/// What can be wrong with an image: its layout, its JSON, its blobs.
///
/// Each case names the thing at fault, so `sb-image` can print one line a
/// student can act on ("blob sha256:ab… is 1200 bytes, its descriptor says 1300").
public enum ImageError: Error, Equatable, CustomStringConvertible, Sendable {
    case notAnImage(String, reason: String)
    case malformedDigest(String)
    case unsupportedDigest(String)
    case missingBlob(Digest, path: String)
    case sizeMismatch(Digest, expected: Int64, actual: Int64)
    case digestMismatch(expected: Digest, actual: Digest)
    case diffIDMismatch(layer: Int, expected: Digest, actual: Digest)
    case invalidJSON(what: String, reason: String)
    case wrongMediaType(what: String, mediaType: String, expected: String)
    case blobTooLarge(Digest, size: Int64, limit: Int64)
    case referenceNotFound(String, available: [String])
    case ambiguousReference(available: [String])
    case platformNotFound(String, available: [String])
    case platformMismatch(wanted: String, image: String)
    case layerCountMismatch(manifest: Int, diffIDs: Int)
    case unreadableLayer(index: Int, reason: String)
    case archiveMember(String, reason: String)

    public var description: String {
        switch self {
        case .notAnImage(let path, let reason):
            return "\(path) is not an image: \(reason)"
        case .malformedDigest(let text):
            return "\"\(text)\" is not a digest (expected sha256: and 64 lowercase hex digits)"
        case .unsupportedDigest(let text):
            return "\(text): only sha256 digests are supported"
        case .missingBlob(let digest, let path):
            return "blob \(digest) is missing (no file \(path))"
        case .sizeMismatch(let digest, let expected, let actual):
            return "blob \(digest) is \(actual) bytes, its descriptor says \(expected)"
        case .digestMismatch(let expected, let actual):
            return "blob \(expected) has the wrong content: its bytes hash to \(actual)"
        case .diffIDMismatch(let layer, let expected, let actual):
            return
                "layer \(layer + 1): uncompressed it hashes to \(actual), the config's diff_ids say \(expected)"
        case .invalidJSON(let what, let reason):
            return "\(what) is not valid JSON for its type: \(reason)"
        case .wrongMediaType(let what, let mediaType, let expected):
            return "\(what) has media type \(mediaType), expected \(expected)"
        case .blobTooLarge(let digest, let size, let limit):
            return "blob \(digest) is \(size) bytes; JSON blobs are read whole and limited to \(limit)"
        case .referenceNotFound(let reference, let available):
            return "no image \"\(reference)\" here; available: \(Self.list(available))"
        case .ambiguousReference(let available):
            return "this layout holds several images; name one: \(Self.list(available))"
        case .platformNotFound(let platform, let available):
            return "the index has no manifest for \(platform); it has: \(Self.list(available))"
        case .platformMismatch(let wanted, let image):
            return "--platform \(wanted) asked, but this image (no index) is for \(image)"
        case .layerCountMismatch(let manifest, let diffIDs):
            return "the manifest lists \(manifest) layers but the config's rootfs.diffIDs has \(diffIDs)"
        case .unreadableLayer(let index, let reason):
            return "layer \(index + 1) cannot be read: \(reason)"
        case .archiveMember(let name, let reason):
            return "archive member \"\(name)\": \(reason)"
        }
    }

    private static func list(_ items: [String]) -> String { items.isEmpty ? "(none)" : items.joined(separator: ", ") }
}
