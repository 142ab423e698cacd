// A small lab 07 (network namespace) implementation in C, used to test the grader.
//
// It uses the other common design: a "holder" child that unshares a network
// namespace and sleeps, `ip` for the wiring (nsenter for the inside), and the
// command started with setns(2) into the holder's namespace. Built without
// flags it follows the lab 07 contract and should score 100.
// Each -D flag makes one classic mistake:
//   ALWAYS_ZERO    exits 0 whatever the command's status was
//   NO_NEWNET      the holder never unshares: the "inside" is the starting namespace
//   NO_PEER_MOVE   both veth ends stay outside: inside has only lo
//   NO_LO_UP       forgets `ip link set lo up` inside
//   BAD_JSON       --json prints something that is not JSON
//   NO_HOST_UP     leaves the host end of the veth down: addresses, but no traffic
//   KEEP_HOLDER    never stops the holder (and gives it no PR_SET_PDEATHSIG): the namespace
//                  and the veth outlive the run
//   NO_PDEATHSIG   the holder survives a SIGKILL of this program, and keeps the veth alive
// The grader runs it inside a throwaway network namespace, so the broken
// variants leave links only there, never on the host.
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void sh(const char *format, ...) __attribute__((format(printf, 1, 2)));

#include <stdarg.h>
static void sh(const char *format, ...) {
    char command[512];
    va_list args;
    va_start(args, format);
    vsnprintf(command, sizeof command, format, args);
    va_end(args);
    if (system(command) != 0) {
        fprintf(stderr, "net: failed: %s\n", command);
        exit(125);
    }
}

// A child that holds a new network namespace until it is killed.
static pid_t start_holder(void) {
    int ready[2];
    if (pipe(ready) != 0) exit(125);
    pid_t pid = fork();
    if (pid == 0) {
#if !defined(NO_PDEATHSIG) && !defined(KEEP_HOLDER)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0), dup2(null, 1), dup2(null, 2);
#ifndef NO_NEWNET
        if (unshare(CLONE_NEWNET) != 0) _exit(1);
#endif
        close(ready[0]);
        write(ready[1], "x", 1);
        close(ready[1]);
        for (;;) pause();
    }
    close(ready[1]);
    char byte;
    if (read(ready[0], &byte, 1) != 1) exit(125);
    close(ready[0]);
    return pid;
}

int main(int argc, char **argv) {
    int json = 0, index = 1;
    for (; index < argc && strcmp(argv[index], "--") != 0; index++) {
        if (strcmp(argv[index], "--json") == 0) json = 1;
    }
    if (index + 1 >= argc) {
        fprintf(stderr, "usage: net [--quiet|--json] veth -- CMD...\n");
        return 64;
    }
    char **command = argv + index + 1;
    pid_t holder = start_holder();
    char host[16], ns[64];
    snprintf(host, sizeof host, "nt%d", (int)getpid() % 1000000);
    snprintf(ns, sizeof ns, "nsenter --net=/proc/%d/ns/net", (int)holder);
    int block = (getpid() % 250) + 1;

#ifdef NO_PEER_MOVE
    sh("ip link add %s type veth peer name %sp", host, host);
#else
    sh("ip link add %s type veth peer name eth0 netns %d", host, (int)holder);
#endif
    sh("ip addr add 10.232.%d.1/30 dev %s", block, host);
#ifndef NO_HOST_UP
    sh("ip link set %s up", host);
#endif
#ifndef NO_LO_UP
    sh("%s ip link set lo up", ns);
#endif
#ifndef NO_PEER_MOVE
    sh("%s ip addr add 10.232.%d.2/30 dev eth0", ns, block);
    sh("%s ip link set eth0 up", ns);
#endif
    if (json) {
#ifdef BAD_JSON
        printf("host %s 10.232.%d.1\n", host, block);
#else
        printf("{\"host\":{\"interface\":\"%s\",\"address\":\"10.232.%d.1/30\"},"
               "\"inside\":{\"interface\":\"eth0\",\"address\":\"10.232.%d.2/30\"}}\n",
               host, block, block);
#endif
    }
    fflush(stdout);

    pid_t child = fork();
    if (child == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)holder);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(125);
        execvp(command[0], command);
        _exit(127);
    }
    int status = 0;
    waitpid(child, &status, 0);
#ifndef KEEP_HOLDER
    kill(holder, SIGKILL);
    waitpid(holder, NULL, 0);
    char del[64];
    snprintf(del, sizeof del, "ip link del %s 2>/dev/null", host);
    system(del);  // already gone with the namespace, unless the peer never moved
#endif
#ifdef ALWAYS_ZERO
    return 0;
#else
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#endif
}
