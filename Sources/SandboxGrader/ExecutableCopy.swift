import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

/// A copy of an executable in a fresh /tmp directory that every user may
/// enter, for runs as an unprivileged user (uid 65534): the original may live
/// under a home directory that user cannot traverse (/root is 0700, and on
/// recent Ubuntu /home/NAME is 0750). Removed by `remove()`.
public struct ExecutableCopy {
    /// The copy's path.
    public let path: String
    private let directory: String

    /// Copies the file at `original` to `/tmp/sandboxlabs-exe-XXXXXX/NAME`, mode 0755.
    public init(of original: String) throws {
        directory = try Sys.makeTemporaryDirectory("/tmp/sandboxlabs-exe-")
        let name = original.split(separator: "/").last.map(String.init) ?? "implementation"
        path = directory + "/" + name
        do {
            try check("chmod", path: directory) { chmod(directory, 0o755) }
            try ExecutableCopy.copy(original, to: path)
        } catch {
            remove()
            throw error
        }
    }

    /// Deletes the copy and its directory.
    public func remove() {
        _ = unlink(path)
        _ = rmdir(directory)
    }

    static func copy(_ source: String, to destination: String) throws {
        let input = try check("open", path: source) { open(source, O_RDONLY | O_CLOEXEC) }
        defer { close(input) }
        let output = try check("open", path: destination) {
            open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
        }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = try check("read", path: source) { read(input, &buffer, buffer.count) }
            if count == 0 { break }
            var written = 0
            while written < count {
                let step = try check("write", path: destination) {
                    buffer.withUnsafeBytes { write(output, $0.baseAddress.map { $0 + written }, count - written) }
                }
                written += step
            }
        }
        try check("fchmod", path: destination) { fchmod(output, 0o755) }
    }
}
