// A small lab 05 (mount namespace) implementation in C, used to test the grader.
//
// Contract: IMPL run [--quiet | --json] [--try-escape] ROOTFS -- CMD [ARGS...]
// Built without flags it follows the contract and should score 100. It uses
// the classic pivot_root(new, new/.oldroot) form (the Swift reference uses
// pivot_root(".", ".")): the grader accepts either. Each -D flag makes one
// classic mistake:
//   NO_EXEC          never runs the command
//   NO_UNSHARE       mounts and pivots in the namespace it was started in
//   NO_PRIVATE       skips MS_REC|MS_PRIVATE (fails where / is shared, as on systemd)
//   CHROOT_INSTEAD   chroot(2) instead of pivot_root(2): the old root stays above
//   NO_DETACH        pivot_root without detaching the old root
//   NO_PROC          no /proc
//   SYS_RW           /sys mounted writable
//   NO_DEV           no /dev of its own
//   SILENT_ON_ERROR  a failed step exits 0 without a word
//   BAD_JSON         --json prints something that is not JSON
// The grader runs it inside a throwaway mount namespace, so the broken
// variants change that namespace, never the host.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void fail(const char *what, const char *path) {
#ifdef SILENT_ON_ERROR
    (void)what;
    (void)path;
    exit(0);
#else
    fprintf(stderr, "mount-lab: %s(%s): %s\n", what, path ? path : "", strerror(errno));
    exit(125);
#endif
}

static void do_mount(const char *src, const char *dst, const char *type, unsigned long flags, const char *data) {
    if (mount(src, dst, type, flags, data) != 0) fail("mount", dst);
}

static void switch_root(const char *root) {
    do_mount(root, root, NULL, MS_BIND | MS_REC, NULL);
    if (chdir(root) != 0) fail("chdir", root);
#ifdef CHROOT_INSTEAD
    if (chroot(".") != 0) fail("chroot", root);
#else
    if (mkdir(".oldroot", 0700) != 0 && errno != EEXIST) fail("mkdir", ".oldroot");
    if (syscall(SYS_pivot_root, ".", ".oldroot") != 0) fail("pivot_root", root);
    if (chdir("/") != 0) fail("chdir", "/");
#ifndef NO_DETACH
    if (umount2("/.oldroot", MNT_DETACH) != 0) fail("umount2", "/.oldroot");
    if (rmdir("/.oldroot") != 0) fail("rmdir", "/.oldroot");
#endif
#endif
    if (chdir("/") != 0) fail("chdir", "/");
}

static void make_dev(void) {
    static const struct { const char *name; unsigned major, minor; } devices[] = {
        {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
    };
    static const char *links[][2] = {
        {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"}, {"/proc/self/fd/1", "/dev/stdout"},
        {"/proc/self/fd/2", "/dev/stderr"}, {"pts/ptmx", "/dev/ptmx"},
    };
    do_mount("tmpfs", "/dev", "tmpfs", MS_NOSUID, "mode=755,size=65536k");
    char path[64];
    for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
        snprintf(path, sizeof path, "/dev/%s", devices[i].name);
        if (mknod(path, S_IFCHR | 0666, makedev(devices[i].major, devices[i].minor)) != 0) fail("mknod", path);
        if (chmod(path, 0666) != 0) fail("chmod", path);
    }
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        if (symlink(links[i][0], links[i][1]) != 0) fail("symlink", links[i][1]);
    if (mkdir("/dev/pts", 0755) != 0) fail("mkdir", "/dev/pts");
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620");
}

// Lab 01's escape: mkdir, chroot into it, climb, chroot(".").
static void try_escape(void) {
    struct stat dot, dotdot;
    int root = open("/", O_RDONLY | O_DIRECTORY);
    mkdir("/.escape", 0700);
    if (chroot("/.escape") != 0) fail("chroot", "/.escape");
    for (int i = 0; i < 4096; i++) {
        if (stat(".", &dot) != 0 || stat("..", &dotdot) != 0) break;
        if (dot.st_dev == dotdot.st_dev && dot.st_ino == dotdot.st_ino) break;
        if (chdir("..") != 0) break;
    }
    chroot(".");
    unlinkat(root, ".escape", AT_REMOVEDIR);
    close(root);
}

static void print_record(const char *outside) {
#ifdef BAD_JSON
    (void)outside;
    printf("mounts: changed\n");
#else
    char inside[128] = "", line[4096];
    ssize_t n = readlink("/proc/self/ns/mnt", inside, sizeof inside - 1);
    if (n > 0) inside[n] = 0;
    printf("{\"mnt\":{\"inside\":\"%s\",\"outside\":\"%s\"},\"mounts\":[", inside, outside);
    FILE *table = fopen("/proc/self/mountinfo", "r");
    int first = 1;
    while (table && fgets(line, sizeof line, table)) {
        char point[4096];
        if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1) printf("%s\"%s\"", first ? "" : ",", point);
        first = 0;
    }
    if (table) fclose(table);
    printf("]}\n");
#endif
    fflush(stdout);
}

int main(int argc, char **argv) {
    int json = 0, escape = 0, i = 1;
    if (i < argc && strcmp(argv[i], "run") == 0) i++;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--try-escape") == 0) escape = 1;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s run [--quiet|--json] [--try-escape] ROOTFS -- CMD...\n", argv[0]);
        return 64;
    }
    char *root = realpath(argv[i++], NULL);
    if (!root) fail("realpath", argv[i - 1]);
    if (i < argc && strcmp(argv[i], "--") == 0) i++;
    char *shell[] = {"/bin/sh", NULL};
    char **command = i < argc ? &argv[i] : shell;
    char outside[128] = "";
    ssize_t n = readlink("/proc/self/ns/mnt", outside, sizeof outside - 1);
    if (n > 0) outside[n] = 0;

#ifndef NO_UNSHARE
    if (unshare(CLONE_NEWNS) != 0) fail("unshare", "CLONE_NEWNS");
#endif
#ifndef NO_PRIVATE
    do_mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL);
#endif
    switch_root(root);
#ifndef NO_PROC
    do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
#endif
#ifdef SYS_RW
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
#else
    do_mount("sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
#endif
#ifndef NO_DEV
    make_dev();
#endif
    if (escape) try_escape();
    if (json) print_record(outside);
#ifdef NO_EXEC
    return 0;
#endif
    execvp(command[0], command);
    fprintf(stderr, "execvp(%s): %s\n", command[0], strerror(errno));
    return 127;
}
