// Temporary files of unfinished atomic writes, removed when the process is interrupted.
#ifndef PARE_CLEANUP_H
#define PARE_CLEANUP_H
#include <stddef.h>

/// mkstemp(3) on a tracked path, removed if SIGINT, SIGTERM, SIGHUP or SIGPIPE ends the process
/// before `pare_forget_temporary`. Installs the handlers on first use, for signals whose
/// disposition is still the default (an ignored SIGHUP under nohup stays ignored).
/// `template_path` ends in XXXXXX; the file is created inside the tracking slot, so an
/// interruption at any moment after the call starts removes it. Writes the created path to
/// `out_path` and the slot (or -1, untracked) to `*slot`. Returns the descriptor or -1 with
/// errno set.
int pare_make_temporary(const char *template_path, char *out_path, size_t out_size, int *slot);

/// Stops tracking a slot returned by `pare_make_temporary` (after the rename or removal).
void pare_forget_temporary(int slot);
#endif
