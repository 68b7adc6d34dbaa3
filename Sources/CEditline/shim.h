#ifndef PPL_CEDITLINE_SHIM_H
#define PPL_CEDITLINE_SHIM_H

// libedit's readline-compatible interface (the `libedit-dev` package). Not
// <readline/readline.h>, which is GNU readline.
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <editline/readline.h>

// Swift 6 rejects direct access to C globals, so each one the REPL touches has a setter.

static inline void ppl_rl_configure(void) {
    rl_readline_name = "ppl";
    // Prompts and the line being edited go to stderr, so results on stdout can be piped.
    rl_outstream = stderr;
    // The REPL handles SIGINT itself (see ppl_catch_sigint).
    rl_catch_signals = 0;
    // Words for completion: names, numbers and paths ('/', '.', '-' and ':' do not break).
    rl_basic_word_break_characters = " \t\n\"'`@$><=;|&{}()[],~+*^!?";
}

static inline void ppl_rl_set_completer(rl_completion_func_t *completer) {
    rl_attempted_completion_function = completer;
}

/// Set inside the completer: no fallback to file names when it offers nothing.
static inline void ppl_rl_completion_over(void) {
    rl_attempted_completion_over = 1;
}

/// The character appended after a unique completion (a space; none after a directory).
static inline void ppl_rl_completion_append(int c) {
    rl_completion_append_character = c;
}

static inline const char *ppl_rl_line_buffer(void) {
    return rl_line_buffer;
}

/// SIGINT sets a flag and interrupts a blocked read (no SA_RESTART), so readline returns
/// at the prompt and a fit stops at its next step.
static inline int ppl_catch_sigint(void (*handler)(int)) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;
    return sigaction(SIGINT, &action, NULL);
}

/// Flushes standard output; whether any write to it failed since ppl started.
static inline int ppl_stdout_failed(void) {
    return fflush(stdout) != 0 || ferror(stdout);
}

/// Writes to standard output through the buffer `print` uses, flushed at once.
static inline void ppl_stdout_write(const char *text) {
    fputs(text, stdout);
    fflush(stdout);
}

#endif
