// Thin wrappers; see csandbox.h for why each one has to be written in C.
#define _GNU_SOURCE
#include "csandbox.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef OVERLAYFS_SUPER_MAGIC
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif

const int CS_CLONE_NEWNS = CLONE_NEWNS;
const int CS_CLONE_NEWUTS = CLONE_NEWUTS;
const int CS_CLONE_NEWIPC = CLONE_NEWIPC;
const int CS_CLONE_NEWUSER = CLONE_NEWUSER;
const int CS_CLONE_NEWPID = CLONE_NEWPID;
const int CS_CLONE_NEWNET = CLONE_NEWNET;
const int CS_CLONE_NEWCGROUP = CLONE_NEWCGROUP;
const int CS_CLONE_NEWTIME = CLONE_NEWTIME;

const long CS_CGROUP2_SUPER_MAGIC = CGROUP2_SUPER_MAGIC;
const long CS_CGROUP_SUPER_MAGIC = CGROUP_SUPER_MAGIC;
const long CS_TMPFS_MAGIC = TMPFS_MAGIC;
const long CS_OVERLAYFS_SUPER_MAGIC = OVERLAYFS_SUPER_MAGIC;
const long CS_PROC_SUPER_MAGIC = PROC_SUPER_MAGIC;

int cs_unshare(int flags) { return unshare(flags); }
int cs_setns(int fd, int nstype) { return setns(fd, nstype); }
int cs_pivot_root(const char *new_root, const char *put_old) {
    return (int)syscall(SYS_pivot_root, new_root, put_old);
}
pid_t cs_gettid(void) { return (pid_t)syscall(SYS_gettid); }
int cs_pidfd_open(pid_t pid, unsigned int flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }
int cs_pidfd_send_signal(int pidfd, int sig) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}
int cs_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }
ssize_t cs_write_nosigpipe(int fd, const void *buf, size_t len) {
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    int was_pending = 0;
    sigset_t pending;
    if (sigpending(&pending) == 0) was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    ssize_t n = write(fd, buf, len);
    int saved = errno;
    if (n < 0 && saved == EPIPE && !was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = saved;
    return n;
}
int cs_sethostname(const char *name, size_t len) { return sethostname(name, len); }

int cs_prctl_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }
int cs_prctl_get_no_new_privs(void) { return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0); }
int cs_prctl_set_dumpable(int dumpable) { return prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0); }
int cs_prctl_get_dumpable(void) { return prctl(PR_GET_DUMPABLE, 0, 0, 0, 0); }
int cs_prctl_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }
int cs_prctl_set_child_subreaper(int on) { return prctl(PR_SET_CHILD_SUBREAPER, on, 0, 0, 0); }
int cs_prctl_set_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }

int cs_statfs_type(const char *path, long *type) {
    struct statfs buf;
    if (statfs(path, &buf) != 0) return -1;
    *type = (long)buf.f_type;
    return 0;
}

ssize_t cs_lgetxattr(const char *path, const char *name, void *value, size_t size) {
    return lgetxattr(path, name, value, size);
}
int cs_lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags) {
    return lsetxattr(path, name, value, size, flags);
}
ssize_t cs_llistxattr(const char *path, char *list, size_t size) { return llistxattr(path, list, size); }

int cs_ns_get_nstype(int fd) { return ioctl(fd, NS_GET_NSTYPE); }
int cs_ns_get_userns(int fd) { return ioctl(fd, NS_GET_USERNS); }
int cs_ns_get_parent(int fd) { return ioctl(fd, NS_GET_PARENT); }
int cs_ns_get_owner_uid(int fd, uid_t *uid) { return ioctl(fd, NS_GET_OWNER_UID, uid); }
