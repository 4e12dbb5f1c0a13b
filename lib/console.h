/*
 * Keel's console: every line Keel prints goes through here to the sinks
 * chosen by `console=` (COM1, VGA text, or both). Log lines carry the
 * "keel: " prefix and are filtered by `loglevel=`.
 */
#ifndef KEEL_LIB_CONSOLE_H
#define KEEL_LIB_CONSOLE_H

#include "lib/types.h"

#define CONSOLE_COM1 BIT(0)
#define CONSOLE_VGA  BIT(1)

enum log_level {
	LOG_ERR = 0,
	LOG_WARN = 1,
	LOG_INFO = 2,
	LOG_DEBUG = 3,
};

/* Brings up both sinks (output before the command line is parsed goes to both). */
void console_init(void);
/* Restricts output to the given sinks (CONSOLE_*); returns false if none works. */
bool console_select(unsigned sinks);
void console_set_loglevel(enum log_level level);
bool console_has_com1(void);

void console_write(const char *s, size_t n);
/* Raw formatted output with no prefix and no level. */
void kprintf(const char *fmt, ...) __printf(1, 2);
/* One log line: "keel: " + text; a trailing newline is added if missing. */
void klog(enum log_level level, const char *fmt, ...) __printf(2, 3);

#define pr_err(...)   klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
