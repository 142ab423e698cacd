// SandboxCgroups: being written (issue 4).
enum SandboxCgroupsPlaceholder {}
