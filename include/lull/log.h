/* Logging, one way for everything in lull that logs (the server, an Icecast
 * output): a callback that takes each finished line and its level. NULL in
 * a config means the default, lull_log_stderr. Nothing on the render path
 * logs. */
#ifndef LULL_LOG_H
#define LULL_LOG_H

#ifdef __cplusplus
extern "C" {
#endif

/* Levels, most severe first: a config's log_level keeps lines at or above it. */
enum { LULL_LOG_ERROR = 0, LULL_LOG_WARN, LULL_LOG_INFO, LULL_LOG_DEBUG };

/* Called from whichever thread logs (network threads, an Icecast output's
 * thread), possibly from several at once; message is a line without its
 * newline, valid only during the call. */
typedef void (*lull_log_fn)(void *user, int level, const char *message);

/* The default: "2026-11-30T14:23:05.123Z info  message\n" on stderr, in one
 * write, so lines from threads never interleave. Under systemd, when stderr
 * is the journal's stream (lull_log_to_journal), "<6>message\n" instead:
 * the journal stamps each line itself and takes the level from the prefix
 * (sd-daemon(3): 3 error, 4 warn, 6 info, 7 debug). Any thread; user unused. */
void lull_log_stderr(void *user, int level, const char *message);

/* For log shippers: one JSON object a line on stderr, in one write,
 * {"time":"2026-11-30T14:23:05.123Z","level":"info","message":"..."}, the
 * message escaped (quotes, backslashes, control characters) and cut at 4 KiB.
 * Any thread; user unused. */
void lull_log_json(void *user, int level, const char *message);

/* Whether stderr is the systemd journal's stream (JOURNAL_STREAM names it). */
int lull_log_to_journal(void);

/* "error", "warn", "info", "debug"; "?" for anything else. */
const char *lull_log_level_name(int level);

#ifdef __cplusplus
}
#endif
#endif
