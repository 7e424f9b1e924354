/*
 * churn: makes short-lived processes faster than a .NET spawner can (Process.Start costs ~0.3 ms of the parent's
 * CPU), for the short-lived load scenario. Compiled with gcc when the scenario starts.
 *
 *   churn rate  <exits/s> <seconds> <workers> <spin>   paced: children exit at once (or after <spin> loop rounds)
 *   churn count <children> <workers> <spin>            back to back: <children> in all, each <spin> loop rounds
 *
 * Workers are forked first; each forks its share of children one at a time and reaps each with wait4 before the
 * next, so every child is a direct child of a worker and every exit is waited for. The main process reaps the
 * workers, so its RUSAGE_CHILDREN holds every child's CPU (the kernel's exact runtime, not tick samples).
 * Output, one "key value" a line: exits (children reaped), seconds (wall time of the children's part),
 * children_cpu_us (RUSAGE_CHILDREN of the main process, workers included), workers_cpu_us (the workers' own CPU,
 * from their getrusage(RUSAGE_SELF) at exit: subtract it to get the children's alone), self_cpu_us (the main
 * process's own CPU).
 * With CHURN_FORK set, children are made with fork() instead (copied page tables, torn down at exit).
 * With CHURN_LOG set to a path, each worker also writes "pid cpu_us" per child reaped to <path>.<worker>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct shared { long exits[64]; long self_us[64]; };

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long micros(struct timeval t) { return t.tv_sec * 1000000L + t.tv_usec; }

/* A loop with no system call, so the scheduler's runtime of the child is updated only by ticks and switches, like
 * real work; volatile keeps the compiler from removing it. */
static void spin(long rounds) {
    volatile unsigned long x = 0;
    for (long i = 0; i < rounds; i++) x += (unsigned long)i * 2654435761u;
}

static int child(void *rounds) {
    spin(*(long *)rounds);
    _exit(0);
}

/* The child shares the worker's memory (CLONE_VM, as posix_spawn does) and the worker waits until it has exited
 * (CLONE_VFORK): no page tables are copied at birth or torn down at exit, which on this VM cost ~1 ms and ~3 ms a
 * process with fork(). Every child is still a process of its own: its own pid and thread group, one exit record. */
static pid_t spawn(long *rounds, char *stack, size_t size) {
    if (getenv("CHURN_FORK")) {
        pid_t pid = fork();
        if (pid == 0) child(rounds);
        return pid;
    }
    return clone(child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, rounds);
}

static void worker(int index, long share, double per_second, double seconds, long rounds, struct shared *out) {
    FILE *log = NULL;
    const char *path = getenv("CHURN_LOG");
    if (path) {
        char name[4096];
        snprintf(name, sizeof name, "%s.%d", path, index);
        log = fopen(name, "w");
    }
    size_t stack_size = 64 * 1024;
    char *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) { perror("mmap"); return; }
    double start = now();
    long made = 0;
    for (;;) {
        if (per_second > 0) {
            double elapsed = now() - start;
            if (elapsed >= seconds) break;
            long due = (long)(elapsed * per_second) + 1;
            if (made >= due) {
                struct timespec pause = { 0, 200000 };
                nanosleep(&pause, NULL);
                continue;
            }
        } else if (made >= share) break;
        pid_t pid = spawn(&rounds, stack, stack_size);
        if (pid < 0) {
            if (errno == EAGAIN || errno == ENOMEM) continue;
            perror("clone");
            break;
        }
        struct rusage usage;
        int status;
        while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
        made++;
        if (log) fprintf(log, "%d %ld\n", pid, micros(usage.ru_utime) + micros(usage.ru_stime));
    }
    if (log) fclose(log);
    struct rusage self;
    getrusage(RUSAGE_SELF, &self);
    out->exits[index] = made;
    out->self_us[index] = micros(self.ru_utime) + micros(self.ru_stime);
}

int main(int argc, char **argv) {
    if (argc < 2) goto usage;
    double per_second = 0, seconds = 0;
    long total = 0, rounds = 0;
    int workers;
    if (strcmp(argv[1], "rate") == 0 && argc == 6) {
        per_second = atof(argv[2]);
        seconds = atof(argv[3]);
        workers = atoi(argv[4]);
        rounds = atol(argv[5]);
    } else if (strcmp(argv[1], "count") == 0 && argc == 5) {
        total = atol(argv[2]);
        workers = atoi(argv[3]);
        rounds = atol(argv[4]);
    } else goto usage;
    if (workers < 1 || workers > 64 || (per_second <= 0 && total <= 0)) goto usage;

    struct shared *out = mmap(NULL, sizeof *out, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (out == MAP_FAILED) { perror("mmap"); return 1; }
    memset(out, 0, sizeof *out);
    double start = now();
    for (int i = 0; i < workers; i++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            long share = total / workers + (i < total % workers ? 1 : 0);
            worker(i, share, per_second / workers, seconds, rounds, out);
            _exit(0);
        }
    }
    int status;
    while (wait(&status) > 0 || errno == EINTR) {}
    double elapsed = now() - start;
    long exits = 0, self_us = 0;
    for (int i = 0; i < workers; i++) { exits += out->exits[i]; self_us += out->self_us[i]; }
    struct rusage children, self;
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_SELF, &self);
    printf("exits %ld\nseconds %.3f\nchildren_cpu_us %ld\nworkers_cpu_us %ld\nself_cpu_us %ld\n", exits, elapsed,
           micros(children.ru_utime) + micros(children.ru_stime), self_us, micros(self.ru_utime) + micros(self.ru_stime));
    return 0;
usage:
    fprintf(stderr, "usage: churn rate <exits/s> <seconds> <workers> <spin> | churn count <children> <workers> <spin>\n");
    return 2;
}
