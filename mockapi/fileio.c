/* SPDX-License-Identifier: MIT */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum mapi_err
mapi_file_read(const char *path, size_t max_len, char **out_buf,
               size_t *out_len, struct mapi_diag *diag)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int fd = -1;
	enum mapi_err err = MAPI_EIO;

	if (path == NULL || out_buf == NULL) {
		return MAPI_EINVAL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = errno == ENOENT ? MAPI_ENOTFOUND : MAPI_EIO;
		mapi_diag_set(diag, "cannot open %s: %s", path,
		              strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		mapi_diag_set(diag, "%s is not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > max_len) {
		err = MAPI_ETOOLARGE;
		mapi_diag_set(diag, "%s is larger than %zu bytes", path,
		              max_len);
		goto out;
	}
	buf = malloc(max_len + 1);
	if (buf == NULL) {
		err = MAPI_ENOMEM;
		goto out;
	}
	/* Read to EOF rather than trusting st_size: the file may change. */
	for (;;) {
		ssize_t n = read(fd, buf + len, max_len + 1 - len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			mapi_diag_set(diag, "cannot read %s: %s", path,
			              strerror(errno));
			goto out;
		}
		if (n == 0) {
			break;
		}
		len += (size_t)n;
		if (len > max_len) {
			err = MAPI_ETOOLARGE;
			mapi_diag_set(diag, "%s is larger than %zu bytes",
			              path, max_len);
			goto out;
		}
	}
	buf[len] = '\0';
	*out_buf = buf;
	*out_len = len;
	buf = NULL;
	err = MAPI_OK;
out:
	if (buf != NULL) {
		/* It may have held part of a private key. */
		memset(buf, 0, len);
		free(buf);
	}
	if (fd >= 0) {
		(void)close(fd);
	}
	return err;
}

static enum mapi_err
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return MAPI_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return MAPI_OK;
}

/* fsync the directory holding `path`, so the rename itself is durable. */
static enum mapi_err
sync_parent(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;
	enum mapi_err err = MAPI_OK;

	if (slash == NULL) {
		dir = strdup(".");
	} else if (slash == path) {
		dir = strdup("/");
	} else {
		dir = strndup(path, (size_t)(slash - path));
	}
	if (dir == NULL) {
		return MAPI_ENOMEM;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		err = MAPI_EIO;
	}
	if (fd >= 0) {
		(void)close(fd);
	}
	free(dir);
	return err;
}

enum mapi_err
mapi_file_write_atomic(const char *path, const void *data, size_t len,
                       mode_t mode, struct mapi_diag *diag)
{
	static const char suffix[] = ".tmp-XXXXXX";
	char *tmp = NULL;
	size_t n;
	int fd = -1;
	enum mapi_err err = MAPI_EIO;

	if (path == NULL || *path == '\0' || (data == NULL && len > 0)) {
		return MAPI_EINVAL;
	}
	n = strlen(path) + sizeof(suffix);
	tmp = malloc(n);
	if (tmp == NULL) {
		return MAPI_ENOMEM;
	}
	(void)snprintf(tmp, n, "%s%s", path, suffix);
	/* mkstemp creates the file 0600 and O_EXCL: never wider than asked. */
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = errno == ENOENT ? MAPI_ENOTFOUND : MAPI_EIO;
		mapi_diag_set(diag, "cannot create a temporary file for %s: %s",
		              path, strerror(errno));
		free(tmp);
		return err;
	}
	if (fchmod(fd, mode) != 0) {
		mapi_diag_set(diag, "cannot chmod %s: %s", tmp,
		              strerror(errno));
		goto out;
	}
	if (write_all(fd, data, len) != MAPI_OK || fsync(fd) != 0) {
		mapi_diag_set(diag, "cannot write %s: %s", tmp,
		              strerror(errno));
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		mapi_diag_set(diag, "cannot close %s: %s", tmp,
		              strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		mapi_diag_set(diag, "cannot rename %s to %s: %s", tmp, path,
		              strerror(errno));
		goto out;
	}
	free(tmp);
	tmp = NULL;
	err = sync_parent(path);
	if (err != MAPI_OK) {
		mapi_diag_set(diag, "cannot fsync the directory of %s", path);
	}
out:
	if (fd >= 0) {
		(void)close(fd);
	}
	if (tmp != NULL) {
		(void)unlink(tmp);
		free(tmp);
	}
	return err;
}
