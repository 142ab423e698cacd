// A small lab 03 (IPC part) implementation in C, used to test the grader.
//
// Built without flags it follows the 03-ipc contract and should score 100.
// Each -D flag makes one classic mistake:
//   NO_EXEC      never runs the command
//   NO_UNSHARE   runs the command in the IPC namespace it was started in
//   ALWAYS_ZERO  exits 0 whatever the command's status
//   BAD_JSON     --json prints something that is not JSON
// The grader runs it inside a throwaway IPC namespace, so the broken
// variants only ever touch that namespace's objects.
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void ipc_link(char *buf, size_t size) {
    ssize_t n = readlink("/proc/self/ns/ipc", buf, size - 1);
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
    char *shell[] = {"/bin/sh", NULL};
    char **command = i < argc ? &argv[i] : shell;
    char outside[64], inside[64];
    ipc_link(outside, sizeof outside);
#ifndef NO_UNSHARE
    if (unshare(CLONE_NEWIPC) != 0) { perror("unshare(CLONE_NEWIPC)"); return 125; }
#endif
    ipc_link(inside, sizeof inside);
    if (json) {
#ifdef BAD_JSON
        printf("inside=%s outside=%s\n", inside, outside);
#else
        printf("{\"inside\":{\"ipc\":\"%s\"},\"outside\":{\"ipc\":\"%s\"}}\n", inside, outside);
#endif
        fflush(stdout);
    }
#ifdef NO_EXEC
    return 0;
#endif
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 125; }
    if (pid == 0) {
        execvp(command[0], command);
        perror("execvp");
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
#ifdef ALWAYS_ZERO
    return 0;
#endif
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
