/// What can go wrong with cgroups beyond a failed system call.
public enum CgroupError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The host has no cgroup filesystem at the root we looked at.
    case noCgroupFilesystem(root: String)
    /// A controller a setting needs is not available; `fix` says how to get it.
    case controllerMissing(controller: String, mode: String, fix: String)
    /// A name that would leave the `sandboxlabs` parent (empty, `/`, `..`).
    case invalidName(String)
    /// A setting this cgroup version cannot express (e.g. v2 devices without the BPF filter).
    case unsupported(String)
    /// The cgroup did not reach the asked state in time (freezing a cgroup whose
    /// tasks are stuck in the kernel can take a while).
    case timedOut(String)
    /// A user value that does not parse.
    case badValue(setting: String, value: String)

    public var description: String {
        switch self {
        case .noCgroupFilesystem(let root):
            "no cgroup filesystem at \(root): mount one (mount -t cgroup2 none \(root)) or run on a Linux host"
        case .controllerMissing(let controller, let mode, let fix):
            "the cgroup \(mode) \(controller) controller is not available: \(fix)"
        case .invalidName(let name):
            "cgroup name \"\(name)\" must be one path component (letters, digits, - _ .), not empty, . or .."
        case .unsupported(let what): what
        case .timedOut(let what): "timed out: \(what)"
        case .badValue(let setting, let value): "\(setting): cannot read \"\(value)\""
        }
    }
}
