// CSandbox: the few kernel interfaces Swift's Glibc module does not expose.
//
// Every function here is a thin, non-variadic wrapper. Why C at all:
//  - glibc declares unshare, setns, clone and the CLONE_* flags only under
//    _GNU_SOURCE, which Swift's Glibc module is not built with;
//  - prctl, ioctl and syscall are variadic, and Swift cannot call C variadics;
//  - pivot_root, gettid (on older glibc), pidfd_open and close_range have no
//    glibc wrapper at all, only a syscall number;
//  - the NS_GET_* ioctl numbers are function-like macros Swift cannot import.
// _GNU_SOURCE is defined in the .c files only: defining it in this public
// header changes how glibc's headers look to every module that imports this
// one, which breaks module builds that also import libarchive.
#ifndef CSANDBOX_H
#define CSANDBOX_H

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: Namespace flags (clone(2), unshare(2), setns(2))
extern const int CS_CLONE_NEWNS;
extern const int CS_CLONE_NEWUTS;
extern const int CS_CLONE_NEWIPC;
extern const int CS_CLONE_NEWUSER;
extern const int CS_CLONE_NEWPID;
extern const int CS_CLONE_NEWNET;
extern const int CS_CLONE_NEWCGROUP;
extern const int CS_CLONE_NEWTIME;

// MARK: Filesystem magic numbers (statfs(2) f_type)
extern const long CS_CGROUP2_SUPER_MAGIC;
extern const long CS_CGROUP_SUPER_MAGIC;
extern const long CS_TMPFS_MAGIC;
extern const long CS_OVERLAYFS_SUPER_MAGIC;
extern const long CS_PROC_SUPER_MAGIC;

/// unshare(2): glibc declares it only under _GNU_SOURCE.
int cs_unshare(int flags);
/// setns(2): glibc declares it only under _GNU_SOURCE.
int cs_setns(int fd, int nstype);
/// pivot_root(2): no glibc wrapper, only a syscall number.
int cs_pivot_root(const char *new_root, const char *put_old);
/// gettid(2): declared only under _GNU_SOURCE.
pid_t cs_gettid(void);
/// pidfd_open(2): no glibc wrapper before 2.36; syscall number.
int cs_pidfd_open(pid_t pid, unsigned int flags);
/// pidfd_send_signal(2): no glibc wrapper before 2.36; syscall number.
int cs_pidfd_send_signal(int pidfd, int sig);
/// pipe2(2) with O_CLOEXEC: pipe2 is declared only under _GNU_SOURCE.
int cs_pipe_cloexec(int fds[2]);
/// write(2) that reports EPIPE instead of raising SIGPIPE when the reader is
/// gone: blocks SIGPIPE in this thread, writes, and discards a pending
/// SIGPIPE. In C because sigtimedwait and the sigset macros are not reachable
/// from Swift on every libc.
ssize_t cs_write_nosigpipe(int fd, const void *buf, size_t len);
/// sethostname(2): hidden by Swift's Glibc module (a BSD/GNU extension).
int cs_sethostname(const char *name, size_t len);

// MARK: prctl(2) — variadic in C, so one non-variadic wrapper per operation
int cs_prctl_set_no_new_privs(void);
int cs_prctl_get_no_new_privs(void);
int cs_prctl_set_dumpable(int dumpable);
int cs_prctl_get_dumpable(void);
int cs_prctl_set_pdeathsig(int sig);
int cs_prctl_set_child_subreaper(int on);
int cs_prctl_set_name(const char *name);

// MARK: statfs(2) — its struct's field types differ between architectures
/// Stores the filesystem type (f_type) of `path` in `*type`. Returns 0 or -1.
int cs_statfs_type(const char *path, long *type);

// MARK: Extended attributes — <sys/xattr.h> is not in Swift's Glibc module
ssize_t cs_lgetxattr(const char *path, const char *name, void *value, size_t size);
int cs_lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags);
ssize_t cs_llistxattr(const char *path, char *list, size_t size);

// MARK: Writing files inside a directory tree (the image layer applier)
/// openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: opens `path`
/// relative to `root_fd` as if `root_fd` were "/", so neither "..", an
/// absolute path nor a symlink (absolute or relative) can leave the tree.
/// No glibc wrapper exists (kernel 5.6+). Returns an fd or -1 (ENOSYS before 5.6).
int cs_openat2_in_root(int root_fd, const char *path, int flags, unsigned int mode);
/// mknodat(2) with the device number built from major and minor (makedev is a macro).
int cs_mknodat(int dirfd, const char *name, unsigned int mode, unsigned int major, unsigned int minor);
/// The major and minor numbers of a dev_t (major()/minor() are macros).
unsigned int cs_major(unsigned long long dev);
unsigned int cs_minor(unsigned long long dev);
ssize_t cs_fgetxattr(int fd, const char *name, void *value, size_t size);
int cs_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags);
ssize_t cs_flistxattr(int fd, char *list, size_t size);
/// fcntl(F_SETPIPE_SZ): fcntl is variadic. Returns the new size or -1.
int cs_set_pipe_size(int fd, int size);

// MARK: Interrupts, for long jobs that must clean up (sb-image unpack)
/// Makes SIGINT, SIGTERM and SIGHUP only record that they came (SA_RESTART),
/// so a long job stops between two steps and removes what it wrote.
int cs_catch_interrupts(void);
/// The signal caught since cs_catch_interrupts(), or 0.
int cs_interrupted(void);

// MARK: Namespace ioctls (ioctl_ns(2)) — the NS_GET_* numbers are macros
/// Returns the CLONE_NEW* type of the namespace `fd` refers to, or -1.
int cs_ns_get_nstype(int fd);
/// Returns a new fd for the user namespace that owns namespace `fd`, or -1.
int cs_ns_get_userns(int fd);
/// Returns a new fd for the parent of a pid or user namespace `fd`, or -1.
int cs_ns_get_parent(int fd);
/// Stores the uid (in the caller's user namespace) of the creator of user namespace `fd`.
int cs_ns_get_owner_uid(int fd, uid_t *uid);

// MARK: Spawning a child into new namespaces
//
// Swift must never run between fork and exec in a process that may have
// threads: the child of a multi-threaded process has one thread and may hold
// locks that will never be released (malloc's, the Swift runtime's). So the
// whole child side lives here, in C, and uses only async-signal-safe calls.
//
//   parent (Swift)                     child (C only)
//   cs_spawn() ── clone(flags) ──────▶ reset signals, wait on "go" pipe
//   write uid/gid maps, cgroup.procs      ...
//   cs_spawn_go() ── "go" byte ──────▶ set up fds, hostname, become root,
//   read error pipe: EOF = exec'd      chdir, execve  (error pipe is CLOEXEC)
//                 or (stage, errno) ◀─ on failure: write (stage, errno), _exit(127)

#define CS_SPAWN_MAX_FDS 8

/// What the child does, in order, after the parent says go.
typedef struct cs_spawn_attr {
    int clone_flags;          ///< CLONE_NEW* bits; 0 makes an ordinary child
    const char *path;         ///< file to execve
    char *const *argv;        ///< NULL-terminated
    char *const *envp;        ///< NULL-terminated
    int nfds;                 ///< how many entries of fds are used (0 = inherit 0, 1, 2)
    int fds[CS_SPAWN_MAX_FDS];///< child fd i becomes a copy of parent fd fds[i]; -1 leaves i closed
    const char *hostname;     ///< NULL, or the hostname to set (needs CLONE_NEWUTS to be safe)
    const char *cwd;          ///< NULL, or the directory to chdir into before exec
    int become_root;          ///< setresgid/setresuid(0) after go: for a new user namespace
    int new_session;          ///< setsid(): the child leaves the parent's terminal session
    int pdeathsig;            ///< 0, or the signal the child gets when the spawning thread exits
} cs_spawn_attr;

/// Stages the child reports when it fails before exec.
enum cs_spawn_stage {
    CS_STAGE_GO = 1,
    CS_STAGE_FDS = 2,
    CS_STAGE_HOSTNAME = 3,
    CS_STAGE_SETGID = 4,
    CS_STAGE_SETUID = 5,
    CS_STAGE_CHDIR = 6,
    CS_STAGE_EXEC = 7,
    CS_STAGE_SETSID = 8,
    CS_STAGE_PRCTL = 9,
};

/// A child that exists but has not been told to go yet.
typedef struct cs_child {
    pid_t pid;
    int go_fd;   ///< write end of the "go" pipe (parent side)
    int err_fd;  ///< read end of the error pipe (parent side)
} cs_child;

/// Clones a child with `attr->clone_flags`; it waits until cs_spawn_go.
/// Returns 0, or -1 with errno from pipe2/mmap/clone.
int cs_spawn(const cs_spawn_attr *attr, cs_child *child);

/// Lets the child go and waits until it has exec'd or failed.
/// Returns 0 when execve succeeded. Returns -1 when the child failed: then
/// *stage and *err say where and why, and the child has exited (reap it).
int cs_spawn_go(cs_child *child, int *stage, int *err);

/// Kills a child that was never let go, closes its pipes and reaps it.
void cs_spawn_abort(cs_child *child);

// MARK: IPC objects (lab 03, IPC part)
// semctl(2) and mq_open(3) are variadic, and <mqueue.h> is not in Swift's
// Glibc module. msgget, semget, shmget, msgctl and shmctl are reachable from
// Swift directly.
/// semctl(semid, 0, IPC_RMID): removes a System V semaphore set.
int cs_semctl_rmid(int semid);
/// mq_open(name, O_RDWR|O_CREAT|O_EXCL, 0600, {4 messages of 64 bytes}): a new POSIX queue, or -1.
int cs_mq_create(const char *name);
/// mq_open(name, O_RDONLY): an existing POSIX queue of this IPC namespace, or -1 (ENOENT if none).
int cs_mq_open_existing(const char *name);
/// mq_close(3).
int cs_mq_close(int mqd);
/// mq_unlink(3): removes the queue's name from this IPC namespace.
int cs_mq_unlink(const char *name);

// MARK: Cgroup device programs (bpf(2), cgroup v2 device controller) — bpf.c
//
// cgroup v2 has no devices.allow/deny files: a runtime attaches a
// BPF_PROG_TYPE_CGROUP_DEVICE program to the cgroup, and the kernel runs it on
// every open(2) and mknod(2) of a device node by a process in that cgroup.
// In C because bpf(2) has no glibc wrapper, its argument is union bpf_attr
// (anonymous structs Swift cannot name), and struct bpf_insn uses bitfields.

/// One BPF instruction, laid out exactly like the kernel's struct bpf_insn
/// (bpf.c checks this at compile time). `regs` is (src << 4) | dst: the
/// bitfield order of little-endian machines (x86-64, arm64).
typedef struct cs_bpf_insn {
    uint8_t code;  ///< class | operation | source (or size | mode)
    uint8_t regs;  ///< (src_reg << 4) | dst_reg
    int16_t off;   ///< jump offset or memory offset
    int32_t imm;   ///< immediate operand
} cs_bpf_insn;

// Opcode parts: macros in <linux/bpf.h>, exported as constants.
extern const uint8_t CS_BPF_LDX, CS_BPF_MEM, CS_BPF_W, CS_BPF_ALU64, CS_BPF_JMP, CS_BPF_K, CS_BPF_X;
extern const uint8_t CS_BPF_MOV, CS_BPF_AND, CS_BPF_RSH, CS_BPF_JEQ, CS_BPF_JNE, CS_BPF_EXIT;
// struct bpf_cgroup_dev_ctx: access_type (low 16 bits: device type, high 16: access), major, minor.
extern const int32_t CS_BPF_DEVCG_DEV_BLOCK, CS_BPF_DEVCG_DEV_CHAR;
extern const int32_t CS_BPF_DEVCG_ACC_MKNOD, CS_BPF_DEVCG_ACC_READ, CS_BPF_DEVCG_ACC_WRITE;
extern const int16_t CS_BPF_DEVCG_CTX_ACCESS_TYPE, CS_BPF_DEVCG_CTX_MAJOR, CS_BPF_DEVCG_CTX_MINOR;
extern const uint32_t CS_BPF_F_ALLOW_MULTI;

/// bpf(BPF_PROG_LOAD) of a BPF_PROG_TYPE_CGROUP_DEVICE program. Returns the
/// program fd, or -1 with errno. With a `log` buffer, the verifier writes its
/// log there: level 1 says why a program was rejected, level 2 also traces
/// every instruction it checked (in its own notation).
int cs_bpf_load_device_program(const cs_bpf_insn *insns, uint32_t count, const char *license,
                               char *log, uint32_t log_size, uint32_t log_level);
/// bpf(BPF_PROG_ATTACH) with attach type BPF_CGROUP_DEVICE to the cgroup
/// directory open at `cgroup_fd`. Returns 0 or -1 with errno.
int cs_bpf_attach_device_program(int prog_fd, int cgroup_fd, uint32_t flags);
/// bpf(BPF_PROG_DETACH) of that program from the cgroup. Returns 0 or -1 with errno.
int cs_bpf_detach_device_program(int prog_fd, int cgroup_fd);
/// bpf(BPF_PROG_QUERY) for BPF_CGROUP_DEVICE: stores up to `capacity` program
/// ids attached directly to the cgroup in `ids` and their number in `*count`.
int cs_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t capacity, uint32_t *count);

#ifdef __cplusplus
}
#endif
#endif
