// The child side of spawning into new namespaces. It runs between clone(2)
// and execve(2) and so may call only async-signal-safe functions: the parent
// may have had other threads, whose locks (malloc's, stdio's, the Swift
// runtime's) the child inherits held forever. See csandbox.h for the protocol.
#define _GNU_SOURCE
#include "csandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

#define CHILD_STACK_SIZE (256 * 1024)

struct child_args {
    const cs_spawn_attr *attr;
    int go_read;
    int err_write;
    sigset_t parent_mask;
};

// Tells the parent which step failed and why, then exits. Never returns.
static void child_fail(int err_write, int stage, int err) {
    int report[2] = {stage, err};
    ssize_t ignored = write(err_write, report, sizeof report);
    (void)ignored;
    _exit(127);
}

// Moves the requested fds to 0..nfds-1. First every source is copied above
// the target range, so that a source that is itself a target (say stdout
// should become stdin) is not overwritten before it is used.
static int child_place_fds(const cs_spawn_attr *attr, int err_write) {
    int moved[CS_SPAWN_MAX_FDS];
    int floor = CS_SPAWN_MAX_FDS + 3;
    if (err_write < floor) return EBADF; // cannot happen: the parent made it high
    for (int i = 0; i < attr->nfds; i++) {
        moved[i] = -1;
        if (attr->fds[i] < 0) continue;
        moved[i] = fcntl(attr->fds[i], F_DUPFD_CLOEXEC, floor);
        if (moved[i] < 0) return errno;
    }
    for (int i = 0; i < attr->nfds; i++) {
        if (moved[i] < 0) {
            close(i);
            continue;
        }
        if (dup2(moved[i], i) < 0) return errno; // dup2 clears CLOEXEC on i
    }
    return 0;
}

static int child_main(void *raw) {
    struct child_args *args = raw;
    const cs_spawn_attr *attr = args->attr;

    // Signal handlers belong to the parent's runtime; a signal arriving
    // before exec must not run them here. Then unblock what the parent
    // blocked around clone.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++) sigaction(sig, &dfl, NULL); // SIGKILL/SIGSTOP fail: fine
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    if (attr->pdeathsig != 0 && prctl(PR_SET_PDEATHSIG, attr->pdeathsig, 0, 0, 0) != 0)
        child_fail(args->err_write, CS_STAGE_PRCTL, errno);

    // Wait for the parent: it may be writing our uid/gid maps or our cgroup.
    char go = 0;
    ssize_t n;
    do {
        n = read(args->go_read, &go, 1);
    } while (n < 0 && errno == EINTR);
    if (n != 1) child_fail(args->err_write, CS_STAGE_GO, n == 0 ? ECANCELED : errno);
    close(args->go_read);

    if (attr->become_root) {
        // setgid first: after setuid(0) in a user namespace we would still
        // be allowed, but the order matches what every runtime does.
        if (setresgid(0, 0, 0) != 0) child_fail(args->err_write, CS_STAGE_SETGID, errno);
        if (setresuid(0, 0, 0) != 0) child_fail(args->err_write, CS_STAGE_SETUID, errno);
    }
    if (attr->new_session && setsid() < 0) child_fail(args->err_write, CS_STAGE_SETSID, errno);
    if (attr->nfds > 0) {
        int err = child_place_fds(attr, args->err_write);
        if (err != 0) child_fail(args->err_write, CS_STAGE_FDS, err);
    }
    // Nothing but the chosen fds crosses exec: mark every other fd
    // close-on-exec (our error pipe already is, so it still reports).
    int first_free = attr->nfds > 0 ? attr->nfds : 3;
    syscall(SYS_close_range, first_free, ~0U, CLOSE_RANGE_CLOEXEC); // ENOSYS on old kernels: fds leak, no harm

    if (attr->hostname != NULL && sethostname(attr->hostname, strlen(attr->hostname)) != 0)
        child_fail(args->err_write, CS_STAGE_HOSTNAME, errno);
    if (attr->cwd != NULL && chdir(attr->cwd) != 0) child_fail(args->err_write, CS_STAGE_CHDIR, errno);

    execve(attr->path, attr->argv, attr->envp);
    child_fail(args->err_write, CS_STAGE_EXEC, errno);
    return 127;
}

int cs_spawn(const cs_spawn_attr *attr, cs_child *child) {
    int go[2], err[2];
    // Only namespace bits: the low byte of clone(2)'s flags is the exit
    // signal, and CLONE_NEWTIME (0x80) lives there, so clone(2) cannot make a
    // time namespace (clone3 or unshare-then-fork can). Refuse rather than
    // silently give the child a strange exit signal.
    const int namespace_bits = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                               CLONE_NEWNET | CLONE_NEWCGROUP;
    if ((attr->clone_flags & ~namespace_bits) != 0 || attr->nfds < 0 || attr->nfds > CS_SPAWN_MAX_FDS) {
        errno = EINVAL;
        return -1;
    }
    // "go" is a socket pair, not a pipe: if the child has died, send() with
    // MSG_NOSIGNAL fails with EPIPE instead of killing us with SIGPIPE.
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) return -1;
    if (pipe2(err, O_CLOEXEC) != 0) {
        int saved = errno;
        close(go[0]);
        close(go[1]);
        errno = saved;
        return -1;
    }
    // Keep the child's copy of the error pipe above the fds it will place,
    // so placing them never clobbers it.
    int high = fcntl(err[1], F_DUPFD_CLOEXEC, CS_SPAWN_MAX_FDS + 3);
    void *stack = mmap(NULL, CHILD_STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (high < 0 || stack == MAP_FAILED) {
        int saved = errno;
        if (high >= 0) close(high);
        if (stack != MAP_FAILED) munmap(stack, CHILD_STACK_SIZE);
        close(go[0]); close(go[1]); close(err[0]); close(err[1]);
        errno = saved;
        return -1;
    }
    close(err[1]);

    struct child_args args = {.attr = attr, .go_read = go[0], .err_write = high};
    // Block every signal across clone so the child cannot take one before it
    // has reset the handlers it inherited; the child unblocks after the reset.
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &args.parent_mask);
    // Without CLONE_VM the child gets a copy of our memory, so `args` and
    // `attr` stay valid in it; the stack only needs to exist at clone time.
    pid_t pid = clone(child_main, (char *)stack + CHILD_STACK_SIZE, attr->clone_flags | SIGCHLD, &args);
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &args.parent_mask, NULL);
    munmap(stack, CHILD_STACK_SIZE);
    close(go[0]);
    close(high);
    if (pid < 0) {
        close(go[1]);
        close(err[0]);
        errno = saved;
        return -1;
    }
    child->pid = pid;
    child->go_fd = go[1];
    child->err_fd = err[0];
    return 0;
}

int cs_spawn_go(cs_child *child, int *stage, int *err) {
    char go = 1;
    ssize_t n;
    do {
        n = send(child->go_fd, &go, 1, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    int write_errno = errno;
    close(child->go_fd);
    child->go_fd = -1;

    int report[2] = {0, 0};
    size_t got = 0;
    while (got < sizeof report) {
        ssize_t r = read(child->err_fd, (char *)report + got, sizeof report - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(child->err_fd);
    child->err_fd = -1;
    if (got == 0) {
        if (n == 1) return 0; // EOF: the close-on-exec pipe closed in execve
        *stage = CS_STAGE_GO;  // the child died before reading "go"
        *err = write_errno ? write_errno : ECHILD;
        return -1;
    }
    *stage = report[0];
    *err = report[1];
    return -1;
}

void cs_spawn_abort(cs_child *child) {
    if (child->pid > 0) kill(child->pid, SIGKILL);
    if (child->go_fd >= 0) close(child->go_fd);
    if (child->err_fd >= 0) close(child->err_fd);
    child->go_fd = child->err_fd = -1;
    if (child->pid > 0) {
        while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR) {
        }
    }
    child->pid = -1;
}
