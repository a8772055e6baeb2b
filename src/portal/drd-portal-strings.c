/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"
#include "portal/drd-portal-strings.h"

static const char *const strings[DRD_PS_N_STRINGS][2] = {
  /*                            Korean                                   English */
  [DRD_PS_HTML_LANG]        = { "ko", "en" },
  [DRD_PS_TITLE]            = { "수요반응(DR) 참여 응답", "Demand response: your answer" },
  [DRD_PS_GREETING]         = { "%s 고객님", "Customer: %s" },
  [DRD_PS_INTRO]            = { "아래 수요반응(DR) 요청에 참여하실지 알려 주세요.",
                                "Please tell us whether you will take part in the demand-response (DR) events below." },
  [DRD_PS_NO_EVENTS]        = { "지금 응답할 DR 이벤트가 없습니다.",
                                "There is no DR event to answer right now." },
  [DRD_PS_WINDOW]           = { "시간", "Time" },
  [DRD_PS_DEADLINE]         = { "응답 마감", "Answer by" },
  [DRD_PS_ASKED]            = { "요청 내용: %s 동안 전력 사용을 줄여 주세요.",
                                "What is asked: use less electricity during %s." },
  [DRD_PS_YOUR_ANSWER]      = { "현재 응답", "Your answer" },
  [DRD_PS_ANSWERED_AT]      = { "응답 시각", "Answered at" },
  [DRD_PS_BUTTON_ACCEPT]    = { "참여하기", "Accept" },
  [DRD_PS_BUTTON_DENY]      = { "참여 안 함", "Deny" },
  [DRD_PS_CAN_CHANGE]       = { "응답 마감 전까지 언제든 바꿀 수 있습니다.",
                                "You can change your answer until the deadline." },
  [DRD_PS_CLOSED_DEADLINE]  = { "응답 마감 시간이 지나 더 이상 응답할 수 없습니다.",
                                "The answer deadline has passed; answers are closed." },
  [DRD_PS_CLOSED_ENDED]     = { "이 이벤트는 끝났습니다. 더 이상 응답할 수 없습니다.",
                                "This event is over; answers are closed." },
  [DRD_PS_CLOSED_CANCELLED] = { "이 이벤트는 취소되었습니다. 응답할 필요가 없습니다.",
                                "This event was cancelled; no answer is needed." },
  [DRD_PS_SAVED]            = { "응답이 저장되었습니다: %s", "Your answer was saved: %s" },
  [DRD_PS_OTHER_LANG]       = { "English", "한국어" },
  [DRD_PS_NOT_FOUND_TITLE]  = { "페이지를 찾을 수 없습니다", "Page not found" },
  [DRD_PS_NOT_FOUND_TEXT]   = { "링크를 다시 확인해 주세요.", "Please check the link." },
  [DRD_PS_CLOSED_TITLE]     = { "응답이 마감되었습니다", "Answers are closed" },
  [DRD_PS_CLOSED_TEXT]      = { "이 이벤트는 더 이상 응답을 받지 않습니다 (마감 시간이 지났거나 이벤트가 끝났거나 취소됨). 응답은 바뀌지 않았습니다.",
                                "This event no longer accepts answers (the deadline has passed, or the event is over or cancelled). Your answer was not changed." },
  [DRD_PS_BAD_REQUEST_TITLE] = { "잘못된 요청", "Bad request" },
  [DRD_PS_TOO_MANY_TITLE]   = { "요청이 너무 많습니다", "Too many requests" },
  [DRD_PS_TOO_MANY_TEXT]    = { "잠시 후 다시 시도해 주세요.", "Please try again in a moment." },
  [DRD_PS_ERROR_TITLE]      = { "일시적인 오류", "Temporary error" },
  [DRD_PS_ERROR_TEXT]       = { "응답을 저장하지 못했습니다. 잠시 후 다시 시도해 주세요.",
                                "Your answer could not be saved. Please try again in a moment." },
  [DRD_PS_BACK]             = { "응답 페이지로 돌아가기", "Back to your answer page" },
  [DRD_PS_STATUS]           = { "상태", "Status" },
  [DRD_PS_LIVE_NOTE]        = { "이 페이지는 이벤트가 시작되거나 끝나면 저절로 새로 고쳐집니다.",
                                "This page refreshes itself when an event starts or ends." },
  [DRD_PS_KIND_RELIABILITY] = { "신뢰성 DR", "Reliability DR" },
  [DRD_PS_KIND_ECONOMIC]    = { "경제성 DR", "Economic DR" },
  [DRD_PS_KIND_CITIZEN]     = { "국민 DR", "Citizen DR" },
  [DRD_PS_STATUS_SCHEDULED] = { "예정", "Scheduled" },
  [DRD_PS_STATUS_ACTIVE]    = { "진행 중", "Running" },
  [DRD_PS_STATUS_ENDED]     = { "종료", "Ended" },
  [DRD_PS_STATUS_SETTLING]  = { "정산 중", "Settling" },
  [DRD_PS_STATUS_SETTLED]   = { "정산 완료", "Settled" },
  [DRD_PS_STATUS_CANCELLED] = { "취소됨", "Cancelled" },
  [DRD_PS_ANSWER_NONE]      = { "아직 응답하지 않음", "Not answered yet" },
  [DRD_PS_ANSWER_ACCEPT]    = { "참여", "Accept (I will take part)" },
  [DRD_PS_ANSWER_DENY]      = { "참여 안 함", "Deny (I will not take part)" },
};

const char *
drd_portal_str (DrdPortalLang   lang,
                DrdPortalString id)
{
  g_return_val_if_fail (id < DRD_PS_N_STRINGS, "");
  return strings[id][lang == DRD_PORTAL_LANG_EN ? 1 : 0];
}

const char *
drd_portal_kind_str (DrdPortalLang lang,
                     DrdEventKind  kind)
{
  if ((guint) kind > DRD_EVENT_KIND_CITIZEN)
    return "";
  return drd_portal_str (lang, DRD_PS_KIND_RELIABILITY + kind);
}

const char *
drd_portal_status_str (DrdPortalLang  lang,
                       DrdEventStatus status)
{
  if ((guint) status > DRD_EVENT_CANCELLED)
    return "";
  return drd_portal_str (lang, DRD_PS_STATUS_SCHEDULED + status);
}

const char *
drd_portal_answer_str (DrdPortalLang lang,
                       DrdAnswer     answer)
{
  if ((guint) answer > DRD_ANSWER_DENY)
    return "";
  return drd_portal_str (lang, DRD_PS_ANSWER_NONE + answer);
}

#define SEOUL_OFFSET (9 * 3600)

static GDateTime *
seoul_time (gint64 unix_utc)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_offset (SEOUL_OFFSET);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_utc);

  if (utc == NULL)
    return NULL;
  return g_date_time_to_timezone (utc, tz);
}

static const char *const ko_weekdays[] = { "", "월", "화", "수", "목", "금", "토", "일" };
static const char *const en_weekdays[] = { "", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

char *
drd_portal_format_time (DrdPortalLang lang,
                        gint64        unix_utc)
{
  g_autoptr(GDateTime) t = seoul_time (unix_utc);
  int wd;

  if (t == NULL)
    return g_strdup ("");
  wd = g_date_time_get_day_of_week (t);
  if (lang == DRD_PORTAL_LANG_EN)
    return g_strdup_printf ("%s %04d-%02d-%02d %02d:%02d", en_weekdays[wd],
                            g_date_time_get_year (t), g_date_time_get_month (t),
                            g_date_time_get_day_of_month (t),
                            g_date_time_get_hour (t), g_date_time_get_minute (t));
  return g_strdup_printf ("%04d-%02d-%02d (%s) %02d:%02d",
                          g_date_time_get_year (t), g_date_time_get_month (t),
                          g_date_time_get_day_of_month (t), ko_weekdays[wd],
                          g_date_time_get_hour (t), g_date_time_get_minute (t));
}

static char *
format_day (DrdPortalLang lang,
            GDateTime    *t)
{
  int wd = g_date_time_get_day_of_week (t);

  if (lang == DRD_PORTAL_LANG_EN)
    return g_strdup_printf ("%s %04d-%02d-%02d", en_weekdays[wd], g_date_time_get_year (t),
                            g_date_time_get_month (t), g_date_time_get_day_of_month (t));
  return g_strdup_printf ("%04d-%02d-%02d (%s)", g_date_time_get_year (t),
                          g_date_time_get_month (t), g_date_time_get_day_of_month (t),
                          ko_weekdays[wd]);
}

gboolean
drd_portal_format_window_parts (DrdPortalLang   lang,
                                gint64          start,
                                gint64          end,
                                char          **out_day,
                                char          **out_hours)
{
  g_autoptr(GDateTime) s = seoul_time (start);
  g_autoptr(GDateTime) e = seoul_time (end);

  if (s == NULL || e == NULL)
    {
      *out_day = g_strdup ("");
      *out_hours = g_strdup ("");
      return FALSE;
    }
  /* An end at local midnight is shown as 24:00 of the same day. */
  if (end - start < 86400 &&
      (g_date_time_get_day_of_year (s) == g_date_time_get_day_of_year (e) ||
       (g_date_time_get_hour (e) == 0 && g_date_time_get_minute (e) == 0 &&
        end - start <= 86400)))
    {
      int h = g_date_time_get_hour (e), m = g_date_time_get_minute (e);

      if (g_date_time_get_day_of_year (s) != g_date_time_get_day_of_year (e))
        h = 24;
      *out_day = format_day (lang, s);
      *out_hours = g_strdup_printf ("%02d:%02d–%02d:%02d", g_date_time_get_hour (s),
                                    g_date_time_get_minute (s), h, m);
      return TRUE;
    }
  *out_day = drd_portal_format_time (lang, start);
  *out_hours = drd_portal_format_time (lang, end);
  return FALSE;
}

char *
drd_portal_format_window (DrdPortalLang lang,
                          gint64        start,
                          gint64        end)
{
  g_autofree char *day = NULL, *hours = NULL;

  if (drd_portal_format_window_parts (lang, start, end, &day, &hours))
    return g_strdup_printf ("%s %s (KST)", day, hours);
  if (*day == '\0')
    return g_strdup ("");
  return g_strdup_printf ("%s – %s (KST)", day, hours);
}

char *
drd_portal_iso8601 (gint64 unix_utc)
{
  g_autoptr(GDateTime) t = seoul_time (unix_utc);

  if (t == NULL)
    return g_strdup ("");
  return g_date_time_format (t, "%Y-%m-%dT%H:%M:%S+09:00");
}
