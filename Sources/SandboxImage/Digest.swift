import Crypto

/// A content address, `sha256:` followed by 64 lowercase hex digits.
///
/// OCI names every blob (config, manifest, layer) by the digest of its bytes,
/// so a reader can check that what it got is what the manifest meant. Only
/// sha256 is accepted: it is what every image in use is addressed by, and a
/// digest we cannot check is not a digest (image-spec descriptor.md allows
/// sha512 too; a reader that meets one says so instead of trusting it).
public struct Digest: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The 64 lowercase hex digits.
    public let hex: String

    /// Parses `sha256:<64 hex>`; throws for any other form.
    public init(parsing text: String) throws(ImageError) {
        guard text.hasPrefix("sha256:") else {
            if text.contains(":") {
                throw .unsupportedDigest(text)
            }
            throw .malformedDigest(text)
        }
        let hex = text.dropFirst("sha256:".count)
        guard hex.utf8.count == 64, hex.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw .malformedDigest(text)
        }
        self.hex = String(hex)
    }

    /// A digest from the bytes of a finished SHA-256.
    public init(_ digest: SHA256.Digest) {
        self.hex = digest.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    /// The digest of `bytes`.
    public static func of(_ bytes: [UInt8]) -> Digest { Digest(SHA256.hash(data: bytes)) }

    public var description: String { "sha256:" + hex }
    /// The first 12 hex digits, as `docker images` shows image ids.
    public var short: String { String(hex.prefix(12)) }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.hex < rhs.hex }
}

/// A running SHA-256 that also counts the bytes it has seen.
public struct CountingHasher {
    private var hasher = SHA256()
    /// Bytes hashed so far.
    public private(set) var count: Int64 = 0

    public init() {}

    public mutating func update(_ buffer: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: buffer)
        count += Int64(buffer.count)
    }

    public func finish() -> Digest { Digest(hasher.finalize()) }
}
