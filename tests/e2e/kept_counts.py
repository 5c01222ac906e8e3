"""The counts the triggers keep for the admin (sql/019-counts.sql), against a
full count of the rows they describe, on either engine. A suite calls
check_exact(env) after its runs (failures, retries, reports, retention,
cancels), and check_migration(env) last, which makes the counts again with
migration 019 from a store set back to version 18."""

from harness import schema_newest

# (what, the kept counts with the changes not folded yet, the full count)
KEPT = [
    ("messages by direction and status",
     "SELECT direction, status, SUM(n) FROM (SELECT direction, status, n FROM message_counts"
     " UNION ALL SELECT direction, status, n FROM message_count_deltas) AS x"
     " GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2",
     "SELECT direction, status, COUNT(*) FROM messages GROUP BY 1, 2 ORDER BY 1, 2"),
    ("campaign recipients by status",
     "SELECT campaign_id, status, SUM(n) FROM (SELECT campaign_id, status, n"
     " FROM campaign_counts UNION ALL SELECT campaign_id, status, n"
     " FROM campaign_count_deltas) AS x GROUP BY 1, 2 HAVING SUM(n) <> 0 ORDER BY 1, 2",
     "SELECT campaign_id, status, COUNT(*) FROM campaign_recipients GROUP BY 1, 2"
     " ORDER BY 1, 2"),
    ("campaign recipients by minute and status",
     "SELECT campaign_id, minute, status, SUM(n) FROM (SELECT campaign_id, minute, status, n"
     " FROM campaign_minutes UNION ALL SELECT campaign_id, minute, status, n"
     " FROM campaign_minute_deltas) AS x GROUP BY 1, 2, 3 HAVING SUM(n) <> 0"
     " ORDER BY 1, 2, 3",
     "SELECT campaign_id, substr(updated_at, 1, 16), status, COUNT(*)"
     " FROM campaign_recipients WHERE status IN ('sent', 'delivered', 'failed', 'replied')"
     " GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
]


def rows(env, query):
    """query's rows as tuples of text (psql gives text, sqlite3 numbers)."""
    return [tuple(str(v) for v in r) for r in env.sql(query)]


def check_exact(env, when=""):
    """Checks each kept count against a full count; returns the full counts."""
    full = {}
    for what, kept, count in KEPT:
        k, f = rows(env, kept), rows(env, count)
        env.check(k == f, "kept counts of %s match a full count%s" % (what, when),
                  "kept %r, counted %r" % (k[:20], f[:20]))
        full[what] = f
    return full


# What migration 019 made, dropped so that it runs again.
MADE = {
    "trigger": ["message_counts_insert", "message_counts_update", "message_counts_delete",
                "campaign_counts_insert", "campaign_counts_update", "campaign_counts_delete",
                "campaign_minutes_insert", "campaign_minutes_update", "campaign_minutes_delete"],
    "index": ["sessions_closed_last", "campaign_recipients_status"],
    "table": ["message_counts", "message_count_deltas", "campaign_counts",
              "campaign_count_deltas", "campaign_minutes", "campaign_minute_deltas"],
}
TRIGGER_TABLE = {"message": "messages", "campaign": "campaign_recipients"}


def check_migration(env, migrate=None):
    """Sets the store back to version 18, before 019 (the suite's programs
    stopped; the later migrations make their objects only when missing), lets
    the command line migrate it (migrate(), when given, instead of a
    command with the harness's time limit), and checks the counts migration
    019 makes from the rows it finds."""
    if env.engine == "postgresql":
        drop = ["DROP TRIGGER %s ON %s" % (t, TRIGGER_TABLE[t.split("_")[0]])
                for t in MADE["trigger"]]
        drop += ["DROP FUNCTION %s" % f for f in ("message_counts_change()",
                 "campaign_counts_change()", "campaign_minutes_change()")]
        drop += ["DROP INDEX %s" % i for i in MADE["index"]]
        drop += ["DROP TABLE %s" % t for t in MADE["table"]]
        drop.append("UPDATE schema_version SET version = 18")
    else:
        drop = ["DROP %s %s" % (kind.upper(), name) for kind in ("trigger", "index", "table")
                for name in MADE[kind]]
        drop.append("PRAGMA user_version = 18")
    for stmt in drop:
        env.sql(stmt)
    if migrate is None:
        env.cli("settings", "list")
    else:
        migrate()
    version = rows(env, "SELECT version FROM schema_version" if env.engine == "postgresql"
                   else "PRAGMA user_version")
    env.check(version == [(str(schema_newest()),)], "the store set back to 18 is migrated to"
              " the newest, %d" % schema_newest(), repr(version))
    check_exact(env, " after migration 019 made them again")
