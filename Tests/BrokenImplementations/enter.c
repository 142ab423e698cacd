/* A lab 02 (enter part, sb-enter) implementation in C, with deliberate mistakes behind -D flags:
 *   -DLOSE_STATUS        wait for the command but always exit 0: its status is lost
 *   -DLAST_FLAG_ONLY     each namespace option replaces the previous one (= instead of |=):
 *                        --uts --ipc --net joins only net
 *   -DJOIN_EVERYTHING    any namespace option behaves like --all: joins more than was asked for
 *   -DNO_FORK            execvp right after setns: a joined PID namespace only applies to children,
 *                        so the command stays in ours
 *   -DALL_SKIPS_MNT      --all joins every kind that differs except the mount namespace
 *   -DLATE_BEFORE        the "before" links of --json are read after setns: they show the target's
 *   -DFALLBACK           a target that cannot be opened is only warned about; the command runs
 *                        in our own namespaces
 * Usage: enter --target PID [--all] [--uts] [--ipc] [--net] [--pid] [--mount] [--user] [--cgroup]
 *              [--time] [--quiet|--json] -- CMD [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

#define KINDS 8
/* The user namespace first: joining it gives the capabilities the other joins are checked against. */
static const char *kinds[KINDS] = {"user", "mnt", "uts", "ipc", "net", "pid", "cgroup", "time"};
static const char *options[KINDS] = {"--user", "--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup", "--time"};
static const int flags[KINDS] = {CLONE_NEWUSER, CLONE_NEWNS,  CLONE_NEWUTS,    CLONE_NEWIPC,
                                 CLONE_NEWNET,  CLONE_NEWPID, CLONE_NEWCGROUP, CLONE_NEWTIME};

/* setns changes only where our future children go for pid and time: read KIND_for_children. */
static void link_at(int dir, int kind, char *out, size_t size) {
    char name[32];
    int children = !strcmp(kinds[kind], "pid") || !strcmp(kinds[kind], "time");
    snprintf(name, sizeof name, "%s%s", kinds[kind], children ? "_for_children" : "");
    ssize_t n = readlinkat(dir, name, out, size - 1);
    out[n > 0 ? n : 0] = 0;
}

static int differs(int pid, int kind) {
    char ours[64], theirs[64];
    struct stat a, b;
    snprintf(ours, sizeof ours, "/proc/self/ns/%s", kinds[kind]);
    snprintf(theirs, sizeof theirs, "/proc/%d/ns/%s", pid, kinds[kind]);
    return stat(ours, &a) == 0 && stat(theirs, &b) == 0 && a.st_ino != b.st_ino;
}

static void print_json(int pid, int wanted, char before[][64], char after[][64]) {
    printf("{\"target\":%d,\"joined\":[", pid);
    for (int k = 0, first = 1; k < KINDS; k++)
        if (wanted & flags[k]) { printf("%s\"%s\"", first ? "" : ",", kinds[k]); first = 0; }
    printf("],\"before\":{");
    for (int k = 0, first = 1; k < KINDS; k++)
        if (wanted & flags[k]) { printf("%s\"%s\":\"%s\"", first ? "" : ",", kinds[k], before[k]); first = 0; }
    printf("},\"after\":{");
    for (int k = 0, first = 1; k < KINDS; k++)
        if (wanted & flags[k]) { printf("%s\"%s\":\"%s\"", first ? "" : ",", kinds[k], after[k]); first = 0; }
    printf("}}\n");
}

int main(int argc, char **argv) {
    int pid = 0, wanted = 0, all = 0, json = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--target") && i + 1 < argc) pid = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--all")) all = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        for (int k = 0; k < KINDS; k++) {
            if (strcmp(argv[i], options[k]) != 0) continue;
#ifdef LAST_FLAG_ONLY
            wanted = flags[k];
#else
            wanted |= flags[k];
#endif
#ifdef JOIN_EVERYTHING
            all = 1;
#endif
        }
    }
    if (pid <= 0 || i + 1 >= argc || (!wanted && !all)) {
        fprintf(stderr, "usage: enter --target PID [--all] [--uts] ... -- CMD [ARGS...]\n");
        return 64;
    }
    char **cmd = argv + i + 1;
    for (int k = 0; all && k < KINDS; k++) {
#ifdef ALL_SKIPS_MNT
        if (flags[k] == CLONE_NEWNS) continue;
#endif
        if (differs(pid, k)) wanted |= flags[k];
    }
    /* Open every namespace first: after joining a mount namespace, /proc may no longer show the target. */
    int fds[KINDS], self = open("/proc/self/ns", O_RDONLY | O_DIRECTORY | O_CLOEXEC), failed = 0;
    char before[KINDS][64] = {{0}}, after[KINDS][64] = {{0}};
    for (int k = 0; k < KINDS; k++) {
        fds[k] = -1;
        if (!(wanted & flags[k])) continue;
        link_at(self, k, before[k], sizeof before[k]);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, kinds[k]);
        fds[k] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[k] < 0) {
            fprintf(stderr, "enter: open %s: %s\n", path, strerror(errno));
            failed = 1;
        }
    }
#ifdef FALLBACK
    if (failed) fprintf(stderr, "enter: running the command here instead\n");
#else
    if (failed) return 125;
#endif
    for (int k = 0; k < KINDS; k++) {
        if (fds[k] < 0) continue;
        if (setns(fds[k], flags[k]) == -1) {
            fprintf(stderr, "enter: setns(%s): %s\n", kinds[k], strerror(errno));
            return 125;
        }
        close(fds[k]);
        link_at(self, k, after[k], sizeof after[k]);
#ifdef LATE_BEFORE
        link_at(self, k, before[k], sizeof before[k]);
#endif
    }
    if (json) print_json(pid, wanted, before, after);
    fflush(stdout);
#ifdef NO_FORK
    execvp(cmd[0], cmd);
    perror("enter: execvp");
    return 127;
#endif
    pid_t child = fork();
    if (child == -1) { perror("enter: fork"); return 125; }
    if (child == 0) {
        execvp(cmd[0], cmd);
        perror("enter: execvp");
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) == -1 && errno == EINTR) {}
#ifdef LOSE_STATUS
    return 0;
#endif
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
