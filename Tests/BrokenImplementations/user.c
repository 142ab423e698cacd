// A small lab 06 (user namespace) implementation in C, used to test the grader.
//
// Built without flags it follows the lab 06 contract and should score 100.
// Each -D flag makes one classic mistake:
//   ALWAYS_ZERO        exits 0 whatever the command's status
//   NO_NEWUSER         clones without CLONE_NEWUSER (and so writes no maps)
//   NO_UID_MAP         never writes uid_map (the command stays uid 65534 inside)
//   NO_GID_MAP         never writes setgroups or gid_map
//   WRONG_ORDER        writes gid_map before setgroups "deny": EPERM when unprivileged
//   IGNORE_MAP_OPTION  accepts --uid-map/--gid-map but always maps its own ids
//   BAD_JSON           --json reports the child's user namespace as the outside one
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_args {
    char **command;
    int go_read;
    int become_root;
};

static int child_main(void *raw) {
    struct child_args *args = raw;
    char byte;
    if (read(args->go_read, &byte, 1) != 1) _exit(125);  // the parent gave up
    if (args->become_root) {
#ifndef NO_GID_MAP
        if (setresgid(0, 0, 0) != 0) { perror("setresgid"); _exit(125); }
#endif
#ifndef NO_UID_MAP
        if (setresuid(0, 0, 0) != 0) { perror("setresuid"); _exit(125); }
#endif
    }
    execvp(args->command[0], args->command);
    perror("execvp");
    _exit(127);
}

static int write_file(pid_t pid, const char *name, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
        fprintf(stderr, "write %s: ", path);
        perror(NULL);
        if (fd >= 0) close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

// "0:1000:1" or "0:1000" → "0 1000 1\n"
static void map_line(const char *option, char *out, size_t size) {
    unsigned in = 0, outside = 0, count = 1;
    sscanf(option, "%u:%u:%u", &in, &outside, &count);
    snprintf(out, size, "%u %u %u\n", in, outside, count);
}

// The kernel's padded map as "0 1000 1" lines joined by \n (escaped for JSON).
static void read_map(pid_t pid, const char *name, char *out, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    FILE *file = fopen(path, "r");
    out[0] = 0;
    unsigned a, b, c;
    while (file && fscanf(file, "%u %u %u", &a, &b, &c) == 3) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%u %u %u", used ? "\\n" : "", a, b, c);
    }
    if (file) fclose(file);
}

static void ns_link(const char *pid, char *out, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/user", pid);
    ssize_t n = readlink(path, out, size - 1);
    out[n > 0 ? n : 0] = 0;
}

static int write_maps(pid_t pid, const char *uid_map, const char *gid_map) {
    int unprivileged = geteuid() != 0;
#ifndef NO_UID_MAP
    if (write_file(pid, "uid_map", uid_map) != 0) return -1;
#endif
#ifdef WRONG_ORDER
    if (write_file(pid, "gid_map", gid_map) != 0) return -1;
    if (unprivileged && write_file(pid, "setgroups", "deny") != 0) return -1;
#elif !defined(NO_GID_MAP)
    if (unprivileged && write_file(pid, "setgroups", "deny") != 0) return -1;
    if (write_file(pid, "gid_map", gid_map) != 0) return -1;
#endif
    (void)gid_map;
    return 0;
}

static void print_record(pid_t pid) {
    char uid_map[256], gid_map[256], inside[64], outside[64], child[16];
    snprintf(child, sizeof child, "%d", (int)pid);
    read_map(pid, "uid_map", uid_map, sizeof uid_map);
    read_map(pid, "gid_map", gid_map, sizeof gid_map);
    ns_link(child, inside, sizeof inside);
#ifdef BAD_JSON
    ns_link(child, outside, sizeof outside);
#else
    ns_link("self", outside, sizeof outside);
#endif
    printf("{\"pid\":%d,\"outside\":{\"uid\":%u,\"gid\":%u,\"user\":\"%s\"},"
           "\"inside\":{\"user\":\"%s\",\"uid_map\":\"%s\",\"gid_map\":\"%s\"}}\n",
           (int)pid, geteuid(), getegid(), outside, inside, uid_map, gid_map);
    fflush(stdout);
}

int main(int argc, char **argv) {
    char uid_map[64], gid_map[64];
    snprintf(uid_map, sizeof uid_map, "0 %u 1\n", geteuid());
    snprintf(gid_map, sizeof gid_map, "0 %u 1\n", getegid());
    const char *uid_option = NULL, *gid_option = NULL;
    int json = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) continue;
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--uid-map") == 0 && i + 1 < argc) uid_option = argv[++i];
        else if (strcmp(argv[i], "--gid-map") == 0 && i + 1 < argc) gid_option = argv[++i];
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else break;
    }
#ifndef IGNORE_MAP_OPTION
    if (uid_option) map_line(uid_option, uid_map, sizeof uid_map);
    if (gid_option || uid_option) map_line(gid_option ? gid_option : uid_option, gid_map, sizeof gid_map);
#endif
    char *shell[] = {"/bin/sh", NULL};
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) { perror("pipe2"); return 125; }
    struct child_args args = {i < argc ? &argv[i] : shell, go[0], 1};
    size_t stack_size = 256 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    int flags = SIGCHLD;
#ifndef NO_NEWUSER
    flags |= CLONE_NEWUSER;
#else
    args.become_root = 0;
#endif
    pid_t pid = clone(child_main, stack + stack_size, flags, &args);
    if (pid < 0) { perror("clone"); return 125; }
    close(go[0]);
#ifndef NO_NEWUSER
    if (write_maps(pid, uid_map, gid_map) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 125;
    }
#endif
    if (json) print_record(pid);
    if (write(go[1], "g", 1) != 1) { perror("go"); return 125; }
    close(go[1]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {}
#ifdef ALWAYS_ZERO
    return 0;
#endif
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
