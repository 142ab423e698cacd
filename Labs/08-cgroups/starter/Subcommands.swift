// Starter for lab08, generated from Sources/sb-cgroup/Subcommands.swift by scripts/make-starters. Fill in the TODOs.
import ArgumentParser
import SandboxCgroups
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

struct Create: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a cgroup under sandboxlabs, with limits.")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        let settings = try limits.settings()
        try reporting {
            let group = try manager(name, narrator)
            try group.create()
            do {
                try group.apply(settings)
            } catch {
                try? group.delete()  // a half-configured group is worse than none
                throw error
            }
            narrator.fact("cgroup", .array(group.directories.map { .string($0) }))
            narrator.emitRecord()
        }
    }
}

struct SetLimits: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Change an existing group's limits.")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var limits: LimitOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        let settings = try limits.settings()
        if settings.isEmpty { throw ValidationError("nothing to set: give at least one limit, e.g. --memory 64M") }
        try reporting {
            let group = try existing(name, narrator)
            try group.apply(settings)
            narrator.emitRecord()
        }
    }
}

struct Join: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Move a running process into a group (cgroup.procs).")
    @Argument(help: "The group's name.") var name: String
    @Argument(help: "The process to move.") var pid: Int32
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        try reporting {
            let group = try existing(name, narrator)
            try group.join(pid: pid)
            for line in Cgroups.membership(pid: "\(pid)") {
                narrator.observe("/proc/\(pid)/cgroup:", line.id + ":" + line.controllers + ":" + line.path)
            }
            narrator.emitRecord()
        }
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What a group has used: memory, CPU, pids, OOM kills.")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        try reporting {
            let group = try existing(name, narrator)
            narrator.observe("pids:", group.processes().map(String.init).joined(separator: " "))
            describe(group.stats(), narrator: narrator)
            narrator.emitRecord()
        }
    }
}

/// One subcommand per control: freeze, thaw, kill, delete.
protocol GroupAction: ParsableCommand {
    var name: String { get }
    var output: OutputOptions { get }
    func act(_ group: any CgroupManager) throws
}

extension GroupAction {
    func run() throws {
        let narrator = output.narrator()
        try reporting {
            try act(try existing(name, narrator))
            narrator.emitRecord()
        }
    }
}

struct Freeze: GroupAction {
    static let configuration = CommandConfiguration(
        abstract: "Stop every task in a group (cgroup.freeze / freezer.state), and wait until stopped.")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var output: OutputOptions
    func act(_ group: any CgroupManager) throws { try group.freeze() }
}

struct Thaw: GroupAction {
    static let configuration = CommandConfiguration(abstract: "Let a frozen group's tasks run again.")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var output: OutputOptions
    func act(_ group: any CgroupManager) throws { try group.thaw() }
}

struct Kill: GroupAction {
    static let configuration = CommandConfiguration(
        abstract: "Kill every task in a group (cgroup.kill on v2; freeze, kill each, thaw on v1).")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var output: OutputOptions
    func act(_ group: any CgroupManager) throws { try group.kill() }
}

struct Delete: GroupAction {
    static let configuration = CommandConfiguration(
        abstract: "Kill what is left and remove the group (and sandboxlabs, once empty).")
    @Argument(help: "The group's name.") var name: String
    @OptionGroup var output: OutputOptions
    func act(_ group: any CgroupManager) throws { try group.delete() }
}

struct Tree: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The groups under sandboxlabs, their pids and limits.")
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        try reporting {
            let names = Cgroups.existingGroups()
            if names.isEmpty { narrator.observe("sandboxlabs:", "no groups") }
            var records: [JSON] = []
            for name in names {
                let group = try Cgroups.manager(name: name)
                let pids = group.processes()
                narrator.observe(
                    name + ":",
                    "pids [\(pids.map(String.init).joined(separator: " "))]  "
                        + group.directories.joined(separator: " "))
                records.append(.object([("name", .string(name)), ("pids", .array(pids.map { .int(Int($0)) }))]))
            }
            narrator.fact("groups", .array(records))
            narrator.emitRecord()
        }
    }
}

/// The manager for a group that must already exist.
func existing(_ name: String, _ narrator: Narrator) throws -> any CgroupManager {
    let group = try manager(name, narrator)
    guard group.exists else {
        throw CgroupError.unsupported("no group \"\(name)\" under sandboxlabs: sb-cgroup create \(name) first")
    }
    return group
}
