// A small lab 03 (UTS) implementation in C, used to test the grader.
//
// Built without flags it follows the lab 03 contract and should score 100.
// Each -D flag makes one classic mistake:
//   NO_SETHOSTNAME      never sets the hostname
//   NO_UNSHARE          sets the hostname without a new namespace (renames its namespace!)
//   SET_BEFORE_UNSHARE  sets the hostname, then unshares: too late
//   NO_CLONE_FLAG       --method clone without CLONE_NEWUTS
//   BAD_JSON            --json prints something that is not JSON
//   TRUNCATE_LONG       cuts a long hostname to 64 bytes instead of refusing it
// The grader runs it inside a throwaway UTS namespace, so the broken
// variants rename that namespace, never the host.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void set_name(const char *name) {
#ifndef NO_SETHOSTNAME
    if (sethostname(name, strlen(name)) != 0) {
        perror("sethostname");
        exit(125);
    }
#else
    (void)name;
#endif
}

static void new_namespace(void) {
    if (unshare(CLONE_NEWUTS) != 0) {
        perror("unshare");
        exit(125);
    }
}

static void print_record(const char *out_name, const char *out_uts) {
#ifdef BAD_JSON
    (void)out_name;
    (void)out_uts;
    printf("inside: uts changed\n");
#else
    char name[256] = "", uts[128] = "";
    gethostname(name, sizeof name - 1);
    ssize_t n = readlink("/proc/self/ns/uts", uts, sizeof uts - 1);
    if (n > 0) uts[n] = 0;
    printf("{\"inside\":{\"hostname\":\"%s\",\"uts\":\"%s\"},\"outside\":{\"hostname\":\"%s\",\"uts\":\"%s\"}}\n", name, uts,
           out_name, out_uts);
#endif
    fflush(stdout);
}

int main(int argc, char **argv) {
    const char *method = "unshare";
    char *name = "lab-box";
    int json = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) continue;
        if (strcmp(argv[i], "--json") == 0) json = 1;
        else if (strcmp(argv[i], "--method") == 0 && i + 1 < argc) method = argv[++i];
        else if (strcmp(argv[i], "--hostname") == 0 && i + 1 < argc) name = argv[++i];
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else break;
    }
    char *shell[] = {"/bin/sh", NULL};
    char **command = i < argc ? &argv[i] : shell;
    if (strlen(name) > 64) {
#ifdef TRUNCATE_LONG
        name[64] = 0;
#else
        fprintf(stderr, "hostname longer than 64 bytes\n");
        return 2;
#endif
    }
    char out_name[256] = "", out_uts[128] = "";
    gethostname(out_name, sizeof out_name - 1);
    ssize_t n = readlink("/proc/self/ns/uts", out_uts, sizeof out_uts - 1);
    if (n > 0) out_uts[n] = 0;

    if (strcmp(method, "clone") == 0) {
        int flags = SIGCHLD;
#ifndef NO_CLONE_FLAG
        flags |= CLONE_NEWUTS;
#endif
        // The raw clone system call without a new stack behaves like fork.
        pid_t pid = (pid_t)syscall(SYS_clone, flags, 0, 0, 0, 0);
        if (pid < 0) {
            perror("clone");
            return 125;
        }
        if (pid == 0) {
            set_name(name);
            execvp(command[0], command);
            _exit(127);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
#if defined(NO_UNSHARE)
    set_name(name);
#elif defined(SET_BEFORE_UNSHARE)
    set_name(name);
    new_namespace();
#else
    new_namespace();
    set_name(name);
#endif
    if (json) print_record(out_name, out_uts);
    execvp(command[0], command);
    fprintf(stderr, "execvp(%s): %s\n", command[0], strerror(errno));
    return 127;
}
