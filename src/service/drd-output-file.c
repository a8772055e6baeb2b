/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "service/drd-output-file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct _DrdOutputFile {
  FILE     *stream;
  char     *target;      /* the file that ends up with the text */
  char     *tmp_path;    /* regular files: the temporary name; NULL otherwise */
  char     *display;
  gboolean  is_stdout;
};

static void
output_free (DrdOutputFile *out)
{
  g_free (out->target);
  g_free (out->tmp_path);
  g_free (out->display);
  g_free (out);
}

typedef enum { CANNOT_WRITE, CANNOT_CREATE, CANNOT_REPLACE } Failure;

static gboolean
set_errno_error (GError    **error,
                 int         saved,
                 Failure     failure,
                 const char *display)
{
  const char *reason = g_strerror (saved);
  GIOErrorEnum code = g_io_error_from_errno (saved);

  switch (failure)
    {
    case CANNOT_CREATE:
      g_set_error (error, G_IO_ERROR, code, _("cannot create a file next to %s: %s"), display, reason);
      break;
    case CANNOT_REPLACE:
      g_set_error (error, G_IO_ERROR, code, _("cannot replace %s: %s"), display, reason);
      break;
    case CANNOT_WRITE:
    default:
      g_set_error (error, G_IO_ERROR, code, _("cannot write %s: %s"), display, reason);
      break;
    }
  return FALSE;
}

/* A regular file (or none yet) at @target: a temporary one next to it. */
static gboolean
open_replacing (DrdOutputFile     *out,
                const struct stat *existing,
                GError           **error)
{
  g_autofree char *dir = g_path_get_dirname (out->target);
  g_autofree char *base = g_path_get_basename (out->target);
  g_autofree char *tmpl = g_strdup_printf (".%s.XXXXXX", base);
  mode_t mode = existing != NULL ? existing->st_mode & 07777 : 0600;
  int fd;

  out->tmp_path = g_build_filename (dir, tmpl, NULL);
  fd = g_mkstemp_full (out->tmp_path, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    return set_errno_error (error, errno, CANNOT_CREATE, out->display);
  /* The umask does not apply to what was there before, nor to 0600. */
  if (fchmod (fd, mode) != 0
      || (existing != NULL && existing->st_uid != geteuid ()
          && fchown (fd, existing->st_uid, existing->st_gid) != 0 && errno != EPERM))
    {
      int saved = errno;

      close (fd);
      g_unlink (out->tmp_path);
      return set_errno_error (error, saved, CANNOT_WRITE, out->display);
    }
  out->stream = fdopen (fd, "wb");
  if (out->stream == NULL)
    {
      int saved = errno;

      close (fd);
      g_unlink (out->tmp_path);
      return set_errno_error (error, saved, CANNOT_WRITE, out->display);
    }
  return TRUE;
}

DrdOutputFile *
drd_output_file_open (const char  *path,
                      GError     **error)
{
  DrdOutputFile *out;
  struct stat st;
  gboolean ok;

  g_return_val_if_fail (path != NULL, NULL);

  out = g_new0 (DrdOutputFile, 1);
  if (g_str_equal (path, "-"))
    {
      out->is_stdout = TRUE;
      out->stream = stdout;
      out->display = g_strdup ("stdout");
      return out;
    }
  out->display = g_filename_display_name (path);
  out->target = g_strdup (path);

  if (lstat (path, &st) != 0)
    {
      if (errno != ENOENT)
        {
          set_errno_error (error, errno, CANNOT_WRITE, out->display);
          output_free (out);
          return NULL;
        }
      ok = open_replacing (out, NULL, error);
      if (!ok)
        {
          output_free (out);
          return NULL;
        }
      return out;
    }

  if (S_ISLNK (st.st_mode))
    {
      char *resolved = realpath (path, NULL);

      if (resolved == NULL || stat (resolved, &st) != 0)
        {
          g_autofree char *points_to = g_file_read_link (path, NULL);

          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       _("%s is a symbolic link to %s, which does not exist; "
                         "name the file itself"),
                       out->display, points_to != NULL ? points_to : "?");
          free (resolved);
          output_free (out);
          return NULL;
        }
      g_free (out->target);
      out->target = g_strdup (resolved);
      free (resolved);
    }

  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY,
                   _("%s is a folder; name a file to write"), out->display);
      output_free (out);
      return NULL;
    }
  if (S_ISREG (st.st_mode))
    ok = open_replacing (out, &st, error);
  else
    {
      /* A FIFO, a device, a terminal: write into it, never replace it. */
      int fd = g_open (out->target, O_WRONLY | O_NOCTTY | O_CLOEXEC, 0);

      ok = fd >= 0;
      if (!ok)
        set_errno_error (error, errno, CANNOT_WRITE, out->display);
      else if ((out->stream = fdopen (fd, "wb")) == NULL)
        {
          ok = set_errno_error (error, errno, CANNOT_WRITE, out->display);
          close (fd);
        }
    }
  if (!ok)
    {
      output_free (out);
      return NULL;
    }
  return out;
}

FILE *
drd_output_file_get_stream (DrdOutputFile *out)
{
  return out->stream;
}

const char *
drd_output_file_get_display_name (DrdOutputFile *out)
{
  return out->display;
}

static void
sync_dir_of (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  int dfd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

  if (dfd >= 0)
    {
      fsync (dfd);
      close (dfd);
    }
}

gboolean
drd_output_file_commit (DrdOutputFile  *out,
                        GError        **error)
{
  gboolean ok = TRUE;
  int saved = 0;

  if (out->is_stdout)
    {
      if (fflush (stdout) != 0)
        ok = set_errno_error (error, errno, CANNOT_WRITE, out->display);
      output_free (out);
      return ok;
    }
  if (fflush (out->stream) != 0 || (out->tmp_path != NULL && fsync (fileno (out->stream)) != 0))
    {
      saved = errno;
      ok = FALSE;
    }
  if (fclose (out->stream) != 0 && ok)
    {
      saved = errno;
      ok = FALSE;
    }
  out->stream = NULL;
  if (!ok)
    set_errno_error (error, saved, CANNOT_WRITE, out->display);
  else if (out->tmp_path != NULL)
    {
      if (g_rename (out->tmp_path, out->target) != 0)
        ok = set_errno_error (error, errno, CANNOT_REPLACE, out->display);
      else
        {
          sync_dir_of (out->target);
          g_clear_pointer (&out->tmp_path, g_free);
        }
    }
  if (!ok && out->tmp_path != NULL)
    g_unlink (out->tmp_path);
  output_free (out);
  return ok;
}

void
drd_output_file_abort (DrdOutputFile *out)
{
  if (out == NULL)
    return;
  if (!out->is_stdout && out->stream != NULL)
    fclose (out->stream);
  if (out->tmp_path != NULL)
    g_unlink (out->tmp_path);
  output_free (out);
}

gboolean
drd_output_file_write_all (const char  *path,
                           const char  *data,
                           gsize        len,
                           GError     **error)
{
  DrdOutputFile *out = drd_output_file_open (path, error);

  if (out == NULL)
    return FALSE;
  if (len > 0 && fwrite (data, 1, len, out->stream) != len)
    {
      set_errno_error (error, errno, CANNOT_WRITE, out->display);
      drd_output_file_abort (out);
      return FALSE;
    }
  return drd_output_file_commit (out, error);
}
