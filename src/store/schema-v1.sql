-- SPDX-License-Identifier: GPL-3.0-or-later
-- DR Desk schema, migration 1 (PRAGMA user_version = 1).
-- Energies are integer Wh, powers integer W, instants Unix seconds (UTC).
-- Enumerations are stored as the integers of src/core/drd-types.h.

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE resources (
  id   INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100)
);

CREATE TABLE customers (
  id                    INTEGER PRIMARY KEY CHECK (id > 0),   -- customer_id of the CSV contract
  name                  TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kepco_no              TEXT NOT NULL UNIQUE CHECK (length(kepco_no) BETWEEN 1 AND 32),
  resource_id           INTEGER NOT NULL REFERENCES resources(id),
  registered_w          INTEGER NOT NULL CHECK (registered_w >= 0),
  cbl_method            INTEGER NOT NULL DEFAULT 0 CHECK (cbl_method IN (0, 1)),
  is_factory            INTEGER NOT NULL DEFAULT 0 CHECK (is_factory IN (0, 1)),
  phone                 TEXT,
  email                 TEXT,
  webhook_url           TEXT,
  token_hash            TEXT UNIQUE,            -- hex SHA-256 of the answer-link token
  token_generation      INTEGER NOT NULL DEFAULT 0,   -- bumped to rotate the token
  points_balance        INTEGER NOT NULL DEFAULT 0,   -- kept equal to SUM(points_ledger) by trigger
  last_answer           INTEGER,                -- DrdAnswer of the newest event answered; NULL = never
  last_answer_event_id  INTEGER,
  last_answered_at      INTEGER,
  created_at            INTEGER NOT NULL,
  updated_at            INTEGER NOT NULL
);
CREATE INDEX customers_name ON customers(name, id);
CREATE INDEX customers_resource ON customers(resource_id, id);
CREATE INDEX customers_registered ON customers(registered_w, id);
CREATE INDEX customers_cbl ON customers(cbl_method, id);
CREATE INDEX customers_points ON customers(points_balance, id);
CREATE INDEX customers_last_answer ON customers(last_answer, id);

-- Substring search for the grid (3+ characters); shorter queries use the
-- name index as a prefix search.
CREATE VIRTUAL TABLE customers_search USING fts5(
  name, kepco_no, content='customers', content_rowid='id', tokenize='trigram');
CREATE TRIGGER customers_search_ai AFTER INSERT ON customers BEGIN
  INSERT INTO customers_search(rowid, name, kepco_no) VALUES (NEW.id, NEW.name, NEW.kepco_no);
END;
CREATE TRIGGER customers_search_ad AFTER DELETE ON customers BEGIN
  INSERT INTO customers_search(customers_search, rowid, name, kepco_no)
    VALUES ('delete', OLD.id, OLD.name, OLD.kepco_no);
END;
CREATE TRIGGER customers_search_au AFTER UPDATE OF name, kepco_no ON customers BEGIN
  INSERT INTO customers_search(customers_search, rowid, name, kepco_no)
    VALUES ('delete', OLD.id, OLD.name, OLD.kepco_no);
  INSERT INTO customers_search(rowid, name, kepco_no) VALUES (NEW.id, NEW.name, NEW.kepco_no);
END;

CREATE TABLE events (
  id               INTEGER PRIMARY KEY,
  name             TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  kind             INTEGER NOT NULL CHECK (kind IN (0, 1, 2)),
  start_at         INTEGER NOT NULL CHECK (start_at % 900 = 0),
  end_at           INTEGER NOT NULL CHECK (end_at % 900 = 0 AND end_at > start_at),
  answer_deadline  INTEGER NOT NULL,
  target_w         INTEGER NOT NULL CHECK (target_w > 0),
  status           INTEGER NOT NULL DEFAULT 0 CHECK (status BETWEEN 0 AND 5),
  created_at       INTEGER NOT NULL,
  ended_at         INTEGER,
  settled_at       INTEGER
);
CREATE INDEX events_window ON events(start_at, end_at);
CREATE INDEX events_status ON events(status);

-- Targeted resources of an event.
CREATE TABLE event_resources (
  event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
  resource_id  INTEGER NOT NULL REFERENCES resources(id),
  PRIMARY KEY (event_id, resource_id)
) WITHOUT ROWID;
CREATE INDEX event_resources_resource ON event_resources(resource_id, event_id);

-- One row per targeted customer, created with answer 0 (none) when the
-- event starts.
CREATE TABLE responses (
  event_id     INTEGER NOT NULL REFERENCES events(id),
  customer_id  INTEGER NOT NULL REFERENCES customers(id),
  answer       INTEGER NOT NULL DEFAULT 0 CHECK (answer IN (0, 1, 2)),
  answered_at  INTEGER,
  channel      INTEGER NOT NULL DEFAULT 0 CHECK (channel BETWEEN 0 AND 3),
  PRIMARY KEY (event_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX responses_customer ON responses(customer_id, event_id);

CREATE TRIGGER responses_last_answer AFTER UPDATE OF answer ON responses
WHEN NEW.answer <> 0 BEGIN
  UPDATE customers
     SET last_answer = NEW.answer,
         last_answer_event_id = NEW.event_id,
         last_answered_at = NEW.answered_at
   WHERE id = NEW.customer_id
     AND (last_answer_event_id IS NULL OR last_answer_event_id <= NEW.event_id);
END;

-- KEPCO meter data cache: one row per customer and local day; slots is
-- 96 little-endian int32 Wh values, interval-ending order (0015 … 2400),
-- -1 = missing. A complete day (n_present = 96) is never fetched again.
CREATE TABLE meter_days (
  customer_id  INTEGER NOT NULL REFERENCES customers(id),
  day          TEXT NOT NULL CHECK (length(day) = 10),   -- YYYY-MM-DD (Asia/Seoul)
  slots        BLOB NOT NULL CHECK (length(slots) = 384),
  n_present    INTEGER NOT NULL CHECK (n_present BETWEEN 0 AND 96),
  fetched_at   INTEGER NOT NULL,
  PRIMARY KEY (customer_id, day)
) WITHOUT ROWID;

CREATE TABLE settlements (
  event_id      INTEGER NOT NULL REFERENCES events(id),
  customer_id   INTEGER NOT NULL REFERENCES customers(id),
  answer        INTEGER NOT NULL,
  answered_at   INTEGER,
  baseline_wh   INTEGER,            -- NULL when the CBL is insufficient
  actual_wh     INTEGER,            -- NULL when meter data is missing
  reduction_wh  INTEGER,
  outcome       INTEGER NOT NULL CHECK (outcome BETWEEN 1 AND 4),
  points        INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
  note          TEXT,               -- days used, or why it needs review
  settled_at    INTEGER NOT NULL,
  PRIMARY KEY (event_id, customer_id)
) WITHOUT ROWID;
CREATE INDEX settlements_outcome ON settlements(event_id, outcome);

-- Append-only; a credit for (event, customer, reason) can exist once.
CREATE TABLE points_ledger (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers(id),
  event_id     INTEGER REFERENCES events(id),
  reason       TEXT NOT NULL,       -- 'dr_reward', 'adjustment', ...
  points       INTEGER NOT NULL,
  created_at   INTEGER NOT NULL,
  note         TEXT,
  UNIQUE (event_id, customer_id, reason)
);
CREATE INDEX points_ledger_customer ON points_ledger(customer_id, id);
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger BEGIN
  SELECT RAISE(ABORT, 'points_ledger is append-only');
END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger BEGIN
  SELECT RAISE(ABORT, 'points_ledger is append-only');
END;
CREATE TRIGGER points_ledger_balance AFTER INSERT ON points_ledger BEGIN
  UPDATE customers SET points_balance = points_balance + NEW.points WHERE id = NEW.customer_id;
END;

-- Persisted work queue (settlement and whatever else must survive a restart).
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  kind             TEXT NOT NULL,             -- 'settle', ...
  event_id         INTEGER REFERENCES events(id),
  customer_id      INTEGER REFERENCES customers(id),
  state            INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3), -- 0 pending 1 running 2 done 3 failed
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  UNIQUE (kind, event_id, customer_id)
);
CREATE INDEX jobs_due ON jobs(state, next_attempt_at);

-- Webhook notifications (persisted outbox).
CREATE TABLE outbox (
  id               INTEGER PRIMARY KEY,
  event_id         INTEGER NOT NULL REFERENCES events(id),
  customer_id      INTEGER NOT NULL REFERENCES customers(id),
  url              TEXT NOT NULL,
  body             TEXT NOT NULL,
  state            INTEGER NOT NULL DEFAULT 0 CHECK (state BETWEEN 0 AND 3), -- 0 pending 1 sending 2 delivered 3 gave up
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER NOT NULL,
  last_status      INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  delivered_at     INTEGER,
  UNIQUE (event_id, customer_id)
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Who did what: operator actions and every answer change.
CREATE TABLE audit_log (
  id           INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,       -- 'operator:<user>', 'portal', 'api', 'system'
  action       TEXT NOT NULL,       -- 'event.start', 'answer', 'customer.import', ...
  event_id     INTEGER,
  customer_id  INTEGER,
  detail       TEXT                 -- JSON
);
CREATE INDEX audit_log_event ON audit_log(event_id, id);
CREATE INDEX audit_log_customer ON audit_log(customer_id, id);

-- Days that are not eligible for the CBL; seeded from data/holidays-kr.csv,
-- editable by the operator.
CREATE TABLE holidays (
  day   TEXT PRIMARY KEY CHECK (length(day) = 10),
  name  TEXT
) WITHOUT ROWID;
