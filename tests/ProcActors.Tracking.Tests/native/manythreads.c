/* Starts N threads with the smallest stacks the C library allows, each blocked reading a pipe nobody writes, prints
 * how many started, and exits (taking every thread with it) when its standard input closes. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int never[2];

static void *idle(void *unused)
{
    char c;
    (void)unused;
    while (read(never[0], &c, 1) < 0) {
    }
    return NULL;
}

int main(int argc, char **argv)
{
    long wanted = argc > 1 ? atol(argv[1]) : 1000, started = 0;
    pthread_attr_t attr;
    char c;
    if (pipe(never) != 0) return 1;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN > 16384 ? PTHREAD_STACK_MIN : 16384);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (; started < wanted; started++) {
        pthread_t thread;
        if (pthread_create(&thread, &attr, idle, NULL) != 0) break;
    }
    printf("%ld\n", started);
    fflush(stdout);
    while (read(0, &c, 1) > 0) {
    }
    return 0;
}
