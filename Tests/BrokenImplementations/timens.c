/* A lab 02 (timens part) implementation in C, to show the grader's contract is
 * language-neutral, with deliberate mistakes behind -D flags:
 *   -DNO_WAIT          exit 0 at once instead of waiting for the command
 *   -DNO_UNSHARE       no unshare(CLONE_NEWTIME), no offsets: the command shares our clocks
 *   -DNO_OFFSETS       never write /proc/self/timens_offsets
 *   -DSWAP_CLOCKS      write the monotonic value as boottime and the other way round
 *   -DBAD_JSON         --json record without "outside"
 * Usage: timens [--monotonic S] [--boottime S] [--quiet|--json] -- CMD [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static void link_of(const char *path, char *out, size_t size) {
    ssize_t n = readlink(path, out, size - 1);
    out[n > 0 ? n : 0] = 0;
}

int main(int argc, char **argv) {
    long mono = 0, boot = 86400;
    int json = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--monotonic") && i + 1 < argc) mono = atol(argv[++i]);
        else if (!strcmp(argv[i], "--boottime") && i + 1 < argc) boot = atol(argv[++i]);
        else if (!strcmp(argv[i], "--json")) json = 1;
    }
    if (i + 1 >= argc) { fprintf(stderr, "timens: no command\n"); return 64; }
    char **cmd = argv + i + 1;
    char outside[64], inside[64];
    link_of("/proc/self/ns/time", outside, sizeof outside);
#ifndef NO_UNSHARE
    if (unshare(CLONE_NEWTIME) == -1) { perror("timens: unshare(CLONE_NEWTIME)"); return 125; }
#endif
#if !defined(NO_OFFSETS) && !defined(NO_UNSHARE)
    char text[128];
#ifdef SWAP_CLOCKS
    snprintf(text, sizeof text, "monotonic %ld 0\nboottime %ld 0\n", boot, mono);
#else
    snprintf(text, sizeof text, "monotonic %ld 0\nboottime %ld 0\n", mono, boot);
#endif
    int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0) { perror("timens: timens_offsets"); return 125; }
    close(fd);
#endif
    link_of("/proc/self/ns/time_for_children", inside, sizeof inside);
    if (json) {
#ifdef BAD_JSON
        printf("{\"inside\":{\"time\":\"%s\"}}\n", inside);
#else
        printf("{\"inside\":{\"time\":\"%s\",\"offsets\":{\"monotonic\":%ld,\"boottime\":%ld}},"
               "\"outside\":{\"time\":\"%s\"}}\n", inside, mono, boot, outside);
#endif
    }
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) { execvp(cmd[0], cmd); _exit(127); }
#ifdef NO_WAIT
    return 0;
#endif
    int status = 0;
    waitpid(child, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
