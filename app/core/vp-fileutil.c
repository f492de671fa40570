/* Whole-file reading with a size limit, and writing that never leaves a
 * half-written file behind: every saver and loader in the core uses these. */
#include "vp-fileutil.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vp-intl-private.h"

/* The name of the file in path, without its folder. */
static const char *path_basename(const char *path)
{
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

/* ======================================================================
 * Files: atomic writing, bounded reading
 * ====================================================================== */

/* The folder part of path as written, "." for a bare name. */
static char *path_folder(const char *path)
{
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *dir = malloc(n + 1);
  if (dir) {
    memcpy(dir, path, n);
    dir[n] = '\0';
  }
  return dir;
}

/* "<folder>/.<name>.XXXXXX": hidden, and in the same folder so that rename()
 * is atomic. The name part is shortened so the result stays a legal name. */
static char *temp_template(const char *path, const char *folder)
{
  const char *base = path_basename(path);
  int base_len = (int)(strlen(base) > 200 ? 200 : strlen(base));
  size_t n = strlen(folder) + (size_t)base_len + 16;
  char *tmpl = malloc(n);
  if (tmpl)
    snprintf(tmpl, n, "%s/.%.*s.XXXXXX", folder, base_len, base);
  return tmpl;
}

/* The umask, read without changing it: umask(2) can only be read by setting
 * it, which would race with other threads creating files. */
static mode_t process_umask(void)
{
  unsigned mask = 077; /* when unknown, keep the file private */
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return (mode_t)mask;
  char line[256];
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Umask: %o", &mask) == 1)
      break;
  fclose(f);
  return (mode_t)(mask & 0777);
}

/* mkstemp creates files readable by the owner only; give the file what a
 * plain open() would, or the permissions of the file it replaces. Failure is
 * not fatal: some file systems (FAT on a USB stick) have no permissions. */
static void copy_permissions(int fd, const char *path)
{
  struct stat st;
  mode_t mode = stat(path, &st) == 0 ? (st.st_mode & 07777) : (0666 & ~process_umask());
  (void)fchmod(fd, mode);
}

static bool write_all(int fd, const void *data, size_t size)
{
  const char *p = data;
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      if (n == 0)
        errno = EIO;
      return false;
    }
    p += n;
    size -= (size_t)n;
  }
  return true;
}

/* Makes the rename itself durable. Best effort: by now the new file is in
 * place, and some file systems cannot sync a folder. */
static void sync_folder(const char *folder)
{
  int fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  (void)fsync(fd);
  close(fd);
}

static bool save_error(VpError *err, const char *path, const char *folder, int error_number)
{
  if (error_number == ENOENT)
    return vp_error_set(err, VP_ERR_IO, _("could not save %s: the folder %s does not exist"), path,
                        folder);
  if (error_number == ENOTDIR)
    return vp_error_set(err, VP_ERR_IO, _("could not save %s: %s is not a folder"), path, folder);
  if (error_number == EISDIR)
    return vp_error_set(err, VP_ERR_IO, _("could not save %s: a folder of that name is in the way"),
                        path);
  return vp_error_set(err, VP_ERR_IO, _("could not save %s: %s"), path, strerror(error_number));
}

/* Everything between mkstemp and rename; errno tells why it failed. */
static bool write_temp_and_rename(int fd, const char *tmp, const char *path, const void *data,
                                  size_t size)
{
  copy_permissions(fd, path);
  bool ok = write_all(fd, data, size) && fsync(fd) == 0;
  int saved = errno;
  if (close(fd) != 0 && ok) /* NFS reports some write errors only here */
    return false;
  errno = saved;
  return ok && rename(tmp, path) == 0;
}

bool vp_file_write_atomic(const char *path, const void *data, size_t size, VpError *err)
{
  if (!path || !*path || path[strlen(path) - 1] == '/')
    return vp_error_set(err, VP_ERR_INVALID, _("could not save: \"%s\" is not a file name"),
                        path ? path : "");
  char *folder = path_folder(path);
  char *tmp = folder ? temp_template(path, folder) : NULL;
  if (!tmp) {
    free(folder);
    return vp_error_set(err, VP_ERR_NOMEM, _("could not save %s: out of memory"), path);
  }
  bool ok = false;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    save_error(err, path, folder, errno);
  } else if (!write_temp_and_rename(fd, tmp, path, data, size)) {
    save_error(err, path, folder, errno);
    unlink(tmp);
  } else {
    sync_folder(folder);
    ok = true;
  }
  free(tmp);
  free(folder);
  return ok;
}

static bool read_error(VpError *err, int error_number)
{
  if (error_number == ENOENT || error_number == ENOTDIR)
    return vp_error_set(err, VP_ERR_IO, _("the file does not exist"));
  if (error_number == EISDIR)
    return vp_error_set(err, VP_ERR_IO, _("this is a folder, not a file"));
  return vp_error_set(err, VP_ERR_IO, _("could not read the file: %s"), strerror(error_number));
}

/* "1,234 bytes" for small sizes, "64.0 MiB" for large ones. */
static const char *size_text(double bytes, char buf[48])
{
  const double mib = 1024.0 * 1024.0;
  char count[32];
  if (bytes >= mib)
    snprintf(buf, 48, _("%.1f MiB"), bytes / mib);
  else
    snprintf(buf, 48, _("%s bytes"), vp_format_count((unsigned long long)bytes, count));
  return buf;
}

static bool limit_error(VpError *err, double bytes, size_t max_bytes)
{
  char have[48], limit[48];
  return vp_error_set(err, VP_ERR_LIMIT, _("the file is %s, more than the limit of %s"),
                      size_text(bytes, have), size_text((double)max_bytes, limit));
}

/* Doubles *capacity up to max_bytes + 1, the size that proves a file too large. */
static bool buffer_grow(char **buf, size_t *capacity, size_t max_bytes)
{
  size_t wanted = *capacity > max_bytes / 2 ? max_bytes + 1 : *capacity * 2;
  char *bigger = realloc(*buf, wanted + 1);
  if (!bigger)
    return false;
  *buf = bigger;
  *capacity = wanted;
  return true;
}

/* Reads fd to its end, giving up once more than max_bytes have come; the size
 * hint only saves reallocations (files can grow while being read). */
static char *read_fd(int fd, size_t size_hint, size_t max_bytes, size_t *size)
{
  size_t capacity = size_hint < 4096 ? 4096 : size_hint;
  if (capacity > max_bytes)
    capacity = max_bytes + 1;
  char *buf = malloc(capacity + 1);
  size_t used = 0;
  ssize_t n = 1;
  while (buf && used <= max_bytes) {
    if (used == capacity && !buffer_grow(&buf, &capacity, max_bytes))
      break;
    n = read(fd, buf + used, capacity - used);
    if (n == 0 || (n < 0 && errno != EINTR))
      break;
    used += n > 0 ? (size_t)n : 0;
  }
  *size = used;
  if (buf && n == 0 && used <= max_bytes) {
    buf[used] = '\0';
    return buf;
  }
  int saved = errno;
  free(buf);
  errno = saved;
  return NULL;
}

char *vp_file_read_all(const char *path, size_t max_bytes, size_t *size, VpError *err)
{
  assert(max_bytes < SIZE_MAX - 1);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    read_error(err, errno);
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  size_t got = 0;
  char *data = NULL;
  if (S_ISDIR(st.st_mode)) {
    read_error(err, EISDIR);
  } else if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_bytes) {
    limit_error(err, (double)st.st_size, max_bytes); /* refused before reading */
  } else {
    data = read_fd(fd, S_ISREG(st.st_mode) ? (size_t)st.st_size : 0, max_bytes, &got);
    if (!data && got > max_bytes)
      limit_error(err, (double)got, max_bytes);
    else if (!data)
      read_error(err, errno);
  }
  close(fd);
  if (data && size)
    *size = got;
  return data;
}

