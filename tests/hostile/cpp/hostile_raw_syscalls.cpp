// expect: correct
// calls the denied system calls directly (syscall(2), and the 32-bit and x32 entry points on x86-64);
// prints the right sum only if each was refused with EPERM (ENOSYS for an entry point the kernel lacks;
// gVisor, which has no 32-bit entry point at all, answers int 0x80 with EINVAL)
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

static int breaches = 0;

static bool under_gvisor() {
    struct utsname name;
    return uname(&name) == 0 && strcmp(name.version, "#1 SMP Sun Jan 10 15:06:54 PST 2016") == 0;
}

static void expect_eperm(const char *what, long result, bool enosys_ok = false, bool einval_ok = false) {
    int error = errno;
    if (result != -1 || !(error == EPERM || (enosys_ok && error == ENOSYS) || (einval_ok && error == EINVAL))) {
        fprintf(stderr, "BREACH: %s returned %ld (errno %d)\n", what, result, error);
        ++breaches;
    }
}

int main() {
    long long n, x, total = 0;
    scanf("%lld", &n);
    while (n-- > 0 && scanf("%lld", &x) == 1) total += x;

    expect_eperm("ptrace", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0));
    expect_eperm("process_vm_readv", syscall(SYS_process_vm_readv, 1, 0, 0, 0, 0, 0));
    expect_eperm("process_vm_writev", syscall(SYS_process_vm_writev, 1, 0, 0, 0, 0, 0));
    expect_eperm("perf_event_open", syscall(SYS_perf_event_open, 0, 0, -1, -1, 0));
    expect_eperm("bpf", syscall(SYS_bpf, 0, 0, 0));
    expect_eperm("userfaultfd", syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */));
    expect_eperm("keyctl", syscall(SYS_keyctl, 0, 0, 0, 0, 0));
    expect_eperm("add_key", syscall(SYS_add_key, "user", "k", "v", 1, -2));
    expect_eperm("request_key", syscall(SYS_request_key, "user", "k", 0, 0));
    expect_eperm("unshare(CLONE_NEWUSER)", syscall(SYS_unshare, CLONE_NEWUSER));
    expect_eperm("setns", syscall(SYS_setns, 0, 0));
    expect_eperm("mount", syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, 0));
    expect_eperm("kexec_load", syscall(SYS_kexec_load, 0, 0, 0, 0));
    expect_eperm("open_by_handle_at", syscall(SYS_open_by_handle_at, 0, 0, 0));
    expect_eperm("io_uring_setup", syscall(SYS_io_uring_setup, 1, 0));
    expect_eperm("clone(CLONE_NEWUSER)", syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0));
#if defined(__x86_64__)
    long result;
    asm volatile("int $0x80" : "=a"(result) : "a"(26 /* i386 ptrace */), "b"(16), "c"(1), "d"(0) : "memory");
    errno = result < 0 ? static_cast<int>(-result) : 0;
    expect_eperm("i386 ptrace through int 0x80", result < 0 ? -1 : result, true, under_gvisor());
    expect_eperm("x32 ptrace", syscall(0x40000000 | 521 /* x32 ptrace */, 16, 1, 0, 0), true);
#endif
    printf("%lld\n", total + breaches);
}
