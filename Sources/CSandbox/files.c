// Filesystem calls the image layer applier needs and Swift's Glibc lacks.
#define _GNU_SOURCE
#include "csandbox.h"

#include <fcntl.h>
#include <signal.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

int cs_openat2_in_root(int root_fd, const char *path, int flags, unsigned int mode) {
    struct open_how how = {
        .flags = (unsigned long long)flags,
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

int cs_mknodat(int dirfd, const char *name, unsigned int mode, unsigned int major_number, unsigned int minor_number) {
    return mknodat(dirfd, name, (mode_t)mode, makedev(major_number, minor_number));
}

unsigned int cs_major(unsigned long long dev) { return major((dev_t)dev); }
unsigned int cs_minor(unsigned long long dev) { return minor((dev_t)dev); }

ssize_t cs_fgetxattr(int fd, const char *name, void *value, size_t size) { return fgetxattr(fd, name, value, size); }
int cs_fsetxattr(int fd, const char *name, const void *value, size_t size, int flags) {
    return fsetxattr(fd, name, value, size, flags);
}
ssize_t cs_flistxattr(int fd, char *list, size_t size) { return flistxattr(fd, list, size); }

int cs_set_pipe_size(int fd, int size) { return fcntl(fd, F_SETPIPE_SZ, size); }

static volatile sig_atomic_t caught_signal;

static void record_signal(int signal_number) { caught_signal = signal_number; }

int cs_catch_interrupts(void) {
    struct sigaction action = {0};
    action.sa_handler = record_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    if (sigaction(SIGTERM, &action, NULL) != 0) return -1;
    return sigaction(SIGHUP, &action, NULL);
}

int cs_interrupted(void) { return caught_signal; }
