//! Versioned schema migrations. Append-only: never edit one that has
//! shipped; add the next. `PRAGMA user_version` holds how many have run.

/// Each entry is one migration; its index + 1 is the schema version it makes.
pub const MIGRATIONS: &[&str] = &[
    // 1: the kiosk's records.
    r#"
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );

    -- A staff number, once known, is never removed; its details are versions.
    CREATE TABLE staff (
        staff_no TEXT PRIMARY KEY
    );
    CREATE TABLE staff_versions (
        id           INTEGER PRIMARY KEY,
        staff_no     TEXT NOT NULL REFERENCES staff(staff_no),
        name         TEXT NOT NULL,
        unit         TEXT NOT NULL,
        schedule     TEXT NOT NULL,
        role         TEXT NOT NULL CHECK (role IN ('staff', 'head', 'admin')),
        pin_hash     TEXT,
        active_from  TEXT,
        active_until TEXT,
        recorded_at  INTEGER NOT NULL
    );
    CREATE INDEX staff_versions_no ON staff_versions(staff_no, id);

    CREATE TABLE card_assignments (
        id          INTEGER PRIMARY KEY,
        card        TEXT NOT NULL,
        staff_no    TEXT NOT NULL REFERENCES staff(staff_no),
        cards_from  TEXT,
        made_on     TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );
    CREATE INDEX card_assignments_card ON card_assignments(card, id);

    CREATE TABLE calendar_years (
        year        INTEGER PRIMARY KEY,
        imported_at INTEGER NOT NULL
    );
    CREATE TABLE calendar_days (
        date       TEXT PRIMARY KEY,
        year       INTEGER NOT NULL REFERENCES calendar_years(year),
        name       TEXT NOT NULL,
        is_off_day INTEGER NOT NULL
    );

    CREATE TABLE roster (
        id          INTEGER PRIMARY KEY,
        staff_no    TEXT NOT NULL REFERENCES staff(staff_no),
        date        TEXT NOT NULL,
        start       TEXT NOT NULL,
        end         TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        UNIQUE (staff_no, date, start, end)
    );
    CREATE INDEX roster_date ON roster(date);

    CREATE TABLE leave (
        id          INTEGER PRIMARY KEY,
        staff_no    TEXT NOT NULL REFERENCES staff(staff_no),
        kind        TEXT NOT NULL,
        from_local  TEXT NOT NULL,
        to_local    TEXT NOT NULL,
        approved_by TEXT NOT NULL DEFAULT '',
        note        TEXT NOT NULL DEFAULT '',
        recorded_at INTEGER NOT NULL,
        CHECK (to_local > from_local),
        UNIQUE (staff_no, kind, from_local, to_local)
    );
    CREATE INDEX leave_to ON leave(to_local);
    CREATE TABLE leave_voids (
        id          INTEGER PRIMARY KEY,
        leave_id    INTEGER NOT NULL UNIQUE REFERENCES leave(id),
        reason      TEXT NOT NULL,
        by_whom     TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );

    -- A punch is a card's (reader, card import) or a person's (staff-number
    -- import, ATTLOG, correction). Corrections are punches with source
    -- 'correction'; voids point at what they void.
    CREATE TABLE punches (
        id           INTEGER PRIMARY KEY,
        card         TEXT,
        staff_no     TEXT REFERENCES staff(staff_no),
        at_ms        INTEGER NOT NULL,
        source       TEXT NOT NULL CHECK (source IN ('reader', 'import', 'attlog', 'correction')),
        clock_synced INTEGER,
        reason       TEXT,
        by_whom      TEXT,
        recorded_at  INTEGER NOT NULL,
        CHECK ((card IS NULL) <> (staff_no IS NULL))
    );
    CREATE UNIQUE INDEX punches_card_at ON punches(card, at_ms) WHERE card IS NOT NULL;
    CREATE UNIQUE INDEX punches_staff_at ON punches(staff_no, at_ms, source = 'correction')
        WHERE staff_no IS NOT NULL;
    CREATE INDEX punches_at ON punches(at_ms);
    CREATE TABLE punch_voids (
        id          INTEGER PRIMARY KEY,
        punch_id    INTEGER NOT NULL UNIQUE REFERENCES punches(id),
        reason      TEXT NOT NULL,
        by_whom     TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );

    CREATE TABLE spot_checks (
        id          INTEGER PRIMARY KEY,
        staff_no    TEXT NOT NULL REFERENCES staff(staff_no),
        at_ms       INTEGER NOT NULL,
        present     INTEGER NOT NULL,
        inspector   TEXT NOT NULL DEFAULT '',
        note        TEXT NOT NULL DEFAULT '',
        recorded_at INTEGER NOT NULL,
        UNIQUE (staff_no, at_ms, present, inspector)
    );
    CREATE INDEX spot_checks_at ON spot_checks(at_ms);
    CREATE TABLE spot_check_voids (
        id             INTEGER PRIMARY KEY,
        spot_check_id  INTEGER NOT NULL UNIQUE REFERENCES spot_checks(id),
        reason         TEXT NOT NULL,
        by_whom        TEXT NOT NULL,
        recorded_at    INTEGER NOT NULL
    );

    -- Closed daily summaries and their revisions (RULES.md R11).
    CREATE TABLE daily_summaries (
        date         TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        content      TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        PRIMARY KEY (date, revision)
    );

    -- The record chain: every appended record, hashed onto the one before.
    CREATE TABLE journal (
        seq    INTEGER PRIMARY KEY,
        tbl    TEXT NOT NULL,
        row_id INTEGER NOT NULL,
        hash   BLOB NOT NULL,
        UNIQUE (tbl, row_id)
    );
    "#,
    // 2: the touchscreen: staff requests for corrections (补卡申请) and the
    // heads' decisions, and a log of head and admin actions.
    r#"
    CREATE TABLE correction_requests (
        id           INTEGER PRIMARY KEY,
        staff_no     TEXT NOT NULL REFERENCES staff(staff_no),
        at_ms        INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        recorded_at  INTEGER NOT NULL
    );
    CREATE TABLE correction_decisions (
        id          INTEGER PRIMARY KEY,
        request_id  INTEGER NOT NULL UNIQUE REFERENCES correction_requests(id),
        approved    INTEGER NOT NULL,
        by_whom     TEXT NOT NULL,
        punch_id    INTEGER REFERENCES punches(id),
        recorded_at INTEGER NOT NULL
    );
    CREATE TABLE actions (
        id          INTEGER PRIMARY KEY,
        who         TEXT NOT NULL,
        action      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );
    "#,
    // 3: leave as instants, fixed when the record is entered (in the
    // person's zone then), so that a later change of schedule never moves
    // it; and an explicit INTEGER PRIMARY KEY for every chained table (the
    // record chain points at row ids, which VACUUM may renumber where the
    // rowid is implicit). Summaries keep their ids (copied from rowid).
    r#"
    CREATE TABLE leave_spans (
        leave_id INTEGER PRIMARY KEY REFERENCES leave(id),
        from_ms  INTEGER NOT NULL,
        to_ms    INTEGER NOT NULL,
        CHECK (to_ms > from_ms)
    );
    CREATE INDEX leave_spans_to ON leave_spans(to_ms);

    CREATE TABLE daily_summaries_v3 (
        id           INTEGER PRIMARY KEY,
        date         TEXT NOT NULL,
        revision     INTEGER NOT NULL,
        content      TEXT NOT NULL,
        generated_at TEXT NOT NULL,
        UNIQUE (date, revision)
    );
    INSERT INTO daily_summaries_v3 (id, date, revision, content, generated_at)
        SELECT rowid, date, revision, content, generated_at FROM daily_summaries;
    DROP TABLE daily_summaries;
    ALTER TABLE daily_summaries_v3 RENAME TO daily_summaries;
    "#,
    // 4: sync with the central server. What became of each closed summary
    // revision sent (201/200 acknowledged; 409, 403, 400 or 413 refused and
    // not sent again). Bookkeeping, not records: not on the chain.
    r#"
    CREATE TABLE sync_log (
        summary_id INTEGER PRIMARY KEY REFERENCES daily_summaries(id),
        status     INTEGER NOT NULL,
        detail     TEXT NOT NULL,
        at         INTEGER NOT NULL
    );
    "#,
    // 5: staff photos for the scan screen (the staff file's `photo`
    // column): a picture's place, not a record, so not on the chain.
    r#"
    CREATE TABLE staff_photos (
        staff_no TEXT PRIMARY KEY REFERENCES staff(staff_no),
        path     TEXT NOT NULL
    );
    "#,
    // 6: staff requests for leave (请假申请) from 我的考勤, for a day that
    // needs one, and the head's decision; an approval records the leave.
    // Records: on the chain.
    r#"
    CREATE TABLE leave_requests (
        id          INTEGER PRIMARY KEY,
        staff_no    TEXT NOT NULL REFERENCES staff(staff_no),
        kind        TEXT NOT NULL,
        from_ms     INTEGER NOT NULL,
        to_ms       INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL,
        CHECK (to_ms > from_ms)
    );
    CREATE TABLE leave_request_decisions (
        id          INTEGER PRIMARY KEY,
        request_id  INTEGER NOT NULL UNIQUE REFERENCES leave_requests(id),
        approved    INTEGER NOT NULL,
        by_whom     TEXT NOT NULL,
        leave_id    INTEGER REFERENCES leave(id),
        recorded_at INTEGER NOT NULL
    );
    "#,
    // 7: the reason a staff member gives for a leave request (picked from
    // the form's presets), a record of its own beside the request (whose
    // chained columns are fixed): on the chain.
    r#"
    CREATE TABLE leave_request_reasons (
        id          INTEGER PRIMARY KEY,
        request_id  INTEGER NOT NULL UNIQUE REFERENCES leave_requests(id),
        reason      TEXT NOT NULL,
        recorded_at INTEGER NOT NULL
    );
    "#,
];
