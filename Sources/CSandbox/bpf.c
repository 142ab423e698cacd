// bpf(2) for the cgroup v2 device controller: load a BPF_PROG_TYPE_CGROUP_DEVICE
// program, attach it to a cgroup directory, detach it, list what is attached.
// Why C (see the "Cgroup device programs" section of csandbox.h):
//  - bpf(2) has no glibc wrapper, only a syscall number;
//  - its argument is `union bpf_attr`, a union of anonymous structs whose
//    layout Swift would import as opaque or with renamed members;
//  - struct bpf_insn packs two 4-bit register numbers into bitfields, and the
//    opcode parts (BPF_LDX, BPF_JNE, ...) are macros from <linux/bpf.h>.
// The program itself (which instructions, for which rules) is built in Swift,
// in SandboxCgroups/DeviceFilter.swift: no logic lives here.
#define _GNU_SOURCE
#include "csandbox.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

// Our instruction type must be the kernel's, byte for byte.
_Static_assert(sizeof(cs_bpf_insn) == sizeof(struct bpf_insn), "cs_bpf_insn must match struct bpf_insn");
_Static_assert(offsetof(cs_bpf_insn, off) == offsetof(struct bpf_insn, off), "off offset");
_Static_assert(offsetof(cs_bpf_insn, imm) == offsetof(struct bpf_insn, imm), "imm offset");

// Opcode parts (<linux/bpf.h>, <linux/bpf_common.h>).
const uint8_t CS_BPF_LDX = BPF_LDX;
const uint8_t CS_BPF_MEM = BPF_MEM;
const uint8_t CS_BPF_W = BPF_W;
const uint8_t CS_BPF_ALU64 = BPF_ALU64;
const uint8_t CS_BPF_JMP = BPF_JMP;
const uint8_t CS_BPF_K = BPF_K;
const uint8_t CS_BPF_X = BPF_X;
const uint8_t CS_BPF_MOV = BPF_MOV;
const uint8_t CS_BPF_AND = BPF_AND;
const uint8_t CS_BPF_RSH = BPF_RSH;
const uint8_t CS_BPF_JEQ = BPF_JEQ;
const uint8_t CS_BPF_JNE = BPF_JNE;
const uint8_t CS_BPF_EXIT = BPF_EXIT;

// struct bpf_cgroup_dev_ctx and its flag values.
const int32_t CS_BPF_DEVCG_DEV_BLOCK = BPF_DEVCG_DEV_BLOCK;
const int32_t CS_BPF_DEVCG_DEV_CHAR = BPF_DEVCG_DEV_CHAR;
const int32_t CS_BPF_DEVCG_ACC_MKNOD = BPF_DEVCG_ACC_MKNOD;
const int32_t CS_BPF_DEVCG_ACC_READ = BPF_DEVCG_ACC_READ;
const int32_t CS_BPF_DEVCG_ACC_WRITE = BPF_DEVCG_ACC_WRITE;
const int16_t CS_BPF_DEVCG_CTX_ACCESS_TYPE = offsetof(struct bpf_cgroup_dev_ctx, access_type);
const int16_t CS_BPF_DEVCG_CTX_MAJOR = offsetof(struct bpf_cgroup_dev_ctx, major);
const int16_t CS_BPF_DEVCG_CTX_MINOR = offsetof(struct bpf_cgroup_dev_ctx, minor);
const uint32_t CS_BPF_F_ALLOW_MULTI = BPF_F_ALLOW_MULTI;

static int sys_bpf(int cmd, union bpf_attr *attr) {
    return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

int cs_bpf_load_device_program(const cs_bpf_insn *insns, uint32_t count, const char *license,
                               char *log, uint32_t log_size, uint32_t log_level) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));  // the kernel rejects non-zero bytes past the fields it knows
    attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    attr.insns = (uint64_t)(uintptr_t)insns;
    attr.insn_cnt = count;
    attr.license = (uint64_t)(uintptr_t)license;
    if (log != NULL && log_size > 0) {
        log[0] = '\0';
        attr.log_buf = (uint64_t)(uintptr_t)log;
        attr.log_size = log_size;
        attr.log_level = log_level;
    }
    return sys_bpf(BPF_PROG_LOAD, &attr);
}

int cs_bpf_attach_device_program(int prog_fd, int cgroup_fd, uint32_t flags) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = flags;
    return sys_bpf(BPF_PROG_ATTACH, &attr);
}

int cs_bpf_detach_device_program(int prog_fd, int cgroup_fd) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.target_fd = (uint32_t)cgroup_fd;
    attr.attach_bpf_fd = (uint32_t)prog_fd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    return sys_bpf(BPF_PROG_DETACH, &attr);
}

int cs_bpf_query_device_programs(int cgroup_fd, uint32_t *ids, uint32_t capacity, uint32_t *count) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.query.target_fd = (uint32_t)cgroup_fd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
    attr.query.prog_cnt = capacity;
    int result = sys_bpf(BPF_PROG_QUERY, &attr);
    // On ENOSPC the kernel still reports how many there are.
    if (result == 0 || errno == ENOSPC) *count = attr.query.prog_cnt;
    return result;
}
