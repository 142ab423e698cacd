/* A lab 02 (cgroupns part) implementation in C, with deliberate mistakes behind -D flags:
 *   -DNO_EXEC      print nothing, run nothing, exit 0
 *   -DNO_UNSHARE   exec the command without a new cgroup namespace
 *   -DROOT_FIRST   unshare while briefly in the root cgroup (v2), then move back:
 *                  the namespace's root is the wrong cgroup
 *   -DBAD_JSON     --json record with the inside path as the outside path
 * Usage: cgroupns [--quiet|--json] -- CMD [ARGS...]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The path on the "0::" line of /proc/self/cgroup. */
static void unified(char *out, size_t size) {
    char line[512];
    FILE *file = fopen("/proc/self/cgroup", "r");
    out[0] = 0;
    while (file && fgets(line, sizeof line, file)) {
        if (strncmp(line, "0::", 3) == 0) {
            line[strcspn(line, "\n")] = 0;
            snprintf(out, size, "%s", line + 3);
        }
    }
    if (file) fclose(file);
}

static void link_of(const char *path, char *out, size_t size) {
    ssize_t n = readlink(path, out, size - 1);
    out[n > 0 ? n : 0] = 0;
}

#ifdef ROOT_FIRST
static void move_to(const char *cgroup) {
    char path[600], pid[32];
    const char *root = access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
    snprintf(path, sizeof path, "%s%s/cgroup.procs", root, strcmp(cgroup, "/") ? cgroup : "");
    snprintf(pid, sizeof pid, "%d", getpid());
    int fd = open(path, O_WRONLY);
    if (fd >= 0) { (void)write(fd, pid, strlen(pid)); close(fd); }
}
#endif

int main(int argc, char **argv) {
    int json = 0, i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (!strcmp(argv[i], "--json")) json = 1;
    if (i + 1 >= argc) { fprintf(stderr, "cgroupns: no command\n"); return 64; }
#ifdef NO_EXEC
    return 0;
#endif
    char outside_ns[64], inside_ns[64], outside[512], inside[512];
    link_of("/proc/self/ns/cgroup", outside_ns, sizeof outside_ns);
    unified(outside, sizeof outside);
#ifdef ROOT_FIRST
    move_to("/");
#endif
#ifndef NO_UNSHARE
    if (unshare(CLONE_NEWCGROUP) == -1) { perror("cgroupns: unshare(CLONE_NEWCGROUP)"); return 125; }
#endif
#ifdef ROOT_FIRST
    move_to(outside);
#endif
    link_of("/proc/self/ns/cgroup", inside_ns, sizeof inside_ns);
    unified(inside, sizeof inside);
    if (json) {
#ifdef BAD_JSON
        snprintf(outside, sizeof outside, "%s", inside);
#endif
        printf("{\"inside\":{\"cgroupns\":\"%s\",\"path\":\"%s\"},\"outside\":{\"cgroupns\":\"%s\",\"path\":\"%s\"}}\n",
               inside_ns, inside, outside_ns, outside);
        fflush(stdout);
    }
    execvp(argv[i + 1], argv + i + 1);
    perror("cgroupns: execvp");
    return 127;
}
