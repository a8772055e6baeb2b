/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Events, their targeted responses, and answers. */
#include "config.h"

#include "core/drd-time.h"
#include "store/drd-store-private.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include <string.h>

DrdEventStatus
drd_store_effective_status (DrdEventStatus stored,
                            gint64         start_at,
                            gint64         now)
{
  if (stored == DRD_EVENT_SCHEDULED && start_at <= now)
    return DRD_EVENT_ACTIVE;
  return stored;
}

gint64
drd_store_end_for (gint64 end_at,
                   gint64 now)
{
  gint64 slot_end;

  if (now >= end_at)
    return end_at;
  /* The end of the 15-minute slot @now is in (14:58 → 15:00; exactly
   * 15:00 → 15:15: that slot has begun). */
  slot_end = (now / DRD_SLOT_SECONDS) * DRD_SLOT_SECONDS + DRD_SLOT_SECONDS;
  return MIN (slot_end, end_at);
}

/* "2026-07-01 14:00" in Korean time, for messages. */
static char *
format_kst (gint64 t)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (9 * 3600);
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = NULL;

  if (dt == NULL)
    return g_strdup_printf ("%" G_GINT64_FORMAT, t);
  local = g_date_time_to_timezone (dt, tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static gboolean
append_audit (sqlite3     *db,
              gint64       at,
              const char  *actor,
              const char  *action,
              gint64       event_id,
              gint64       customer_id,
              const char  *detail,
              GError     **error)
{
  sqlite3_stmt *stmt = drd_store_prepare (db,
      "INSERT INTO audit_log (at, actor, action, event_id, customer_id, detail) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, at);
  sqlite3_bind_text (stmt, 2, actor != NULL ? actor : "system", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, action, -1, SQLITE_STATIC);
  drd_store_bind_id_or_null (stmt, 4, event_id);
  drd_store_bind_id_or_null (stmt, 5, customer_id);
  drd_store_bind_text_or_null (stmt, 6, detail);
  return drd_store_step_done (db, stmt, "insert audit_log", error);
}

/* ------------------------------------------------------------------ */
/* Start                                                              */

typedef struct {
  DrdEvent *event;
  char     *actor;
  gint64    now;
  gint64    out_id;
  gint64    out_n_targeted;
} StartOp;

static void
start_op_free (StartOp *op)
{
  g_clear_pointer (&op->event, drd_event_free);
  g_free (op->actor);
  g_free (op);
}

static gboolean
validate_event (const DrdEvent *e,
                GError        **error)
{
  if (e->name == NULL || !g_utf8_validate (e->name, -1, NULL)
      || g_utf8_strlen (e->name, -1) < 1 || g_utf8_strlen (e->name, -1) > 200)
    return drd_store_set_invalid (error, _("the event name must be 1 to 200 characters"));
  if ((int) e->kind < 0 || e->kind >= DRD_N_EVENT_KINDS)
    return drd_store_set_invalid (error, _("unknown event kind %d"), (int) e->kind);
  if (e->start_at % 900 != 0 || e->end_at % 900 != 0)
    return drd_store_set_invalid (error, _("event start and end must be on a 15-minute boundary"));
  if (e->end_at <= e->start_at)
    return drd_store_set_invalid (error, _("the event must end after it starts"));
  if (e->target_w <= 0)
    return drd_store_set_invalid (error, _("the target reduction must be positive"));
  if (e->answer_deadline < 0 || e->answer_deadline > e->end_at)
    return drd_store_set_invalid (error, _("the answer deadline must not be after the event ends"));
  return TRUE;
}

static gboolean
start_run (sqlite3  *db,
           gpointer  data,
           GError  **error)
{
  StartOp *op = data;
  const DrdEvent *e = op->event;
  gboolean all = e->resources == NULL || e->resources[0] == NULL;
  gint64 deadline = e->answer_deadline != 0 ? e->answer_deadline : e->end_at;
  g_autofree char *detail = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "INSERT INTO events (name, kind, start_at, end_at, answer_deadline, target_w, "
      "status, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, e->name, -1, SQLITE_STATIC);
  sqlite3_bind_int (stmt, 2, e->kind);
  sqlite3_bind_int64 (stmt, 3, e->start_at);
  sqlite3_bind_int64 (stmt, 4, e->end_at);
  sqlite3_bind_int64 (stmt, 5, deadline);
  sqlite3_bind_int64 (stmt, 6, e->target_w);
  sqlite3_bind_int (stmt, 7, e->start_at <= op->now ? DRD_EVENT_ACTIVE : DRD_EVENT_SCHEDULED);
  sqlite3_bind_int64 (stmt, 8, op->now);
  if (!drd_store_step_done (db, stmt, "insert event", error))
    return FALSE;
  op->out_id = sqlite3_last_insert_rowid (db);

  /* Targeted resources: always stored explicitly. */
  if (all)
    {
      stmt = drd_store_prepare (db,
          "INSERT INTO event_resources (event_id, resource_id) SELECT ?1, id FROM resources",
          error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, op->out_id);
      if (!drd_store_step_done (db, stmt, "insert event_resources", error))
        return FALSE;
      if (sqlite3_changes (db) == 0)
        return drd_store_set_invalid (error, _("there are no resources to target; import customers first"));
    }
  else
    {
      stmt = drd_store_prepare (db,
          "INSERT OR IGNORE INTO event_resources (event_id, resource_id) "
          "SELECT ?1, id FROM resources WHERE name = ?2", error);
      if (stmt == NULL)
        return FALSE;
      for (guint i = 0; e->resources[i] != NULL; i++)
        {
          sqlite3_reset (stmt);
          sqlite3_bind_int64 (stmt, 1, op->out_id);
          sqlite3_bind_text (stmt, 2, e->resources[i], -1, SQLITE_STATIC);
          if (!drd_store_step_done (db, stmt, "insert event_resources", error))
            return FALSE;
          if (sqlite3_changes (db) == 0)
            {
              /* Either unknown or listed twice. */
              sqlite3_stmt *check = drd_store_prepare (db,
                  "SELECT 1 FROM resources WHERE name = ?1", error);
              if (check == NULL)
                return FALSE;
              sqlite3_bind_text (check, 1, e->resources[i], -1, SQLITE_STATIC);
              rc = sqlite3_step (check);
              if (rc == SQLITE_DONE)
                return drd_store_set_invalid (error, _("unknown resource “%s”"), e->resources[i]);
              if (rc != SQLITE_ROW)
                return drd_store_set_sqlite_error (error, db, "look up resource");
            }
        }
    }

  /* Refuse an overlapping open event sharing a resource. */
  stmt = drd_store_prepare (db,
      "SELECT e.id, e.name, e.start_at, e.end_at FROM events e "
      "WHERE e.id <> ?1 AND e.status IN (0, 1) AND e.start_at < ?3 AND e.end_at > ?2 "
      "AND EXISTS (SELECT 1 FROM event_resources a JOIN event_resources b "
      "            ON b.resource_id = a.resource_id AND b.event_id = ?1 "
      "            WHERE a.event_id = e.id) "
      "ORDER BY e.start_at, e.id LIMIT 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->out_id);
  sqlite3_bind_int64 (stmt, 2, e->start_at);
  sqlite3_bind_int64 (stmt, 3, e->end_at);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    {
      g_autofree char *from = format_kst (sqlite3_column_int64 (stmt, 2));
      g_autofree char *to = format_kst (sqlite3_column_int64 (stmt, 3));
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                   _("overlaps event %" PRId64 " “%s” (%s–%s KST), "
                   "which targets some of the same resources"),
                   (gint64) sqlite3_column_int64 (stmt, 0),
                   (const char *) sqlite3_column_text (stmt, 1), from, to);
      return FALSE;
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "check overlapping events");

  /* One response row per targeted customer, in one statement. */
  stmt = drd_store_prepare (db, all
      ? "INSERT INTO responses (event_id, customer_id) SELECT ?1, id FROM customers"
      : "INSERT INTO responses (event_id, customer_id) SELECT ?1, id FROM customers "
        "WHERE resource_id IN (SELECT resource_id FROM event_resources WHERE event_id = ?1)",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->out_id);
  if (!drd_store_step_done (db, stmt, "insert responses", error))
    return FALSE;
  op->out_n_targeted = (gint64) sqlite3_changes64 (db);

  /* The answer tally starts as "nobody answered"; computed from the same
   * customers in the same transaction (a covering-index scan, no join
   * with the new responses). Triggers keep it current from here on. */
  stmt = drd_store_prepare (db, all
      ? "INSERT INTO event_counts (event_id, n_targeted, n_accept, n_deny, n_none, "
        "accepted_w, denied_w, targeted_w) "
        "SELECT ?1, count(*), 0, 0, count(*), 0, 0, coalesce(sum(registered_w), 0) "
        "FROM customers RETURNING n_targeted"
      : "INSERT INTO event_counts (event_id, n_targeted, n_accept, n_deny, n_none, "
        "accepted_w, denied_w, targeted_w) "
        "SELECT ?1, count(*), 0, 0, count(*), 0, 0, coalesce(sum(registered_w), 0) "
        "FROM customers WHERE resource_id IN "
        "(SELECT resource_id FROM event_resources WHERE event_id = ?1) RETURNING n_targeted",
      error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->out_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "insert event_counts");
  if (sqlite3_column_int64 (stmt, 0) != op->out_n_targeted)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_SQLITE,
                   "insert event_counts: %" G_GINT64_FORMAT " targeted customers counted, "
                   "%" G_GINT64_FORMAT " responses inserted",
                   (gint64) sqlite3_column_int64 (stmt, 0), op->out_n_targeted);
      return FALSE;
    }
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "insert event_counts");

  detail = g_strdup_printf ("{\"targeted\":%" G_GINT64_FORMAT "}", op->out_n_targeted);
  return append_audit (db, op->now, op->actor, "event.start", op->out_id, 0, detail, error);
}

/* The bulk INSERT … SELECT references only rows it reads from the same
 * database in the same transaction, so foreign-key checks (one parent
 * lookup per response row) are skipped for it. */
#define START_FLAGS (DRD_STORE_WRITE_ALONE | DRD_STORE_WRITE_NO_FOREIGN_KEYS)

gboolean
drd_store_start_event (DrdStore       *self,
                       const DrdEvent *event,
                       const char     *actor,
                       gint64          now,
                       gint64         *out_event_id,
                       gint64         *out_n_targeted,
                       GError        **error)
{
  StartOp op = { 0, };
  gboolean ok;

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  g_return_val_if_fail (event != NULL, FALSE);

  if (!validate_event (event, error))
    return FALSE;
  op.event = (DrdEvent *) event;
  op.actor = (char *) actor;
  op.now = now;
  ok = drd_store_write_full (self, START_FLAGS, start_run, &op, error);
  if (ok && out_event_id != NULL)
    *out_event_id = op.out_id;
  if (ok && out_n_targeted != NULL)
    *out_n_targeted = op.out_n_targeted;
  return ok;
}

void
drd_store_start_event_async (DrdStore            *self,
                             const DrdEvent      *event,
                             const char          *actor,
                             gint64               now,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  StartOp *op;
  GError *error = NULL;

  g_return_if_fail (DRD_IS_STORE (self));
  g_return_if_fail (event != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_start_event_async);
  if (!validate_event (event, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op = g_new0 (StartOp, 1);
  op->event = drd_event_copy (event);
  op->actor = g_strdup (actor);
  op->now = now;
  g_task_set_task_data (task, op, (GDestroyNotify) start_op_free);
  drd_store_write_in_task_full (self, START_FLAGS, task, start_run);
}

gboolean
drd_store_start_event_finish (DrdStore      *self,
                              GAsyncResult  *result,
                              gint64        *out_event_id,
                              gint64        *out_n_targeted,
                              GError       **error)
{
  StartOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  if (out_event_id != NULL)
    *out_event_id = op->out_id;
  if (out_n_targeted != NULL)
    *out_n_targeted = op->out_n_targeted;
  return TRUE;
}

/* ------------------------------------------------------------------ */
/* Status transitions                                                 */

static gboolean
transition_allowed (DrdEventStatus from,
                    DrdEventStatus to)
{
  switch (from)
    {
    case DRD_EVENT_SCHEDULED:
      /* Not ENDED: an event that has not started has nothing to settle;
       * it can only be cancelled. */
      return to == DRD_EVENT_ACTIVE || to == DRD_EVENT_CANCELLED;
    case DRD_EVENT_ACTIVE:
      return to == DRD_EVENT_ENDED || to == DRD_EVENT_CANCELLED;
    case DRD_EVENT_ENDED:
      return to == DRD_EVENT_SETTLING;
    case DRD_EVENT_SETTLING:
      return to == DRD_EVENT_SETTLED || to == DRD_EVENT_ENDED;
    case DRD_EVENT_SETTLED:
    case DRD_EVENT_CANCELLED:
    default:
      return FALSE;
    }
}

typedef struct {
  gint64          event_id;
  DrdEventStatus  to;
  gboolean        strict;    /* same status is an error, not a no-op */
  const char     *action;
  char           *actor;
  gint64          now;
} TransitionOp;

static void
transition_op_free (TransitionOp *op)
{
  g_free (op->actor);
  g_free (op);
}

static gboolean
transition_run (sqlite3  *db,
                gpointer  data,
                GError  **error)
{
  TransitionOp *op = data;
  g_autofree char *detail = NULL;
  DrdEventStatus from;
  gint64 start_at, end_at, new_end;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT status, start_at, end_at FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select event");
  from = drd_store_effective_status (sqlite3_column_int (stmt, 0),
                                     sqlite3_column_int64 (stmt, 1), op->now);
  start_at = sqlite3_column_int64 (stmt, 1);
  end_at = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);

  if (from == op->to && !op->strict)
    return TRUE;
  if (from == op->to)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                   _("event %" PRId64 " is already %s"), op->event_id,
                   drd_event_status_to_string (from));
      return FALSE;
    }
  if (from == DRD_EVENT_SCHEDULED && op->to == DRD_EVENT_ENDED)
    {
      g_autofree char *starts = format_kst (start_at);

      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                   _("event %" PRId64 " has not started yet (it starts at %s); "
                     "a scheduled event can only be cancelled"), op->event_id, starts);
      return FALSE;
    }
  if (!transition_allowed (from, op->to))
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CONFLICT,
                   _("event %" PRId64 " is %s; it cannot become %s"), op->event_id,
                   drd_event_status_to_string (from), drd_event_status_to_string (op->to));
      return FALSE;
    }

  /* Ended before its scheduled end: the event now ends with the slot it
   * was ended in, and that shortened window is what everything after
   * uses (timeline, portal, exports, settlement). */
  new_end = op->to == DRD_EVENT_ENDED ? drd_store_end_for (end_at, op->now) : end_at;
  stmt = drd_store_prepare (db,
      "UPDATE events SET status = ?2, "
      "ended_at = CASE WHEN ?2 = 2 THEN ?3 ELSE ended_at END, "
      "settled_at = CASE WHEN ?2 = 4 THEN ?3 ELSE settled_at END, "
      "end_at = ?4, answer_deadline = min(answer_deadline, ?4) "
      "WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int (stmt, 2, op->to);
  sqlite3_bind_int64 (stmt, 3, op->now);
  sqlite3_bind_int64 (stmt, 4, new_end);
  if (!drd_store_step_done (db, stmt, "update event status", error))
    return FALSE;

  if (new_end != end_at)
    {
      g_autofree char *was = drd_time_format_iso8601 (end_at);
      g_autofree char *now_end = drd_time_format_iso8601 (new_end);

      detail = g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\",\"end\":\"%s\",\"scheduled_end\":\"%s\"}",
                                drd_event_status_to_string (from),
                                drd_event_status_to_string (op->to), now_end, was);
    }
  else
    detail = g_strdup_printf ("{\"from\":\"%s\",\"to\":\"%s\"}",
                              drd_event_status_to_string (from),
                              drd_event_status_to_string (op->to));
  return append_audit (db, op->now, op->actor, op->action, op->event_id, 0, detail, error);
}

static gboolean
transition_sync (DrdStore       *self,
                 gint64          event_id,
                 DrdEventStatus  to,
                 gboolean        strict,
                 const char     *action,
                 const char     *actor,
                 gint64          now,
                 GError        **error)
{
  TransitionOp op = { event_id, to, strict, action, (char *) actor, now };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  return drd_store_write (self, transition_run, &op, error);
}

static void
transition_async (DrdStore            *self,
                  gint64               event_id,
                  DrdEventStatus       to,
                  const char          *action,
                  const char          *actor,
                  gint64               now,
                  gpointer             source_tag,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  GTask *task;
  TransitionOp *op;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  op = g_new0 (TransitionOp, 1);
  op->event_id = event_id;
  op->to = to;
  op->strict = TRUE;
  op->action = action;
  op->actor = g_strdup (actor);
  op->now = now;
  g_task_set_task_data (task, op, (GDestroyNotify) transition_op_free);
  drd_store_write_in_task (self, task, transition_run);
}

gboolean
drd_store_end_event (DrdStore   *self,
                     gint64      event_id,
                     const char *actor,
                     gint64      now,
                     GError    **error)
{
  return transition_sync (self, event_id, DRD_EVENT_ENDED, TRUE, "event.end", actor, now, error);
}

void
drd_store_end_event_async (DrdStore            *self,
                           gint64               event_id,
                           const char          *actor,
                           gint64               now,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  transition_async (self, event_id, DRD_EVENT_ENDED, "event.end", actor, now,
                    drd_store_end_event_async, cancellable, callback, user_data);
}

gboolean
drd_store_end_event_finish (DrdStore      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
drd_store_cancel_event (DrdStore   *self,
                        gint64      event_id,
                        const char *actor,
                        gint64      now,
                        GError    **error)
{
  return transition_sync (self, event_id, DRD_EVENT_CANCELLED, TRUE, "event.cancel", actor, now, error);
}

void
drd_store_cancel_event_async (DrdStore            *self,
                              gint64               event_id,
                              const char          *actor,
                              gint64               now,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  transition_async (self, event_id, DRD_EVENT_CANCELLED, "event.cancel", actor, now,
                    drd_store_cancel_event_async, cancellable, callback, user_data);
}

gboolean
drd_store_cancel_event_finish (DrdStore      *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

gboolean
drd_store_set_event_status (DrdStore       *self,
                            gint64          event_id,
                            DrdEventStatus  status,
                            const char     *actor,
                            gint64          now,
                            GError        **error)
{
  if ((int) status < 0 || status > DRD_EVENT_CANCELLED)
    return drd_store_set_invalid (error, _("unknown event status %d"), (int) status);
  return transition_sync (self, event_id, status, FALSE, "event.status", actor, now, error);
}

/* ------------------------------------------------------------------ */
/* Get / list                                                         */

#define EVENT_COLUMNS \
  "id, name, kind, start_at, end_at, answer_deadline, target_w, status, created_at"

static gboolean
event_from_row (sqlite3       *db,
                sqlite3_stmt  *row,
                gint64         now,
                DrdEvent     **out,
                GError       **error)
{
  g_autoptr(DrdEvent) e = drd_event_new ();
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  e->id = sqlite3_column_int64 (row, 0);
  e->name = g_strdup ((const char *) sqlite3_column_text (row, 1));
  e->kind = sqlite3_column_int (row, 2);
  e->start_at = sqlite3_column_int64 (row, 3);
  e->end_at = sqlite3_column_int64 (row, 4);
  e->answer_deadline = sqlite3_column_int64 (row, 5);
  e->target_w = sqlite3_column_int64 (row, 6);
  e->status = drd_store_effective_status (sqlite3_column_int (row, 7), e->start_at, now);
  e->created_at = sqlite3_column_int64 (row, 8);

  stmt = drd_store_prepare (db,
      "SELECT r.name FROM event_resources er JOIN resources r ON r.id = er.resource_id "
      "WHERE er.event_id = ?1 ORDER BY r.name", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, e->id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_strv_builder_add (names, (const char *) sqlite3_column_text (stmt, 0));
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "select event resources");
  sqlite3_reset (stmt);
  g_strfreev (e->resources);
  e->resources = g_strv_builder_end (names);
  *out = g_steal_pointer (&e);
  return TRUE;
}

typedef struct {
  gint64     event_id;
  gint64     now;
  DrdEvent  *event;
  GPtrArray *events;
} GetEventOp;

static void
get_event_op_free (GetEventOp *op)
{
  g_clear_pointer (&op->event, drd_event_free);
  g_clear_pointer (&op->events, g_ptr_array_unref);
  g_free (op);
}

static gboolean
get_event_run (sqlite3  *db,
               gpointer  data,
               GError  **error)
{
  GetEventOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db, "SELECT " EVENT_COLUMNS " FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select event");
  return event_from_row (db, stmt, op->now, &op->event, error);
}

static gboolean
list_events_run (sqlite3  *db,
                 gpointer  data,
                 GError  **error)
{
  GetEventOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT " EVENT_COLUMNS " FROM events ORDER BY start_at, id", error);
  if (stmt == NULL)
    return FALSE;
  g_ptr_array_set_size (op->events, 0);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      DrdEvent *e = NULL;
      if (!event_from_row (db, stmt, op->now, &e, error))
        return FALSE;
      g_ptr_array_add (op->events, e);
    }
  if (rc != SQLITE_DONE)
    return drd_store_set_sqlite_error (error, db, "list events");
  return TRUE;
}

DrdEvent *
drd_store_get_event (DrdStore *self,
                     gint64    event_id,
                     gint64    now,
                     GError  **error)
{
  GetEventOp op = { event_id, now, NULL, NULL };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, get_event_run, &op, error))
    return NULL;
  return op.event;
}

void
drd_store_get_event_async (DrdStore            *self,
                           gint64               event_id,
                           gint64               now,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;
  GetEventOp *op;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_get_event_async);
  op = g_new0 (GetEventOp, 1);
  op->event_id = event_id;
  op->now = now;
  g_task_set_task_data (task, op, (GDestroyNotify) get_event_op_free);
  drd_store_read_in_task (self, task, get_event_run);
}

DrdEvent *
drd_store_get_event_finish (DrdStore      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  GetEventOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->event);
}

GPtrArray *
drd_store_list_events (DrdStore *self,
                       gint64    now,
                       GError  **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_event_free);
  GetEventOp op = { 0, now, NULL, events };

  g_return_val_if_fail (DRD_IS_STORE (self), NULL);
  if (!drd_store_read (self, list_events_run, &op, error))
    return NULL;
  return g_steal_pointer (&events);
}

void
drd_store_list_events_async (DrdStore            *self,
                             gint64               now,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;
  GetEventOp *op;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_list_events_async);
  op = g_new0 (GetEventOp, 1);
  op->now = now;
  op->events = g_ptr_array_new_with_free_func ((GDestroyNotify) drd_event_free);
  g_task_set_task_data (task, op, (GDestroyNotify) get_event_op_free);
  drd_store_read_in_task (self, task, list_events_run);
}

GPtrArray *
drd_store_list_events_finish (DrdStore      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  GetEventOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  op = g_task_get_task_data (G_TASK (result));
  return g_steal_pointer (&op->events);
}

/* ------------------------------------------------------------------ */
/* Answers                                                            */

typedef struct {
  gint64       event_id;
  gint64       customer_id;
  DrdAnswer    answer;
  DrdChannel   channel;
  char        *actor;
  gint64       now;
  DrdResponse  response;
} AnswerOp;

static void
answer_op_free (AnswerOp *op)
{
  g_free (op->actor);
  g_free (op);
}

static gboolean
validate_answer (DrdAnswer    answer,
                 DrdChannel   channel,
                 GError     **error)
{
  if (answer != DRD_ANSWER_ACCEPT && answer != DRD_ANSWER_DENY)
    return drd_store_set_invalid (error, _("an answer must be accept or deny"));
  if (channel != DRD_CHANNEL_PORTAL && channel != DRD_CHANNEL_API
      && channel != DRD_CHANNEL_OPERATOR)
    return drd_store_set_invalid (error, _("an answer needs a channel (portal, api or operator)"));
  return TRUE;
}

static gboolean
answer_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  AnswerOp *op = data;
  g_autofree char *detail = NULL;
  DrdEventStatus status;
  gint64 deadline;
  sqlite3_stmt *stmt;
  DrdAnswer old;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT status, start_at, answer_deadline FROM events WHERE id = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select event");
  status = drd_store_effective_status (sqlite3_column_int (stmt, 0),
                                       sqlite3_column_int64 (stmt, 1), op->now);
  deadline = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);

  stmt = drd_store_prepare (db,
      "SELECT answer, answered_at, channel FROM responses "
      "WHERE event_id = ?1 AND customer_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error,
                                    _("customer %" PRId64 " is not targeted by event %" PRId64),
                                    op->customer_id, op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select response");
  old = sqlite3_column_int (stmt, 0);
  op->response.event_id = op->event_id;
  op->response.customer_id = op->customer_id;
  op->response.answer = old;
  op->response.answered_at = sqlite3_column_int64 (stmt, 1);
  op->response.channel = sqlite3_column_int (stmt, 2);
  sqlite3_reset (stmt);

  if (op->channel == DRD_CHANNEL_OPERATOR)
    {
      if (status != DRD_EVENT_SCHEDULED && status != DRD_EVENT_ACTIVE && status != DRD_EVENT_ENDED
          && status != DRD_EVENT_SETTLING)
        {
          g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED,
                       _("answers for event %" PRId64 " are closed: the event is %s"),
                       op->event_id, drd_event_status_to_string (status));
          return FALSE;
        }
      /* Until the customer is settled: the settler writes the settlement
       * row on this same writer and checks that the answer it computed
       * with is still the stored one, so an answer is either used or
       * refused here, never lost in between. */
      if (status == DRD_EVENT_ENDED || status == DRD_EVENT_SETTLING)
        {
          stmt = drd_store_prepare (db,
              "SELECT 1 FROM settlements WHERE event_id = ?1 AND customer_id = ?2", error);
          if (stmt == NULL)
            return FALSE;
          sqlite3_bind_int64 (stmt, 1, op->event_id);
          sqlite3_bind_int64 (stmt, 2, op->customer_id);
          rc = sqlite3_step (stmt);
          if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            return drd_store_set_sqlite_error (error, db, "select settlement");
          sqlite3_reset (stmt);
          if (rc == SQLITE_ROW)
            {
              g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED,
                           _("customer %" PRId64 " of event %" PRId64 " is already settled"),
                           op->customer_id, op->event_id);
              return FALSE;
            }
        }
    }
  else if (status != DRD_EVENT_SCHEDULED && status != DRD_EVENT_ACTIVE)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED,
                   _("answers for event %" PRId64 " are closed: the event is %s"),
                   op->event_id, drd_event_status_to_string (status));
      return FALSE;
    }
  else if (op->now >= deadline)
    {
      g_set_error (error, DRD_STORE_ERROR, DRD_STORE_ERROR_CLOSED,
                   _("answers for event %" PRId64 " are closed: the answer deadline has passed"),
                   op->event_id);
      return FALSE;
    }

  if (old == op->answer)
    return TRUE;

  stmt = drd_store_prepare (db,
      "UPDATE responses SET answer = ?3, answered_at = ?4, channel = ?5 "
      "WHERE event_id = ?1 AND customer_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->customer_id);
  sqlite3_bind_int (stmt, 3, op->answer);
  sqlite3_bind_int64 (stmt, 4, op->now);
  sqlite3_bind_int (stmt, 5, op->channel);
  if (!drd_store_step_done (db, stmt, "update response", error))
    return FALSE;

  op->response.answer = op->answer;
  op->response.answered_at = op->now;
  op->response.channel = op->channel;

  detail = g_strdup_printf ("{\"old\":\"%s\",\"new\":\"%s\",\"channel\":\"%s\"}",
                            drd_answer_to_string (old), drd_answer_to_string (op->answer),
                            drd_channel_to_string (op->channel));
  return append_audit (db, op->now, op->actor, "answer", op->event_id, op->customer_id,
                       detail, error);
}

gboolean
drd_store_record_answer (DrdStore    *self,
                         gint64       event_id,
                         gint64       customer_id,
                         DrdAnswer    answer,
                         DrdChannel   channel,
                         const char  *actor,
                         gint64       now,
                         DrdResponse *out_response,
                         GError     **error)
{
  AnswerOp op = { event_id, customer_id, answer, channel, (char *) actor, now, { 0, } };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!validate_answer (answer, channel, error))
    return FALSE;
  if (!drd_store_write (self, answer_run, &op, error))
    return FALSE;
  if (out_response != NULL)
    *out_response = op.response;
  return TRUE;
}

void
drd_store_record_answer_async (DrdStore            *self,
                               gint64               event_id,
                               gint64               customer_id,
                               DrdAnswer            answer,
                               DrdChannel           channel,
                               const char          *actor,
                               gint64               now,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;
  AnswerOp *op;
  GError *error = NULL;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_record_answer_async);
  if (!validate_answer (answer, channel, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  op = g_new0 (AnswerOp, 1);
  op->event_id = event_id;
  op->customer_id = customer_id;
  op->answer = answer;
  op->channel = channel;
  op->actor = g_strdup (actor);
  op->now = now;
  g_task_set_task_data (task, op, (GDestroyNotify) answer_op_free);
  drd_store_write_in_task (self, task, answer_run);
}

gboolean
drd_store_record_answer_finish (DrdStore      *self,
                                GAsyncResult  *result,
                                DrdResponse   *out_response,
                                GError       **error)
{
  AnswerOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  if (out_response != NULL)
    *out_response = op->response;
  return TRUE;
}

typedef struct {
  gint64      event_id;
  gint64      customer_id;
  DrdResponse response;
} GetResponseOp;

static gboolean
get_response_run (sqlite3  *db,
                  gpointer  data,
                  GError  **error)
{
  GetResponseOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  stmt = drd_store_prepare (db,
      "SELECT answer, answered_at, channel FROM responses "
      "WHERE event_id = ?1 AND customer_id = ?2", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  sqlite3_bind_int64 (stmt, 2, op->customer_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error,
                                    _("customer %" PRId64 " is not targeted by event %" PRId64),
                                    op->customer_id, op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select response");
  op->response.event_id = op->event_id;
  op->response.customer_id = op->customer_id;
  op->response.answer = sqlite3_column_int (stmt, 0);
  op->response.answered_at = sqlite3_column_int64 (stmt, 1);
  op->response.channel = sqlite3_column_int (stmt, 2);
  return TRUE;
}

gboolean
drd_store_get_response (DrdStore    *self,
                        gint64       event_id,
                        gint64       customer_id,
                        DrdResponse *out_response,
                        GError     **error)
{
  GetResponseOp op = { event_id, customer_id, { 0, } };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, get_response_run, &op, error))
    return FALSE;
  if (out_response != NULL)
    *out_response = op.response;
  return TRUE;
}

typedef struct {
  gint64            event_id;
  DrdResponseCounts counts;
} CountsOp;

/* The full count over responses: what event_counts must always equal.
 * Only used when an event has no event_counts row (never expected). */
#define COUNTS_JOIN_SQL \
  "SELECT count(*), coalesce(sum(r.answer = 1), 0), coalesce(sum(r.answer = 2), 0), " \
  "coalesce(sum(r.answer = 0), 0), " \
  "coalesce(sum(CASE WHEN r.answer = 1 THEN c.registered_w ELSE 0 END), 0), " \
  "coalesce(sum(c.registered_w), 0), " \
  "coalesce(sum(CASE WHEN r.answer = 2 THEN c.registered_w ELSE 0 END), 0) " \
  "FROM responses r JOIN customers c ON c.id = r.customer_id WHERE r.event_id = ?1"

static void
counts_from_row (sqlite3_stmt      *stmt,
                 int                first,
                 DrdResponseCounts *out)
{
  out->n_targeted = sqlite3_column_int64 (stmt, first + 0);
  out->n_accept = sqlite3_column_int64 (stmt, first + 1);
  out->n_deny = sqlite3_column_int64 (stmt, first + 2);
  out->n_none = sqlite3_column_int64 (stmt, first + 3);
  out->accepted_w = sqlite3_column_int64 (stmt, first + 4);
  out->targeted_w = sqlite3_column_int64 (stmt, first + 5);
  out->denied_w = sqlite3_column_int64 (stmt, first + 6);
}

static gboolean
counts_run (sqlite3  *db,
            gpointer  data,
            GError  **error)
{
  CountsOp *op = data;
  sqlite3_stmt *stmt;
  int rc;

  /* One primary-key lookup in events and one in event_counts. */
  stmt = drd_store_prepare (db, DRD_STORE_SQL_RESPONSE_COUNTS, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    return drd_store_set_not_found (error, _("no event %" PRId64), op->event_id);
  if (rc != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "select event_counts");
  if (sqlite3_column_int (stmt, 0))
    {
      counts_from_row (stmt, 1, &op->counts);
      return TRUE;
    }
  sqlite3_reset (stmt);

  /* Every event gets its row at start (or from migration 2); a missing
   * one would be a bug elsewhere, and the right numbers still beat none. */
  stmt = drd_store_prepare (db, COUNTS_JOIN_SQL, error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, op->event_id);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return drd_store_set_sqlite_error (error, db, "count responses");
  counts_from_row (stmt, 0, &op->counts);
  return TRUE;
}

gboolean
drd_store_get_response_counts (DrdStore          *self,
                               gint64             event_id,
                               DrdResponseCounts *out_counts,
                               GError           **error)
{
  CountsOp op = { event_id, { 0, } };

  g_return_val_if_fail (DRD_IS_STORE (self), FALSE);
  if (!drd_store_read (self, counts_run, &op, error))
    return FALSE;
  if (out_counts != NULL)
    *out_counts = op.counts;
  return TRUE;
}

void
drd_store_get_response_counts_async (DrdStore            *self,
                                     gint64               event_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  GTask *task;
  CountsOp *op;

  g_return_if_fail (DRD_IS_STORE (self));
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, drd_store_get_response_counts_async);
  op = g_new0 (CountsOp, 1);
  op->event_id = event_id;
  g_task_set_task_data (task, op, g_free);
  drd_store_read_in_task (self, task, counts_run);
}

gboolean
drd_store_get_response_counts_finish (DrdStore           *self,
                                      GAsyncResult       *result,
                                      DrdResponseCounts  *out_counts,
                                      GError            **error)
{
  CountsOp *op;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  op = g_task_get_task_data (G_TASK (result));
  if (out_counts != NULL)
    *out_counts = op->counts;
  return TRUE;
}
