// A small lab 04 (PID namespace) implementation in C, used to test the grader.
//
// Built without flags it follows the lab 04 contract and should score 100:
// clone(CLONE_NEWPID|CLONE_NEWNS) a child that makes / private, mounts proc,
// and acts as init (forks the command, forwards SIGTERM/SIGINT/SIGHUP,
// reaps every child, exits with the command's status).
// Each -D flag makes one classic mistake:
//   NO_EXEC         init never runs the command
//   NO_NEWPID       no CLONE_NEWPID: the "init" is an ordinary process
//   NO_NEWNS        no CLONE_NEWNS: proc is mounted over the starting namespace's /proc
//   NO_MOUNT_PROC   keeps the parent's /proc
//   NO_REAP         init waits for the command only: orphans stay zombies
//   NO_FORWARD      init does not pass SIGTERM on
//   ALWAYS_ZERO     exits 0 whatever the command's status
//   BAD_JSON        --json prints something that is not JSON
// The grader runs it in a throwaway PID and mount namespace, so the broken
// variants change only those.
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

static char **command;
static int go[2];  // the child waits until the parent printed its JSON record

static int code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

static int init_main(void *unused) {
    (void)unused;
    char byte;
    close(go[1]);
    if (read(go[0], &byte, 1) != 1) return 125;
#ifndef NO_MOUNT_PROC
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("mount /"); return 125; }
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) { perror("mount proc"); return 125; }
#endif
#ifdef NO_EXEC
    return 0;
#endif
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    pid_t payload = fork();
    if (payload == 0) {
        sigprocmask(SIG_SETMASK, &old, NULL);
        execvp(command[0], command);
        perror("execvp");
        _exit(127);
    }
    for (;;) {
        int sig = sigwaitinfo(&all, NULL);
#ifndef NO_FORWARD
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) kill(payload, sig);
#endif
        if (sig != SIGCHLD) continue;
        int status;
        pid_t pid;
#ifdef NO_REAP
        while ((pid = waitpid(payload, &status, WNOHANG)) > 0)
#else
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
#endif
            if (pid == payload) return code(status);
    }
}

static void link_of(const char *path, char *buf, size_t size) {
    ssize_t n = readlink(path, buf, size - 1);
    buf[n > 0 ? n : 0] = 0;
}

int main(int argc, char **argv) {
    int json = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--quiet") == 0) continue;
        else if (strcmp(argv[i], "--") == 0) { i++; break; }
        else break;
    }
    static char *shell[] = {"/bin/sh", NULL};
    command = i < argc ? &argv[i] : shell;
    int flags = SIGCHLD;
#ifndef NO_NEWPID
    flags |= CLONE_NEWPID;
#endif
#ifndef NO_NEWNS
    flags |= CLONE_NEWNS;
#endif
    size_t size = 256 * 1024;
    char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    fflush(stdout);
    if (pipe(go) != 0) { perror("pipe"); return 125; }
    pid_t child = clone(init_main, stack + size, flags, NULL);
    if (child < 0) { perror("clone"); return 125; }
    if (json) {
        char path[64], inside[64], outside[64];
        snprintf(path, sizeof path, "/proc/%d/ns/pid", child);
        link_of(path, inside, sizeof inside);
        link_of("/proc/self/ns/pid", outside, sizeof outside);
#ifdef BAD_JSON
        printf("pid %d in %s\n", child, inside);
#else
        printf("{\"inside\":{\"pid\":1,\"pid_ns\":\"%s\"},\"outside\":{\"pid\":%d,\"pid_ns\":\"%s\"}}\n", inside, child,
               outside);
#endif
        fflush(stdout);
    }
    close(go[0]);
    if (write(go[1], "g", 1) != 1) { perror("write"); return 125; }
    close(go[1]);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {}
#ifdef ALWAYS_ZERO
    return 0;
#endif
    return code(status);
}
