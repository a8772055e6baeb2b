-- SPDX-License-Identifier: GPL-3.0-or-later
-- DR Desk schema, migration 2 (PRAGMA user_version = 2), applied on top of
-- schema-v1.sql in one transaction.
--
-- 1. event_counts: the answer tally of every event, kept exactly equal to
--    the full join of responses with customers that it replaces, so the
--    window (which polls it whenever the database changes, i.e. at every
--    group of portal answers) reads one row instead of joining up to
--    1,000,000 responses.
--
--    Who keeps it:
--      - event start (drd-store-events.c) inserts the row in the same
--        transaction as the event's responses, computed set-wise from the
--        same customers (one covering-index scan, see customers_resource);
--      - responses_counts (below): every change of an answer;
--      - responses_counts_ad: a deleted response (nothing deletes them
--        today; kept so a future DELETE cannot silently skew the counts);
--      - customers_counts_w: a customer's registered_w changing (re-import).
--    Responses rows are created ONLY by event start. A per-row INSERT
--    trigger would keep other inserts right too but costs ~50% of event
--    start for a 1,000,000-customer event; anything that ever inserts
--    responses later must add its rows to event_counts itself.
--    responses_keys_fixed refuses changing a response's event or customer.
--
--    Weights: accepted_w / denied_w / targeted_w use each customer's
--    CURRENT registered_w, exactly like the join they replace: a re-import
--    that changes a customer's capacity moves that capacity in every event
--    that targets the customer (also settled ones), so the counts can
--    always be checked against the join and never drift.
--
-- 2. customers_search_au fires only when name or kepco_no really changed:
--    a re-import rewrites unchanged rows no more (the import skips them),
--    and a changed phone number no longer rewrites the full-text index.
--
-- 3. customers_resource gains registered_w so Σ registered_w of the
--    customers of some resources (event start) is a covering-index scan.
--    Its (resource_id, id) prefix, which the grid relies on, is unchanged.

CREATE TABLE event_counts (
  event_id    INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
  n_targeted  INTEGER NOT NULL CHECK (n_targeted >= 0),
  n_accept    INTEGER NOT NULL CHECK (n_accept >= 0),
  n_deny      INTEGER NOT NULL CHECK (n_deny >= 0),
  n_none      INTEGER NOT NULL CHECK (n_none >= 0),
  accepted_w  INTEGER NOT NULL,
  denied_w    INTEGER NOT NULL,
  targeted_w  INTEGER NOT NULL
);

-- Back-fill every event of a version-1 database (events without any
-- response get a row of zeros).
INSERT INTO event_counts (event_id, n_targeted, n_accept, n_deny, n_none,
                          accepted_w, denied_w, targeted_w)
SELECT e.id,
       count(r.customer_id),
       coalesce(sum(r.answer = 1), 0),
       coalesce(sum(r.answer = 2), 0),
       coalesce(sum(r.answer = 0), 0),
       coalesce(sum(CASE WHEN r.answer = 1 THEN c.registered_w ELSE 0 END), 0),
       coalesce(sum(CASE WHEN r.answer = 2 THEN c.registered_w ELSE 0 END), 0),
       coalesce(sum(c.registered_w), 0)
  FROM events e
  LEFT JOIN responses r ON r.event_id = e.id
  LEFT JOIN customers c ON c.id = r.customer_id
 GROUP BY e.id;

CREATE TRIGGER responses_counts AFTER UPDATE OF answer ON responses
WHEN OLD.answer IS NOT NEW.answer BEGIN
  UPDATE event_counts
     SET n_accept = n_accept + (NEW.answer = 1) - (OLD.answer = 1),
         n_deny = n_deny + (NEW.answer = 2) - (OLD.answer = 2),
         n_none = n_none + (NEW.answer = 0) - (OLD.answer = 0),
         accepted_w = accepted_w + ((NEW.answer = 1) - (OLD.answer = 1)) * c.registered_w,
         denied_w = denied_w + ((NEW.answer = 2) - (OLD.answer = 2)) * c.registered_w
    FROM customers c
   WHERE event_counts.event_id = NEW.event_id AND c.id = NEW.customer_id;
END;

CREATE TRIGGER responses_counts_ad AFTER DELETE ON responses BEGIN
  UPDATE event_counts
     SET n_targeted = n_targeted - 1,
         n_accept = n_accept - (OLD.answer = 1),
         n_deny = n_deny - (OLD.answer = 2),
         n_none = n_none - (OLD.answer = 0),
         accepted_w = accepted_w - (OLD.answer = 1) * c.registered_w,
         denied_w = denied_w - (OLD.answer = 2) * c.registered_w,
         targeted_w = targeted_w - c.registered_w
    FROM customers c
   WHERE event_counts.event_id = OLD.event_id AND c.id = OLD.customer_id;
END;

CREATE TRIGGER responses_keys_fixed BEFORE UPDATE OF event_id, customer_id ON responses
WHEN OLD.event_id IS NOT NEW.event_id OR OLD.customer_id IS NOT NEW.customer_id BEGIN
  SELECT RAISE(ABORT, 'a response cannot move to another event or customer');
END;

CREATE TRIGGER customers_counts_w AFTER UPDATE OF registered_w ON customers
WHEN OLD.registered_w IS NOT NEW.registered_w BEGIN
  UPDATE event_counts
     SET targeted_w = targeted_w + (NEW.registered_w - OLD.registered_w),
         accepted_w = accepted_w + (r.answer = 1) * (NEW.registered_w - OLD.registered_w),
         denied_w = denied_w + (r.answer = 2) * (NEW.registered_w - OLD.registered_w)
    FROM responses r
   WHERE r.customer_id = NEW.id AND event_counts.event_id = r.event_id;
END;

DROP TRIGGER customers_search_au;
CREATE TRIGGER customers_search_au AFTER UPDATE OF name, kepco_no ON customers
WHEN OLD.name IS NOT NEW.name OR OLD.kepco_no IS NOT NEW.kepco_no BEGIN
  INSERT INTO customers_search(customers_search, rowid, name, kepco_no)
    VALUES ('delete', OLD.id, OLD.name, OLD.kepco_no);
  INSERT INTO customers_search(rowid, name, kepco_no) VALUES (NEW.id, NEW.name, NEW.kepco_no);
END;

DROP INDEX customers_resource;
CREATE INDEX customers_resource ON customers(resource_id, id, registered_w);
