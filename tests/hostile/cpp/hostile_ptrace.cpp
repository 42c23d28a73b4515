// expect: correct
// tries to trace or read pid 1, the harness's runner and signer, and a sibling; prints the right sum
// only if every attempt was refused (any success prints a wrong one), so "correct" proves the refusal.
// /proc/PID/mem is tried on the processes outside the program's own tree (they are non-dumpable).
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int breaches = 0;

static void expect_refused(const char *what, long result) {
    if (result != -1) {
        fprintf(stderr, "BREACH: %s succeeded\n", what);
        ++breaches;
    }
}

static pid_t parent_of(pid_t pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *stat = fopen(path, "r");
    int ppid = -1;
    if (stat != nullptr) {
        fscanf(stat, "%*d (%*[^)]) %*c %d", &ppid);
        fclose(stat);
    }
    return ppid;
}

static void attack(pid_t target, const char *name, bool outside_own_tree) {
    char what[128], path[64];
    snprintf(what, sizeof what, "PTRACE_ATTACH %s", name);
    expect_refused(what, ptrace(PTRACE_ATTACH, target, nullptr, nullptr));
    snprintf(what, sizeof what, "PTRACE_SEIZE %s", name);
    expect_refused(what, ptrace(PTRACE_SEIZE, target, nullptr, nullptr));
    char buffer[16];
    struct iovec local = {buffer, sizeof buffer}, remote = {reinterpret_cast<void *>(0x400000), sizeof buffer};
    snprintf(what, sizeof what, "process_vm_readv %s", name);
    expect_refused(what, process_vm_readv(target, &local, 1, &remote, 1, 0));
    if (!outside_own_tree) return;
    snprintf(path, sizeof path, "/proc/%d/mem", target);
    snprintf(what, sizeof what, "open %s", path);
    int fd = open(path, O_RDWR);
    expect_refused(what, fd);
    if (fd >= 0) close(fd);
}

int main() {
    long long n, x, total = 0;
    scanf("%lld", &n);
    while (n-- > 0 && scanf("%lld", &x) == 1) total += x;

    pid_t runner = getppid();
    attack(1, "pid 1", true);
    attack(runner, "the harness runner", true);
    attack(parent_of(runner), "the harness signer", true);

    pid_t sibling = fork();
    if (sibling == 0) {
        pause();
        _exit(0);
    }
    pid_t tracer = fork();
    if (tracer == 0) {
        breaches = 0;
        attack(sibling, "a sibling", false);
        _exit(breaches == 0 ? 0 : 1);
    }
    int status = 0;
    waitpid(tracer, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++breaches;
    kill(sibling, SIGKILL);
    waitpid(sibling, nullptr, 0);

    expect_refused("PTRACE_TRACEME", ptrace(PTRACE_TRACEME, 0, nullptr, nullptr));
    printf("%lld\n", total + breaches);
}
