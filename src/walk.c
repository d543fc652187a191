/* walk.c - directory walk in name order; see walk.h. */
#include "walk.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "diag.h"

struct walk {
	th_walk_fn fn;
	void *ctx;
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static void visit_dir(const struct walk *w, const char *dir);

/* One name found in a directory: a subdirectory is walked, a regular file
 * (or a link to one) handed on; links to directories, devices, pipes and
 * sockets are passed over. */
static void visit_entry(const struct walk *w, const char *path)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		w->fn(w->ctx, path, NULL); /* reading it says why it cannot */
	else if (S_ISDIR(st.st_mode))
		visit_dir(w, path);
	else if (S_ISLNK(st.st_mode) && stat(path, &st) != 0)
		w->fn(w->ctx, path, NULL); /* a dangling link: say so */
	else if (S_ISREG(st.st_mode))
		w->fn(w->ctx, path, NULL);
}

/* Visits a directory's files and subdirectories in name order. */
static void visit_dir(const struct walk *w, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_hidden, by_name);
	if (n < 0) {
		w->fn(w->ctx, dir, strerror(errno));
		return;
	}
	bool slash = dir[strlen(dir) - 1] == '/';
	for (int i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]->d_name) + 2;
		char *path = xmalloc(len);
		snprintf(path, len, "%s%s%s", dir, slash ? "" : "/",
			 names[i]->d_name);
		visit_entry(w, path);
		free(path);
		free(names[i]);
	}
	free(names);
}

void walk_path(const char *path, th_walk_fn fn, void *ctx)
{
	struct walk w = {fn, ctx};
	struct stat st;
	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 &&
	    S_ISDIR(st.st_mode))
		visit_dir(&w, path);
	else
		fn(ctx, path, NULL);
}
