/*
 * The floor under `./smpcluster bench portal`: the same ping-pong as the portal benchmark,
 * between two processes pinned to CPUs 0 and 1, in C with raw futex(2) on a shared mapping and
 * nothing else. What the machine itself charges for waking a sleeping thread on another CPU;
 * the Java portal's futex figures are read against it.
 *
 * Usage: futex_floor SAMPLES WARMUP   (prints one-way latencies in ns, one per line)
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static void pin(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
        perror("sched_setaffinity");
        exit(2);
    }
}

static void await_change(int *word, int seen) {
    while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == seen) {
        syscall(SYS_futex, word, FUTEX_WAIT, seen, NULL, NULL, 0);
    }
}

static void bump_and_wake(int *word) {
    __atomic_fetch_add(word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: %s SAMPLES WARMUP\n", argv[0]);
        return 2;
    }
    int samples = atoi(argv[1]), warmup = atoi(argv[2]), total = samples + warmup;
    long *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *ping = (int *) &shared[0], *pong = (int *) &shared[16];
    volatile long *sent = &shared[32], *stamped = &shared[48];
    pid_t child = fork();
    if (child == 0) {
        pin(1);
        for (int i = 0; i < total; i++) {
            await_change(ping, i);
            *stamped = now();
            bump_and_wake(pong);
        }
        return 0;
    }
    pin(0);
    long *one_way = malloc(sizeof(long) * samples);
    for (int i = 0; i < total; i++) {
        *sent = now();
        bump_and_wake(ping);
        await_change(pong, i);
        if (i >= warmup) {
            one_way[i - warmup] = *stamped - *sent;
        }
    }
    waitpid(child, NULL, 0);
    for (int i = 0; i < samples; i++) {
        printf("%ld\n", one_way[i]);
    }
    return 0;
}
