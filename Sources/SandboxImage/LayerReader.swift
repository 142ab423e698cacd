import CArchive
import CIsal
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
        guard cs_pipe_cloexec(&fds) == 0 else {
            let code = errno
            close(input)
            throw SyscallError(call: "pipe2", errno: .init(rawValue: code))
        }
        _ = cs_set_pipe_size(fds[1], 1 << 20)
        self.pipeRead = fds[0]
        self.job = DecompressJob(input: input, output: fds[1], limit: source.size, total: Int64(info.st_size))
        // From here on the job owns input and the pipe's write end: its deinit
        // closes them if the thread never ran.
        guard let archive = archive_read_new() else {
            close(fds[0])
            throw LayerError.archive("archive_read_new failed")
        }
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
        var end: Int64 = 0
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
            end = max(end, Int64(offset) + Int64(length))
        }
        // A sparse file may end in a hole: only then is the size not reached yet.
        if size > end { try check("ftruncate") { ftruncate(fd, off_t(size)) } }
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
///
/// gzip layers (nearly all of them) are inflated with ISA-L's igzip, about
/// four times as fast as zlib here; zstd, xz, bzip2 and plain tars go through
/// libarchive's filters in "raw" mode. Either way every compressed byte is
/// hashed for the digest and every uncompressed byte for the diff_id.
final class DecompressJob: @unchecked Sendable {
    let input: Int32
    let output: Int32
    let limit: Int64?
    let total: Int64
    let done = Atomic<Int64>(0)
    var compressed = CountingHasher()
    var uncompressed = CountingHasher()
    var result: Result<LayerDigests, Error>?
    let inputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    let outputBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    var overLimit = false
    /// Set by the thread; a job whose thread never started closes its fds itself.
    var started = false

    init(input: Int32, output: Int32, limit: Int64?, total: Int64) {
        self.input = input
        self.output = output
        self.limit = limit
        self.total = total
    }

    deinit {
        if !started {
            close(input)
            close(output)
        }
        inputBuffer.deallocate()
        outputBuffer.deallocate()
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
        started = true
        defer {
            close(input)
            close(output)
        }
        var magic: [UInt8] = [0, 0]
        let peeked = pread(input, &magic, 2, 0)
        do {
            if peeked == 2 && magic == [0x1F, 0x8B] {
                try gunzip()
            } else {
                try decompressWithLibarchive()
            }
            result = .success(
                LayerDigests(
                    compressed: compressed.finish(), compressedSize: compressed.count,
                    uncompressed: uncompressed.finish(), uncompressedSize: uncompressed.count))
        } catch {
            result = .failure(error)
        }
    }

    /// Hashes uncompressed bytes and passes them to the tar reader.
    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        uncompressed.update(bytes)
        var written = 0
        while written < bytes.count {
            let step = write(output, base + written, bytes.count - written)
            if step < 0 && errno == EINTR { continue }
            if step <= 0 { throw LayerError.archive("the tar reader stopped before the end of the layer") }
            written += step
        }
    }

    /// gzip with ISA-L, member after member (a gzip file may hold several).
    private func gunzip() throws {
        let state = UnsafeMutablePointer<inflate_state>.allocate(capacity: 1)
        defer { state.deallocate() }
        isal_inflate_init(state)
        state.pointee.crc_flag = UInt32(ISAL_GZIP)
        var inputEnded = false
        while true {
            if state.pointee.avail_in == 0 && !inputEnded {
                let count = try readBlock()
                inputEnded = count == 0
                state.pointee.next_in = inputBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
                state.pointee.avail_in = UInt32(count)
            }
            if state.pointee.block_state == ISAL_BLOCK_FINISH {
                if state.pointee.avail_in == 0 {
                    if inputEnded { return }
                    continue
                }
                guard state.pointee.next_in?.pointee == 0x1F else {
                    try drainTrailingBytes()  // like gzip(1): trailing bytes after the last member are ignored
                    return
                }
                isal_inflate_reset(state)
                state.pointee.crc_flag = UInt32(ISAL_GZIP)
            }
            state.pointee.next_out = outputBuffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            state.pointee.avail_out = UInt32(outputBuffer.count)
            let status = isal_inflate(state)
            guard status >= 0 else { throw LayerError.archive("gzip: \(Self.inflateError(status))") }
            let produced = outputBuffer.count - Int(state.pointee.avail_out)
            try emit(UnsafeRawBufferPointer(rebasing: outputBuffer.prefix(produced)))
            if produced == 0 && state.pointee.avail_in == 0 && inputEnded
                && state.pointee.block_state != ISAL_BLOCK_FINISH
            {
                throw LayerError.truncated("the gzip stream ends in the middle of a member")
            }
        }
    }

    private func drainTrailingBytes() throws {
        while try readBlock() > 0 {}
    }

    private static func inflateError(_ status: Int32) -> String {
        switch status {
        case ISAL_INVALID_BLOCK: return "invalid deflate block"
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid back-reference distance"
        case ISAL_INVALID_WRAPPER: return "not a gzip header"
        case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method"
        case ISAL_INCORRECT_CHECKSUM: return "CRC-32 mismatch (the data is damaged)"
        default: return "inflate error \(status)"
        }
    }

    /// Everything else (zstd, xz, bzip2, plain tar) through libarchive's "raw" reader.
    private func decompressWithLibarchive() throws {
        guard let archive = archive_read_new() else { throw LayerError.archive("archive_read_new failed") }
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
        else { throw failure(archive) }
        while true {
            let count = archive_read_data(archive, outputBuffer.baseAddress, outputBuffer.count)
            if count == 0 { return }
            guard count > 0 else { throw failure(archive) }
            try emit(UnsafeRawBufferPointer(rebasing: outputBuffer.prefix(count)))
        }
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

    /// Reads the next block of the compressed blob into `inputBuffer`, hashing it.
    func readBlock() throws -> Int {
        var count: Int
        repeat {
            count = read(input, inputBuffer.baseAddress, inputBuffer.count)
        } while count < 0 && errno == EINTR
        guard count >= 0 else { throw SyscallError(call: "read", errno: .init(rawValue: errno)) }
        compressed.update(UnsafeRawBufferPointer(rebasing: inputBuffer.prefix(count)))
        let sofar = done.add(Int64(count), ordering: .relaxed).newValue
        if let limit, sofar > limit {
            overLimit = true
            throw LayerError.archive("the blob is longer than its descriptor's \(limit) bytes")
        }
        return count
    }

    /// libarchive's read callback: the next block of the compressed blob.
    func readBlock(_ out: UnsafeMutablePointer<UnsafeRawPointer?>?) -> Int {
        guard let count = try? readBlock() else { return -1 }
        out?.pointee = UnsafeRawPointer(inputBuffer.baseAddress)
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
