/* The server process's own figures, as Prometheus' process collector names
 * them (process_cpu_seconds_total and the rest), read from /proc/self. */
#ifndef LULL_SERVER_PROCESS_H
#define LULL_SERVER_PROCESS_H

#include <stdint.h>

typedef struct lull__process {
  double cpu_seconds;        /* user + system time of every thread, since the start */
  double start_time_seconds; /* when the process started, Unix time */
  uint64_t resident_bytes;   /* resident set size */
  uint64_t virtual_bytes;    /* virtual memory size */
  int64_t open_fds;          /* descriptors open now; -1: unknown */
  int64_t max_fds;           /* RLIMIT_NOFILE's soft limit; -1: unknown or unlimited */
} lull__process;

/* The figures of one /proc/PID/stat line (the command in parentheses may
 * hold spaces and parentheses itself): cpu, start time, resident and
 * virtual sizes, given the clock ticks per second, the page size and the
 * boot time (Unix seconds, /proc/stat's btime). 0, or -1 when the line is
 * not one. Thread-safe; allocates nothing. */
int lull__process_parse_stat(const char *line, long ticks_per_s, long page_bytes, uint64_t boot_time_s, lull__process *out);
/* This process's figures now: 0, or -1 when /proc/self cannot be read (then
 * out holds what could be). Opens and closes a few /proc files; a network
 * thread's, at a scrape. */
int lull__process_read(lull__process *out);

#endif
