/* A lab 02 (main part, sb-ns) implementation in C, with deliberate mistakes behind -D flags:
 *   -DNO_OUTPUT          print nothing at all (the PIDs are never looked at), exit 0
 *   -DLSTAT              take the inode from lstat(2): the symlink's own inode, not the namespace's
 *   -DPROCESS_USERNS     report the process's user namespace as every kind's owner: right for the
 *                        others, wrong for the user namespace itself (its owner is its parent)
 *   -DNO_PARENT          never ask NS_GET_PARENT: parent is always null
 *   -DCOMPARE_DEV        compare st_dev instead of st_ino: every namespace lives on nsfs, all "shared"
 *   -DSKIP_MISSING       a PID without /proc/PID is skipped silently: an empty table and status 0
 * Usage: ns [--quiet|--json] PID [PID...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define KINDS 8
#define MAX_PIDS 16
static const char *kinds[KINDS] = {"mnt", "uts", "ipc", "pid", "net", "user", "cgroup", "time"};

/* One namespace as the contract reports it; -1 is null. */
struct ns {
    int present;
    long long inode, userns, parent, owner_uid, dev;
};

/* The inode of the namespace behind an nsfs descriptor the kernel gave us, or -1. */
static long long inode_of_fd(int fd) {
    struct stat st;
    long long inode = fd >= 0 && fstat(fd, &st) == 0 ? (long long)st.st_ino : -1;
    if (fd >= 0) close(fd);
    return inode;
}

static void describe(int pid, int kind, struct ns *out) {
    char path[64];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", pid, kinds[kind]);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    out->present = fd >= 0 && fstat(fd, &st) == 0;
    if (!out->present) {
        if (fd >= 0) close(fd);
        return;
    }
    out->inode = (long long)st.st_ino;
    out->dev = (long long)st.st_dev;
#ifdef LSTAT
    struct stat link;
    if (lstat(path, &link) == 0) out->inode = (long long)link.st_ino;
#endif
    /* The owning user namespace; for a user namespace, that is its parent. */
    out->userns = inode_of_fd(ioctl(fd, NS_GET_USERNS));
#ifdef PROCESS_USERNS
    char user[64];
    snprintf(user, sizeof user, "/proc/%d/ns/user", pid);
    out->userns = inode_of_fd(open(user, O_RDONLY | O_CLOEXEC));
#endif
    /* Only pid and user namespaces nest; the others have no parent. */
    int nests = !strcmp(kinds[kind], "pid") || !strcmp(kinds[kind], "user");
    out->parent = nests ? inode_of_fd(ioctl(fd, NS_GET_PARENT)) : -1;
#ifdef NO_PARENT
    out->parent = -1;
#endif
    uid_t uid;
    out->owner_uid = !strcmp(kinds[kind], "user") && ioctl(fd, NS_GET_OWNER_UID, &uid) == 0 ? (long long)uid : -1;
    close(fd);
}

static void number(const char *key, long long value, const char *after) {
    if (value < 0) printf("\"%s\":null%s", key, after);
    else printf("\"%s\":%lld%s", key, value, after);
}

static int same(const struct ns *a, const struct ns *b) {
#ifdef COMPARE_DEV
    return a->dev == b->dev;
#else
    return a->inode == b->inode;
#endif
}

/* Prints the kinds present everywhere whose namespaces are (shared) or are not (!shared) all the same. */
static void list(struct ns table[][KINDS], int count, int shared) {
    int first = 1;
    for (int k = 0; k < KINDS; k++) {
        int present = 1, equal = 1;
        for (int p = 0; p < count; p++) {
            present &= table[p][k].present;
            if (p > 0) equal &= same(&table[p][k], &table[0][k]);
        }
        if (present && equal == shared) {
            printf("%s\"%s\"", first ? "" : ",", kinds[k]);
            first = 0;
        }
    }
}

static void print_json(const int *pids, struct ns table[][KINDS], int count) {
    printf("{\"processes\":[");
    for (int p = 0; p < count; p++) {
        printf("%s{\"pid\":%d,\"namespaces\":{", p ? "," : "", pids[p]);
        int first = 1;
        for (int k = 0; k < KINDS; k++) {
            if (!table[p][k].present) continue;
            printf("%s\"%s\":{", first ? "" : ",", kinds[k]);
            first = 0;
            number("inode", table[p][k].inode, ",");
            number("userns", table[p][k].userns, ",");
            number("parent", table[p][k].parent, ",");
            number("owner_uid", table[p][k].owner_uid, "}");
        }
        printf("}}");
    }
    printf("],\"shared\":[");
    list(table, count, 1);
    printf("],\"different\":[");
    list(table, count, 0);
    printf("]}\n");
}

static void print_table(const int *pids, struct ns table[][KINDS], int count) {
    printf("%-8s %-7s %-12s %-12s %-12s\n", "PID", "KIND", "INODE", "USERNS", "PARENT");
    for (int p = 0; p < count; p++)
        for (int k = 0; k < KINDS; k++)
            if (table[p][k].present)
                printf("%-8d %-7s %-12lld %-12lld %-12lld\n", pids[p], kinds[k], table[p][k].inode,
                       table[p][k].userns, table[p][k].parent);
}

int main(int argc, char **argv) {
    int json = 0, pids[MAX_PIDS], count = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) json = 1;
        else if (!strcmp(argv[i], "--quiet")) continue;
        else if (atoi(argv[i]) > 0 && count < MAX_PIDS) pids[count++] = atoi(argv[i]);
        else { fprintf(stderr, "ns: bad argument %s\n", argv[i]); return 64; }
    }
    if (count == 0) { fprintf(stderr, "usage: ns [--quiet|--json] PID [PID...]\n"); return 64; }
#ifdef NO_OUTPUT
    return 0;
#endif
    static struct ns table[MAX_PIDS][KINDS];
    int kept = 0;
    for (int p = 0; p < count; p++) {
        char proc[32];
        snprintf(proc, sizeof proc, "/proc/%d", pids[p]);
        if (access(proc, F_OK) != 0) {
#ifdef SKIP_MISSING
            continue;
#endif
            fprintf(stderr, "ns: %s: %s\n", proc, strerror(errno));
            return 1;
        }
        for (int k = 0; k < KINDS; k++) describe(pids[p], k, &table[kept][k]);
        pids[kept++] = pids[p];
    }
    if (json) print_json(pids, table, kept);
    else print_table(pids, table, kept);
    return 0;
}
