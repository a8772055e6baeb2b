-- SPDX-License-Identifier: GPL-3.0-or-later
-- DR Desk schema, migration 3 of branch "daily" (PRAGMA user_version = 3),
-- applied on top of schema-v2.sql in one transaction.
--
-- Points credits in the audit trail. Every row of the append-only points
-- ledger (settlement rewards and any other credit) gets an audit_log row
-- 'points.credit' in the same statement, by trigger, so no writer of the
-- ledger can forget it. detail: {"reason", "points", "old", "new"} where
-- old/new are the customer's balance before and after the credit (the sum
-- of the ledger, which includes NEW.points in an AFTER trigger).
CREATE TRIGGER points_ledger_audit AFTER INSERT ON points_ledger BEGIN
  INSERT INTO audit_log (at, actor, action, event_id, customer_id, detail)
  SELECT NEW.created_at, 'system', 'points.credit', NEW.event_id, NEW.customer_id,
         json_object('reason', NEW.reason, 'points', NEW.points,
                     'old', b.balance - NEW.points, 'new', b.balance)
    FROM (SELECT coalesce(sum(points), 0) AS balance FROM points_ledger
           WHERE customer_id = NEW.customer_id) AS b;
END;

-- Credits made before this migration, with the running balance.
INSERT INTO audit_log (at, actor, action, event_id, customer_id, detail)
SELECT l.created_at, 'system', 'points.credit', l.event_id, l.customer_id,
       json_object('reason', l.reason, 'points', l.points,
                   'old', (SELECT coalesce(sum(p.points), 0) FROM points_ledger p
                            WHERE p.customer_id = l.customer_id AND p.id < l.id),
                   'new', (SELECT coalesce(sum(p.points), 0) FROM points_ledger p
                            WHERE p.customer_id = l.customer_id AND p.id <= l.id))
  FROM points_ledger l ORDER BY l.id;
