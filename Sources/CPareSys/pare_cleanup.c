#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "pare_cleanup.h"

// Fixed storage: a signal handler may only touch memory that cannot move or be freed under it,
// and may only call async-signal-safe functions (unlink, sigaction, raise).
#define SLOTS 32
#define PATH_BYTES 4096
enum { FREE = 0, CLAIMED = 1, READY = 2 };
static char paths[SLOTS][PATH_BYTES];
static int states[SLOTS];
static int installed;

static void remove_temporaries(int sig) {
    for (int i = 0; i < SLOTS; i++) {
        if (__atomic_load_n(&states[i], __ATOMIC_ACQUIRE) == READY) unlink(paths[i]);
    }
    // End the way the signal would have ended the process, so the shell sees it.
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    raise(sig);
}

static void install(void) {
    int expected = 0;
    if (!__atomic_compare_exchange_n(&installed, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return;
    // SIGPIPE: a reader of a pipe destination that goes away mid-write (npz then has a temporary
    // file in /tmp to remove).
    const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) {
        struct sigaction old;
        if (sigaction(signals[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL) continue;
        struct sigaction act;
        memset(&act, 0, sizeof act);
        act.sa_handler = remove_temporaries;
        sigemptyset(&act.sa_mask);
        sigaction(signals[i], &act, NULL);
    }
}

void pare_forget_temporary(int slot) {
    if (slot >= 0 && slot < SLOTS) __atomic_store_n(&states[slot], FREE, __ATOMIC_RELEASE);
}

int pare_make_temporary(const char *template_path, char *out_path, size_t out_size, int *slot) {
    size_t n = strlen(template_path);
    if (n >= out_size) { errno = ENAMETOOLONG; return -1; }
    install();
    *slot = -1;
    for (int i = 0; i < SLOTS && n < PATH_BYTES; i++) {
        int expected = FREE;
        if (!__atomic_compare_exchange_n(&states[i], &expected, CLAIMED, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) continue;
        memcpy(paths[i], template_path, n + 1);
        // READY before the file exists: mkstemp fills in the name in place and then creates it,
        // so from here on the handler removes whatever name the file gets (an unlink of a name
        // not yet created fails harmlessly).
        __atomic_store_n(&states[i], READY, __ATOMIC_RELEASE);
        int fd = mkstemp(paths[i]);
        if (fd < 0) { int e = errno; __atomic_store_n(&states[i], FREE, __ATOMIC_RELEASE); errno = e; return -1; }
        memcpy(out_path, paths[i], n + 1);
        *slot = i;
        return fd;
    }
    // Every slot in use (or a path too long to keep): create the file untracked.
    memcpy(out_path, template_path, n + 1);
    return mkstemp(out_path);
}
