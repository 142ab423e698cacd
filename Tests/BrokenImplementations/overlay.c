// A small lab 10 (overlay filesystem) implementation in C, used to test the grader.
//
// Contract: IMPL mount [--quiet | --json] LOWERS UPPER WORK MERGED -- CMD [ARGS...]
// Built without flags it follows the contract and should score 100. Each -D
// flag makes one classic mistake:
//   ALWAYS_ZERO   exits 0 whatever the command's status was
//   NO_UNSHARE    mounts in the namespace it was started in
//   NO_PRIVATE    skips MS_REC|MS_PRIVATE (the overlay leaks where / is shared)
//   REVERSED      stacks the lower layers bottom-up (the last one wins)
//   READ_ONLY     no upperdir/workdir: a read-only overlay
//   USERXATTR     mounts with "userxattr": opaque marks become user.overlay.opaque
//   BAD_JSON      --json prints something that is not JSON
// The grader runs it inside a throwaway mount namespace, so the broken
// variants change that namespace, never the host.
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static void fail(const char *what, const char *path) {
    fprintf(stderr, "overlay-lab: %s(%s): %s\n", what, path ? path : "", strerror(errno));
    exit(125);
}

#ifdef REVERSED
// "a:b:c" -> "c:b:a" (the REVERSED mistake).
static void reverse_layers(const char *in, char *out, size_t size) {
    out[0] = '\0';
    char copy[PATH_MAX * 4];
    snprintf(copy, sizeof copy, "%s", in);
    char *end = copy + strlen(copy);
    while (end > copy) {
        char *colon = end - 1;
        while (colon > copy && *colon != ':') colon--;
        char *start = *colon == ':' ? colon + 1 : colon;
        if (out[0] != '\0') strncat(out, ":", size - strlen(out) - 1);
        strncat(out, start, size - strlen(out) - 1);
        *colon = '\0';
        end = colon;
    }
}
#endif

static void ns_link(const char *path, char *out, size_t size) {
    ssize_t n = readlink(path, out, size - 1);
    if (n < 0) fail("readlink", path);
    out[n] = '\0';
}

int main(int argc, char **argv) {
    int quiet = 0, json = 0, i = 1;
    if (i < argc && strcmp(argv[i], "mount") == 0) i++;
    for (; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--quiet") == 0) quiet = 1;
        else if (strcmp(argv[i], "--json") == 0) json = 1;
    }
    if (argc - i < 5 || strcmp(argv[i + 4], "--") != 0) {
        fprintf(stderr, "usage: %s mount [--quiet|--json] LOWERS UPPER WORK MERGED -- CMD\n", argv[0]);
        return 64;
    }
    const char *lowers = argv[i], *upper = argv[i + 1], *work = argv[i + 2], *merged = argv[i + 3];
    char **cmd = argv + i + 5;
    if (!cmd[0]) return 64;
    (void)quiet;

    char outside[64], inside[64], order[PATH_MAX * 4], data[PATH_MAX * 6];
    ns_link("/proc/self/ns/mnt", outside, sizeof outside);
#ifndef NO_UNSHARE
    if (unshare(CLONE_NEWNS) != 0) fail("unshare", "CLONE_NEWNS");
#endif
#ifndef NO_PRIVATE
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) fail("mount", "/");
#endif
#ifdef REVERSED
    reverse_layers(lowers, order, sizeof order);
#else
    snprintf(order, sizeof order, "%s", lowers);
#endif
#if defined(READ_ONLY)
    snprintf(data, sizeof data, "lowerdir=%s", order);
    (void)upper;
    (void)work;
#elif defined(USERXATTR)
    snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s,userxattr", order, upper, work);
#else
    snprintf(data, sizeof data, "lowerdir=%s,upperdir=%s,workdir=%s", order, upper, work);
#endif
    if (mount("overlay", merged, "overlay", 0, data) != 0) fail("mount", merged);
    ns_link("/proc/self/ns/mnt", inside, sizeof inside);
    if (json) {
#ifdef BAD_JSON
        printf("data=%s\n", data);
#else
        printf("{\"data\":\"%s\",\"mnt\":{\"inside\":\"%s\",\"outside\":\"%s\"}}\n", data, inside, outside);
#endif
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) fail("fork", NULL);
    if (pid == 0) {
        execvp(cmd[0], cmd);
        fprintf(stderr, "overlay-lab: execvp(%s): %s\n", cmd[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0) fail("waitpid", NULL);
    if (umount2(merged, 0) != 0) fail("umount2", merged);
#ifdef ALWAYS_ZERO
    return 0;
#else
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#endif
}
