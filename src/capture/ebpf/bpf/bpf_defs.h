/* Minimal BPF definitions: helper prototypes by their stable ABI numbers, map-definition
 * macros and constants. Written out here instead of including libbpf's headers so the
 * object builds from this directory alone and the build is reproducible byte for byte
 * with one pinned clang (the committed object is checked against a rebuild in CI). */
#ifndef PROVSCOPE_BPF_DEFS_H
#define PROVSCOPE_BPF_DEFS_H

struct task_struct;

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;
typedef signed char __s8;
typedef short __s16;
typedef int __s32;
typedef long long __s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 dev_t;
typedef __u16 umode_t;

#define SEC(name) __attribute__((section(name), used))
#define __always_inline inline __attribute__((always_inline))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

/* Map types and flags (include/uapi/linux/bpf.h). */
#define BPF_MAP_TYPE_HASH 1
#define BPF_MAP_TYPE_ARRAY 2
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define BPF_MAP_TYPE_LRU_HASH 9
#define BPF_MAP_TYPE_RINGBUF 27
#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_RB_NO_WAKEUP 1
#define BPF_RB_FORCE_WAKEUP 2
#define BPF_RB_AVAIL_DATA 0

/* File types (i_mode) and socket families, from the kernel's uapi headers. */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10
#define EINPROGRESS 115

/* Helpers, by number. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
                                   __u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static __u64 (*bpf_get_current_uid_gid)(void) = (void *)15;
static __u64 (*bpf_get_current_task)(void) = (void *)35;
static __u64 (*bpf_get_current_cgroup_id)(void) = (void *)80;
static long (*bpf_probe_read_user)(void *dst, __u32 size, const void *src) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, __u32 size, const void *src) = (void *)114;
static long (*bpf_probe_read_kernel_str)(void *dst, __u32 size,
                                         const void *src) = (void *)115;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, __u64 size,
                                  __u64 flags) = (void *)130;
static __u64 (*bpf_ringbuf_query)(void *ringbuf, __u64 flags) = (void *)134;
/* Calls `fn(i, ctx)` for i below `n` until it returns 1: verified once, not per pass. */
static long (*bpf_loop)(__u32 n, void *fn, void *ctx, __u64 flags) = (void *)181;
/* The current task as a BTF pointer: its fields are then read with plain loads. */
static struct task_struct *(*bpf_get_current_task_btf)(void) = (void *)158;

/* CO-RE: 1 when the running kernel's BTF has this type, 0 when not (relocated at load,
 * so the verifier drops the branch that needs it). */
#define TYPE_EXISTS(type) __builtin_preserve_type_info(*(type *)0, 0)

/* CO-RE read: the field offset is relocated against the running kernel's BTF at load. */
#define CORE_READ(dst, src) \
    bpf_probe_read_kernel(&(dst), sizeof(dst), __builtin_preserve_access_index(&(src)))

/* CO-RE read of bitfield `field` of `*s`: where its bytes are, how many, and the shifts
 * that leave the field's value are all relocated against the running kernel's BTF
 * (little-endian: the bytes read land in the low end of `val`). */
#define PS_FIELD_BYTE_OFFSET 0
#define PS_FIELD_BYTE_SIZE 1
#define PS_FIELD_LSHIFT_U64 4
#define PS_FIELD_RSHIFT_U64 5
#define CORE_READ_BITFIELD(s, field)                                                       \
    ({                                                                                     \
        unsigned long long val = 0;                                                        \
        unsigned int off = __builtin_preserve_field_info((s)->field, PS_FIELD_BYTE_OFFSET); \
        unsigned int size = __builtin_preserve_field_info((s)->field, PS_FIELD_BYTE_SIZE); \
        bpf_probe_read_kernel(&val, size, (const char *)(s) + off);                        \
        val <<= __builtin_preserve_field_info((s)->field, PS_FIELD_LSHIFT_U64);            \
        val >>= __builtin_preserve_field_info((s)->field, PS_FIELD_RSHIFT_U64);            \
        val;                                                                               \
    })

#endif
