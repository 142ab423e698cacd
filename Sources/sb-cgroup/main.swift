// sb-cgroup: limit, prioritise, account and control a group of processes,
// through nothing but files.
//
// A cgroup is a directory. Its files are the limits (memory.max, pids.max,
// cpu.max), the accounting (memory.current, cpu.stat), the controls
// (cgroup.freeze, cgroup.kill) and its members (cgroup.procs). Docker's
// `--memory`, `--cpus`, `--pids-limit`, `--device` and `docker pause` are
// writes into these files. Every write sb-cgroup makes is printed:
//   → write /sys/fs/cgroup/sandboxlabs/web/memory.max "67108864"  ok
// On cgroup v2 a group is /sys/fs/cgroup/sandboxlabs/NAME; on v1 and hybrid
// hosts one directory per controller, /sys/fs/cgroup/<controller>/sandboxlabs/NAME.
import ArgumentParser
import SandboxCgroups
import SandboxCore

#if canImport(Glibc)
    import Glibc
#endif

struct CgroupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sb-cgroup",
        abstract: "Make cgroups, limit them, run commands in them, watch and control them.",
        discussion: """
            All groups live under a parent named sandboxlabs and are plain directories.

            Examples (as root):
              sb-cgroup detect
              sb-cgroup run --memory 32M --pids 20 --cpus 0.5 -- /bin/sh
              sb-cgroup create web --memory 64M      sb-cgroup join web $$
              sb-cgroup set web --cpu-weight 200     sb-cgroup stats web
              sb-cgroup freeze web    sb-cgroup thaw web    sb-cgroup kill web
              sb-cgroup tree          sb-cgroup delete web

            Exit status: 0; for run, the command's; 125 if sb-cgroup failed; 64 on a usage error.
            """,
        subcommands: [
            Detect.self, Create.self, SetLimits.self, Join.self, Run.self, Stats.self, Freeze.self, Thaw.self,
            Kill.self, Delete.self, Tree.self,
        ])
}

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Which cgroup version this host runs, and where our groups go.")
    @OptionGroup var output: OutputOptions

    func run() throws {
        let narrator = output.narrator()
        let mode = CgroupMode.detect()
        narrator.observe("mode:", mode.description)
        narrator.fact("mode", .string(mode.name))
        let groups: String
        switch mode {
        case .v2(let controllers):
            groups = "/sys/fs/cgroup/sandboxlabs/NAME"
            narrator.fact("controllers", .array(controllers.map { .string($0) }))
        case .v1(let controllers), .hybrid(let controllers):
            groups = "/sys/fs/cgroup/<controller>/sandboxlabs/NAME"
            narrator.fact("controllers", .array(controllers.map { .string($0) }))
        case .none:
            groups = "nowhere"
        }
        narrator.observe("groups:", groups)
        narrator.explain(
            mode.name == "hybrid"
                ? "hybrid: the v1 hierarchies hold the controllers; unified/ (v2) only tracks processes."
                : "statfs(/sys/fs/cgroup) decides: cgroup2 magic means v2, tmpfs means v1 or hybrid.")
        narrator.fact("groups", .string(groups))
        narrator.emitRecord()
    }
}
CgroupCommand.main()
