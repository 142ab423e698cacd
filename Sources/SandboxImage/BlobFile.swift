import SandboxCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Reading blobs and checking them against their descriptors.
enum BlobFile {
    /// JSON blobs (indexes, manifests, configs) are read whole, so they are
    /// limited: a real one is a few KiB, and a hostile one must not fill memory.
    static let jsonLimit: Int64 = 4 << 20

    /// Reads a whole small file, refusing anything over `limit` bytes.
    static func read(_ path: String, limit: Int64) throws -> [UInt8] {
        let fd = try check("open", path: path) { open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        defer { close(fd) }
        var info = stat()
        try check("fstat", path: path) { fstat(fd, &info) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ImageError.notAnImage(path, reason: "not a regular file")
        }
        let size = Int64(info.st_size)
        guard size <= limit else {
            throw ImageError.invalidJSON(
                what: path, reason: "\(size) bytes, more than the \(limit) a JSON file may have")
        }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let got = try bytes.withUnsafeMutableBytes { buffer in
                try check("read", path: path) {
                    Glibc.read(fd, buffer.baseAddress.map { $0 + done }, buffer.count - done)
                }
            }
            if got == 0 { break }
            done += got
        }
        return Array(bytes.prefix(done))
    }

    /// Decodes JSON, turning Foundation's long decoding errors into one short reason.
    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8], what: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as DecodingError {
            throw ImageError.invalidJSON(what: what, reason: reason(error))
        } catch {
            throw ImageError.invalidJSON(what: what, reason: "\(error)")
        }
    }

    private static func reason(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" in \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not JSON" : "bad value at \(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
