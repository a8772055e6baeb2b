/* SPDX-License-Identifier: GPL-3.0-or-later */
/* drdeskctl answer EVENT_ID CUSTOMER_ID accept|deny */
#include "config.h"

#include "cli/drd-cli-private.h"

int
drd_cli_cmd_answer (DrdCliContext *ctx, int argc, char **argv)
{
  g_autoptr(DrdStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *answered_at = NULL;
  DrdResponse response = { 0 };
  gint64 event_id, customer_id;
  DrdAnswer answer;
  int status;

  if (!drd_cli_parse_options ("answer", "EVENT_ID CUSTOMER_ID accept|deny",
                              _("Record a customer's answer on their behalf (channel operator)."),
                              _("Allowed while the event is scheduled or active, and while it is\n"
                                "ended or settling until that customer is settled, also after the\n"
                                "answer deadline; refused once the customer is settled and for\n"
                                "settled or cancelled events. Prints the stored answer on stdout\n"
                                "as one CSV line:\n"
                                "  event_id,customer_id,answer,answered_at,channel"),
                              NULL, &argc, &argv, &status))
    return status;
  if (argc != 4)
    return drd_cli_usage_error ("answer", argc < 4 ? _("expected EVENT_ID CUSTOMER_ID accept|deny")
                                                   : _("too many arguments"));
  if (!drd_cli_parse_id (argv[1], &event_id))
    return drd_cli_usage_error ("answer", _("'%s' is not an event id"), argv[1]);
  if (!drd_cli_parse_id (argv[2], &customer_id))
    return drd_cli_usage_error ("answer", _("'%s' is not a customer id"), argv[2]);
  if (!drd_answer_from_string (argv[3], &answer) || answer == DRD_ANSWER_NONE)
    return drd_cli_usage_error ("answer", _("the answer must be accept or deny, not '%s'"), argv[3]);

  store = drd_cli_open_store (ctx, TRUE, &error);
  if (store == NULL)
    return drd_cli_fail_error (NULL, error);
  if (!drd_store_record_answer (store, event_id, customer_id, answer, DRD_CHANNEL_OPERATOR,
                                drd_cli_actor (), drd_store_now (), &response, &error))
    return drd_cli_fail_error (NULL, error);

  answered_at = response.answered_at != 0 ? drd_cli_format_time (response.answered_at)
                                          : g_strdup ("");
  printf ("%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",%s,%s,%s\n",
          response.event_id, response.customer_id, drd_answer_to_string (response.answer),
          answered_at, drd_channel_to_string (response.channel));
  return DRD_CLI_EXIT_OK;
}
