// System V semaphores and POSIX message queues: wrappers for calls Swift
// cannot make (see the IPC section of csandbox.h).
#define _GNU_SOURCE
#include "csandbox.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>

int cs_semctl_rmid(int semid) { return semctl(semid, 0, IPC_RMID); }

int cs_mq_create(const char *name) {
    // O_EXCL: a queue of that name that already exists is not ours to reuse.
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    return (int)mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
}

int cs_mq_open_existing(const char *name) { return (int)mq_open(name, O_RDONLY); }

int cs_mq_close(int mqd) { return mq_close((mqd_t)mqd); }

int cs_mq_unlink(const char *name) { return mq_unlink(name); }
