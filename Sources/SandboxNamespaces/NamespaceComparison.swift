/// Which namespaces several processes share, from their namespace inodes.
///
/// Two processes are in the same namespace of a kind exactly when their
/// /proc/PID/ns/KIND links name the same inode. Pure logic: the inodes come
/// from readlink(2) or fstat(2) on the ns files.
public struct NamespaceComparison: Equatable, Sendable {
    /// Kinds every process has the same inode for.
    public var shared: [Namespace]
    /// Kinds where at least two processes differ.
    public var different: [Namespace]

    /// Compares per-process tables of kind → inode. A kind missing from any
    /// table (an old kernel without time namespaces) is left out of both lists.
    public init(_ tables: [[Namespace: UInt64]]) {
        var shared: [Namespace] = []
        var different: [Namespace] = []
        for kind in Namespace.allCases {
            let inodes = tables.compactMap { $0[kind] }
            guard !tables.isEmpty, inodes.count == tables.count else { continue }
            if Set(inodes).count == 1 { shared.append(kind) } else { different.append(kind) }
        }
        self.shared = shared
        self.different = different
    }
}
