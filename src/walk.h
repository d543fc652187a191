/* walk.h - the files a path names: a file itself, or every file under a
 * directory, in name order.
 *
 * Owns:        nothing after walk_path returns.
 * Borrows:     the path and the callback's context (during the call).
 * Errors:      a directory that cannot be listed is handed to the callback
 *              with the reason; the walk goes on with the rest.
 *
 * Hidden names (starting with ".") are skipped and symbolic links to
 * directories are not followed (as ripgrep does), so a link cycle cannot
 * trap the walk; devices, pipes and sockets found in a directory are
 * passed over.
 */
#ifndef TH_WALK_H
#define TH_WALK_H

/* Called with each file to read (PATH, WHY NULL; a name that cannot be
 * examined is passed on too, so that reading it says why), or with a
 * directory that cannot be listed (WHY says why). PATH is valid during
 * the call. */
typedef void (*th_walk_fn)(void *ctx, const char *path, const char *why);

/* Calls FN for PATH ("-" stands for stdin and is passed on as it is) or,
 * when PATH is a directory, for what is under it. */
void walk_path(const char *path, th_walk_fn fn, void *ctx);

#endif
