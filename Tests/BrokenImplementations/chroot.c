// A small lab 01 implementation in C, used to test the grader.
//
// Built without flags it follows the lab 01 contract and should score 100.
// Each -D flag makes one classic mistake, so the tests can prove that the
// matching check fails with the matching hint:
//   NO_EXEC            prints nothing and never runs the command
//   NO_CHROOT          forgets chroot(2)
//   NO_CHDIR           forgets chdir("/") after chroot
//   SILENT_ON_ERROR    exits 0 when chroot fails
//   ALWAYS_ZERO        runs the command as a child and always exits 0
//   NO_ESCAPE          ignores --escape
//   NO_CHROOT_ON_ESCAPE  with --escape, runs the command without chroot or escape ("/" never left)
//   ESCAPE_LEAVES_DIR  escapes but leaves its directory inside the rootfs
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void escape_chroot(const char *rootfs) {
#ifndef NO_ESCAPE
    char dir[64];
    snprintf(dir, sizeof dir, "/.broken-escape-%d", (int)getpid());
    if (mkdir(dir, 0700) != 0 || chroot(dir) != 0) {
        perror("escape");
        exit(125);
    }
    for (int i = 0; i < 4096; i++) {
        struct stat here, up;
        if (stat(".", &here) != 0 || stat("..", &up) != 0) break;
        if (here.st_dev == up.st_dev && here.st_ino == up.st_ino) break;
        if (chdir("..") != 0) break;
    }
    if (chroot(".") != 0) {
        perror("chroot(.)");
        exit(125);
    }
#ifndef ESCAPE_LEAVES_DIR
    char host_path[4096];
    snprintf(host_path, sizeof host_path, "%s%s", rootfs, dir);
    rmdir(host_path);
#endif
#else
    (void)rootfs;
#endif
}

int main(int argc, char **argv) {
    int escape = 0, i = 1;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--quiet") == 0) continue;
        if (strcmp(argv[i], "--escape") == 0) {
            escape = 1;
            continue;
        }
        break;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: %s [--quiet] [--escape] ROOTFS -- CMD...\n", argv[0]);
        return 2;
    }
    char rootfs[4096];
    if (realpath(argv[i], rootfs) == NULL) snprintf(rootfs, sizeof rootfs, "%s", argv[i]);
    i++;
    if (i < argc && strcmp(argv[i], "--") == 0) i++;
    char *shell[] = {"/bin/sh", NULL};
    char **command = i < argc ? &argv[i] : shell;
#ifdef NO_EXEC
    (void)command;
    (void)escape;
    return 0;
#endif
#ifdef NO_CHROOT_ON_ESCAPE
    if (escape) {  /* "escaped": it simply never went in */
        execvp(command[0], command);
        return 127;
    }
#endif
#ifndef NO_CHROOT
    if (chroot(rootfs) != 0) {
#ifdef SILENT_ON_ERROR
        return 0;
#endif
        fprintf(stderr, "chroot(%s): %s\n", rootfs, strerror(errno));
        return 125;
    }
#endif
#ifndef NO_CHDIR
    if (chdir("/") != 0) return 125;
#endif
    if (escape) escape_chroot(rootfs);
#ifdef ALWAYS_ZERO
    pid_t pid = fork();
    if (pid == 0) {
        execvp(command[0], command);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
    return 0;
#endif
    execvp(command[0], command);
    fprintf(stderr, "execvp(%s): %s\n", command[0], strerror(errno));
    return 127;
}
