// A small lab 08 (cgroups) implementation in C, used to test the grader.
//
// Contract: cgroup run [--quiet|--json] [--name N] [--memory B] [--pids N] [--cpus X] -- CMD...
// Works on cgroup v2 (/sys/fs/cgroup/cgroup.controllers exists) and on v1 or
// hybrid hosts (memory, pids and cpu hierarchies). Built without flags it
// should score 100. Each -D flag makes one classic mistake:
//   NO_JOIN        makes the group but never writes the child into cgroup.procs
//   JOIN_LATE      lets the child exec first and joins it 300 ms later
//   NO_LIMITS      joins, but writes no limit files
//   NO_CLEANUP     never removes the group
//   LEAK_ON_KILL   removes the group only when the command exited normally
//   BAD_JSON       --json reports its own pid instead of the command's
//   NO_STATUS      always exits 0, whatever the command's status
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BAD_JSON
#define BAD_JSON_PID getpid()
#else
#define BAD_JSON_PID child
#endif

static const char *root = "/sys/fs/cgroup";
static const char *controllers[] = {"memory", "pids", "cpu"};
static int v2;
static char name[64];

static int put(const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void must(const char *path, const char *value) {
    if (put(path, value) != 0) {
        fprintf(stderr, "cgroup: write %s \"%s\": %s\n", path, value, strerror(errno));
        exit(125);
    }
}

// The group's directory for one controller (v2: the one directory).
static void dir(char *out, size_t size, const char *controller) {
    if (v2) snprintf(out, size, "%s/sandboxlabs/%s", root, name);
    else snprintf(out, size, "%s/%s/sandboxlabs/%s", root, controller, name);
}

static int count(void) { return v2 ? 1 : 3; }

static void create(void) {
    char path[512];
    if (v2) {
        put("/sys/fs/cgroup/cgroup.subtree_control", "+memory +pids +cpu");
        mkdir("/sys/fs/cgroup/sandboxlabs", 0755);
        must("/sys/fs/cgroup/sandboxlabs/cgroup.subtree_control", "+memory +pids +cpu");
    }
    for (int i = 0; i < count(); i++) {
        snprintf(path, sizeof path, "%s/%s/sandboxlabs", root, controllers[i]);
        if (!v2) mkdir(path, 0755);
        dir(path, sizeof path, controllers[i]);
        if (mkdir(path, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "cgroup: mkdir %s: %s\n", path, strerror(errno));
            exit(125);
        }
    }
}

static void limit(const char *controller, const char *file, const char *value) {
    char path[512];
    dir(path, sizeof path, controller);
    strcat(path, "/");
    strcat(path, file);
    must(path, value);
}

static void join(pid_t pid) {
    char path[512], text[32];
    snprintf(text, sizeof text, "%d", pid);
    for (int i = 0; i < count(); i++) {
        dir(path, sizeof path, controllers[i]);
        strcat(path, "/cgroup.procs");
#ifdef JOIN_LATE
        put(path, text);  // the command may be gone already
#else
        must(path, text);
#endif
    }
}

static void removeGroup(void) {
    char path[512];
    for (int i = 0; i < count(); i++) {
        dir(path, sizeof path, controllers[i]);
        for (int tries = 0; rmdir(path) != 0 && errno == EBUSY && tries < 200; tries++) usleep(10000);
        *strrchr(path, '/') = 0;
        rmdir(path);  // sandboxlabs, if empty
    }
}

static long long bytes(const char *text) {
    char *end;
    long long n = strtoll(text, &end, 10);
    switch (*end) {
    case 'k': case 'K': return n << 10;
    case 'm': case 'M': return n << 20;
    case 'g': case 'G': return n << 30;
    }
    return n;
}

int main(int argc, char **argv) {
    int quiet = 0, json = 0, i = 2;
    const char *memory = NULL, *pids = NULL, *cpus = NULL;
    if (argc < 2 || strcmp(argv[1], "run") != 0) return 64;
    snprintf(name, sizeof name, "c-%d", getpid());
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (!strcmp(argv[i], "--quiet")) quiet = 1;
        else if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--name") && i + 1 < argc) snprintf(name, sizeof name, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--memory") && i + 1 < argc) memory = argv[++i];
        else if (!strcmp(argv[i], "--pids") && i + 1 < argc) pids = argv[++i];
        else if (!strcmp(argv[i], "--cpus") && i + 1 < argc) cpus = argv[++i];
        else return 64;
    }
    if (i + 1 >= argc) return 64;
    char **command = argv + i + 1;
    v2 = access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0;
    create();
#ifndef NO_LIMITS
    char text[64];
    if (memory) {
        snprintf(text, sizeof text, "%lld", bytes(memory));
        limit("memory", v2 ? "memory.max" : "memory.limit_in_bytes", text);
    }
    if (pids) limit("pids", "pids.max", pids);
    if (cpus) {
        long quota = (long)(atof(cpus) * 100000 + 0.5);
        if (v2) {
            snprintf(text, sizeof text, "%ld 100000", quota);
            limit("cpu", "cpu.max", text);
        } else {
            limit("cpu", "cpu.cfs_period_us", "100000");
            snprintf(text, sizeof text, "%ld", quota);
            limit("cpu", "cpu.cfs_quota_us", text);
        }
    }
#endif
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return 125;
    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        close(go[1]);
#ifndef JOIN_LATE
        char byte;
        if (read(go[0], &byte, 1) != 1) _exit(125);  // wait until we are in the group
#endif
        execvp(command[0], command);
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(go[0]);
#ifdef JOIN_LATE
    usleep(300000);
#endif
#ifndef NO_JOIN
    join(child);
#endif
    if (json) {
        char path[512];
        printf("{\"pid\":%d,\"cgroup\":[", BAD_JSON_PID);
        for (int k = 0; k < count(); k++) {
            dir(path, sizeof path, controllers[k]);
            printf("%s\"%s\"", k ? "," : "", path);
        }
        printf("]}\n");
    } else if (!quiet) {
        printf("child %d in group %s\n", child, name);
    }
    fflush(NULL);
#ifndef JOIN_LATE
    if (write(go[1], "g", 1) != 1) return 125;
#endif
    close(go[1]);
    int status;
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#ifndef NO_CLEANUP
#ifdef LEAK_ON_KILL
    if (WIFEXITED(status))
#endif
        removeGroup();
#endif
#ifdef NO_STATUS
    code = 0;
#endif
    return code;
}
