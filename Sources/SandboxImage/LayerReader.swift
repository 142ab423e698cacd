import CArchive
import CSandbox
import SandboxCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Where a layer's bytes are and what they must hash to.
public struct LayerSource: Sendable {
    /// Position in the image, bottom first (0 is the base layer).
    public var index: Int
    /// The blob file.
    public var path: String
    /// The blob's digest and size from the manifest; nil where the format has
    /// none (a `docker save` archive names layers by their uncompressed digest only).
    public var digest: Digest?
    public var size: Int64?
    /// The uncompressed digest from the config's `rootfs.diffIDs`.
    public var diffID: Digest?

    public init(index: Int, path: String, digest: Digest?, size: Int64?, diffID: Digest?) {
        self.index = index
        self.path = path
        self.digest = digest
        self.size = size
        self.diffID = diffID
    }
}

/// What reading a layer measured: both digests and both sizes.
public struct LayerDigests: Sendable, Equatable {
    public var compressed: Digest
    public var compressedSize: Int64
    public var uncompressed: Digest
    public var uncompressedSize: Int64
}

/// Reads a layer as tar entries while checking both of its digests.
///
/// Two stages on two cores, joined by a pipe:
///
///     blob file ─read─▶ sha256 (digest) ─gunzip/unzstd─▶ sha256 (diff_id) ─pipe─▶ tar reader ─▶ applier
///     └──────────────── decompressor thread ──────────────────────────┘    └──── caller's thread ────┘
///
/// libarchive does both jobs: in the thread as a "raw" reader with compression
/// filters (it only decompresses), in the caller as a tar reader with none.
/// The thread is joined in `finish()` or `deinit`, before the caller can do
/// anything that must be single-threaded (unshare, setns).
/// Digests are known only at the end of the stream, so a layer with a wrong
/// digest has been applied by then: callers write into a directory they
/// remove when `finish()` throws.
public final class LayerReader {
    public let source: LayerSource
    private let archive: OpaquePointer
    private var pipeRead: Int32
    private let job: DecompressJob
    private var thread: pthread_t?
    private var entry: OpaquePointer?

    /// Opens the blob, checks its size against the descriptor and starts the thread.
    public init(_ source: LayerSource) throws {
        self.source = source
        let input = try check("open", path: source.path) { open(source.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        var info = stat()
        _ = fstat(input, &info)
        if let size = source.size, let digest = source.digest, Int64(info.st_size) != size {
            close(input)
            throw ImageError.sizeMismatch(digest, expected: size, actual: Int64(info.st_size))
        }
        var fds: [Int32] = [0, 0]
        try check("pipe2") { cs_pipe_cloexec(&fds) }
        _ = cs_set_pipe_size(fds[1], 1 << 20)
        self.pipeRead = fds[0]
        self.job = DecompressJob(input: input, output: fds[1], limit: source.size, total: Int64(info.st_size))
        guard let archive = archive_read_new() else { throw LayerError.archive("archive_read_new failed") }
        self.archive = archive
        archive_read_support_format_tar(archive)
        archive_read_support_filter_none(archive)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(job).toOpaque()
        let created = pthread_create(&thread, nil, decompressMain, context)
        guard created == 0 else {
            Unmanaged<DecompressJob>.fromOpaque(context).release()
            throw SyscallError(call: "pthread_create", errno: .init(rawValue: created))
        }
        self.thread = thread
        guard archive_read_open_fd(archive, pipeRead, 1 << 20) == ARCHIVE_OK else {
            throw LayerError.archive(Self.message(archive))
        }
    }

    deinit {
        archive_read_free(archive)
        closePipe()  // the thread's next write fails with EPIPE and it stops
        join()
    }

    /// Compressed bytes read so far and the blob's size, for a progress bar.
    public var progress: (done: Int64, total: Int64) { (job.done.load(ordering: .relaxed), job.total) }

    /// The next entry, or nil at the end of the archive.
    public func next() throws -> LayerEntry? {
        var header: OpaquePointer?
        let status = archive_read_next_header(archive, &header)
        if status == ARCHIVE_EOF { return nil }
        guard status >= ARCHIVE_WARN, let header else { throw readError() }
        entry = header
        return LayerEntry(header)
    }

    /// Copies the current entry's data into `fd`, keeping holes of sparse files.
    public func copyData(to fd: Int32, size: Int64) throws {
        var buffer: UnsafeRawPointer?
        var length = 0
        var offset: la_int64_t = 0
        while true {
            let status = archive_read_data_block(archive, &buffer, &length, &offset)
            if status == ARCHIVE_EOF { break }
            guard status >= ARCHIVE_WARN else { throw readError() }
            guard let buffer, length > 0 else { continue }
            var written = 0
            while written < length {
                let count = try check("pwrite") {
                    pwrite(fd, buffer + written, length - written, off_t(offset) + off_t(written))
                }
                written += count
            }
        }
        if size > 0 { try check("ftruncate") { ftruncate(fd, off_t(size)) } }
    }

    /// Reads the stream to its end, joins the thread and checks both digests.
    public func finish() throws -> LayerDigests {
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while read(pipeRead, &buffer, buffer.count) > 0 {}  // tar padding after the end marker
        join()
        let digests = try job.outcome()
        if let expected = source.digest, expected != digests.compressed {
            throw ImageError.digestMismatch(expected: expected, actual: digests.compressed)
        }
        if let expected = source.diffID, expected != digests.uncompressed {
            throw ImageError.diffIDMismatch(layer: source.index, expected: expected, actual: digests.uncompressed)
        }
        return digests
    }

    private func closePipe() {
        if pipeRead >= 0 { close(pipeRead) }
        pipeRead = -1
    }

    private func join() {
        guard let thread else { return }
        pthread_join(thread, nil)
        self.thread = nil
    }

    /// The tar reader's error, unless the thread failed first: then the
    /// thread's error is the cause and the tar reader only saw a short stream.
    private func readError() -> Error {
        let message = Self.message(archive)
        closePipe()
        join()
        if case .failure(let error) = job.result { return error }
        if message.contains("runcated") { return LayerError.truncated(message) }
        return LayerError.archive(message)
    }

    static func message(_ archive: OpaquePointer) -> String {
        guard let text = archive_error_string(archive) else { return "unknown libarchive error" }
        return String(cString: text)
    }
}

/// The decompressor thread's state, shared with the reader.
final class DecompressJob: @unchecked Sendable {
    let input: Int32
    let output: Int32
    let limit: Int64?
    let total: Int64
    let done = Atomic<Int64>(0)
    var compressed = CountingHasher()
    var uncompressed = CountingHasher()
    var result: Result<LayerDigests, Error>?
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var overLimit = false

    init(input: Int32, output: Int32, limit: Int64?, total: Int64) {
        self.input = input
        self.output = output
        self.limit = limit
        self.total = total
    }

    func outcome() throws -> LayerDigests {
        switch result {
        case .success(let digests): return digests
        case .failure(let error): throw error
        case nil: throw LayerError.archive("the decompressor stopped without a result")
        }
    }

    /// Runs in the thread: decompress everything into the pipe.
    func run() {
        defer {
            close(input)
            close(output)
        }
        guard let archive = archive_read_new() else {
            result = .failure(LayerError.archive("archive_read_new failed"))
            return
        }
        defer { archive_read_free(archive) }
        for enable in [
            archive_read_support_filter_gzip, archive_read_support_filter_zstd, archive_read_support_filter_xz,
            archive_read_support_filter_bzip2,
        ] { _ = enable(archive) }
        archive_read_support_format_raw(archive)
        let context = Unmanaged.passUnretained(self).toOpaque()
        var header: OpaquePointer?
        guard archive_read_open(archive, context, nil, readCallback, nil) == ARCHIVE_OK,
            archive_read_next_header(archive, &header) == ARCHIVE_OK
        else {
            result = .failure(failure(archive))
            return
        }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = chunk.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if count == 0 { break }
            guard count > 0 else {
                result = .failure(failure(archive))
                return
            }
            let ok = chunk.withUnsafeBytes { raw -> Bool in
                let bytes = UnsafeRawBufferPointer(rebasing: raw.prefix(count))
                uncompressed.update(bytes)
                guard let base = bytes.baseAddress else { return true }
                var written = 0
                while written < bytes.count {
                    let step = write(output, base + written, bytes.count - written)
                    if step < 0 && errno == EINTR { continue }
                    if step <= 0 { return false }
                    written += step
                }
                return true
            }
            guard ok else {
                result = .failure(LayerError.archive("the tar reader stopped before the end of the layer"))
                return
            }
        }
        result = .success(
            LayerDigests(
                compressed: compressed.finish(), compressedSize: compressed.count,
                uncompressed: uncompressed.finish(), uncompressedSize: uncompressed.count))
    }

    private func failure(_ archive: OpaquePointer) -> Error {
        if overLimit, let limit {
            return LayerError.archive("the blob is longer than its descriptor's \(limit) bytes")
        }
        let message = LayerReader.message(archive)
        if message.contains("runcated") || message.contains("premature") || message.contains("end of file") {
            return LayerError.truncated(message)
        }
        return LayerError.archive(message)
    }

    /// libarchive's read callback: the next block of the compressed blob, hashed on the way.
    func readBlock(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            while true {
                let got = read(input, raw.baseAddress, raw.count)
                if got < 0 && errno == EINTR { continue }
                return got
            }
        }
        guard count >= 0 else { return -1 }
        buffer.withUnsafeBytes { compressed.update(UnsafeRawBufferPointer(rebasing: $0.prefix(count))) }
        let sofar = done.add(Int64(count), ordering: .relaxed).newValue
        if let limit, sofar > limit {
            overLimit = true
            return -1
        }
        buffer.withUnsafeBytes { out?.pointee = $0.baseAddress }
        return count
    }
}

private func decompressMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let context else { return nil }
    let job = Unmanaged<DecompressJob>.fromOpaque(context).takeRetainedValue()
    var blocked = sigset_t()
    sigemptyset(&blocked)
    sigaddset(&blocked, SIGPIPE)
    pthread_sigmask(SIG_BLOCK, &blocked, nil)  // a closed pipe is EPIPE here, not a signal
    job.run()
    return nil
}

private func readCallback(
    _ archive: OpaquePointer?, _ context: UnsafeMutableRawPointer?, _ out: UnsafeMutablePointer<UnsafeRawPointer?>?
) -> la_ssize_t {
    guard let context else { return -1 }
    return la_ssize_t(Unmanaged<DecompressJob>.fromOpaque(context).takeUnretainedValue().readBlock(out))
}
