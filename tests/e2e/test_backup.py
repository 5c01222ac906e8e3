"""Backups and restores as an operator makes them: a backup no one else may
read, a restore that sends nothing twice (what the backup had not finished is
looked up in Infobip's logs first) and that refuses while the store is open or
the backup is unsound; a read-only store checked and backed up; and a run as
root that leaves nothing the store's owner cannot use."""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BUILD, Env, holds_flock, schema_newest  # noqa: E402

env = Env("backup", procs=1)
cid = env.add_connection(name="Sent before the restore")
# Stopped while the backup is taken: its messages are still unsent at the restore.
later = env.add_connection(name="Started after the restore", start=False)
INTERVAL = 2
env.cli("settings", "set", "unsure_resend_after_seconds", str(INTERVAL))
# No delivery reports: only Infobip's logs may settle what the backup had not.
env.sim("/_sim/config", {"dlr_delay": 600})
ROOT = os.geteuid() == 0


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def kept_files():
    return sorted(f for f in os.listdir(env.var) if ".replaced-" in f)


def one_line_refusal(p, word):
    return p.returncode == 1 and len(p.stderr.strip().splitlines()) == 1 and word in p.stderr


def at_infobip(uid):
    return len(env.sim("/_sim/messages?messageId=" + urllib.parse.quote(uid))["messages"])


def lookups():
    """messageId -> how many times Infobip's logs were asked for it."""
    n = {}
    for path in ("/sms/3/logs", "/sms/1/logs"):
        for r in env.sim("/_sim/requests?path=" + path)["requests"]:
            for uid in urllib.parse.parse_qs(r["query"]).get("messageId", []):
                n[uid] = n.get(uid, 0) + 1
    return n


def pg_branch():
    """What applies on PostgreSQL, where the server's own tools back up and
    restore and where there is no file to own, copy or make read-only: the
    refusals (one line, exit 1, nothing changed, nothing written), check
    (sound, in a read-only session too, and each thing it looks for found),
    and README's pg_dump / pg_restore round trip giving a store the
    programs go on with."""
    from harness import new_pg_database, pg_rows  # noqa: E402
    for i in range(5):
        env.cli("send", "--connection", cid, "--to", "4915112362%03d" % i, "--text", "pg %d" % i)
    before = env.snapshot()
    cwd = tempfile.mkdtemp(prefix="ibc-pgcwd-")

    def cli_in(*args, extra=None):
        return subprocess.run([os.path.join(BUILD, "ibchannel")] + list(args),
                              env=dict(env.env, **(extra or {})), cwd=cwd, capture_output=True,
                              text=True, timeout=60)

    target = os.path.join(env.dir, "backup.db")
    p = cli_in("backup", target)
    env.check(one_line_refusal(p, "pg_dump") and "PostgreSQL" in p.stderr,
              "backup on PostgreSQL: refused in one line naming pg_dump", p.stderr)
    env.check(not os.path.exists(target) and not os.path.exists(target + ".partial"),
              "the refused backup wrote no file")
    existing = os.path.join(env.dir, "some.db")
    open(existing, "w").close()
    p = cli_in("restore", existing)
    env.check(one_line_refusal(p, "pg_restore") and "PostgreSQL" in p.stderr,
              "restore on PostgreSQL: refused in one line naming pg_restore", p.stderr)
    p = cli_in("restore", os.path.join(env.dir, "none.db"))
    env.check(one_line_refusal(p, "pg_restore"), "restore of no file: the same refusal", p.stderr)
    env.check(env.snapshot() == before, "the refusals changed nothing in the store")
    sender = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "30"],
                              env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env.check(env.wait_for(lambda: env.sql1("SELECT COUNT(*) FROM outbox") == 0, 30),
              "a sender runs meanwhile")
    p = cli_in("restore", existing)
    env.check(one_line_refusal(p, "pg_restore"), "restore refused while a sender runs too",
              p.stderr)
    sender.terminate()
    sender.wait(30)
    env.check(os.listdir(cwd) == [] and os.path.getsize(existing) == 0,
              "the refusals made no file (no lock, no directory after the URI)",
              repr(os.listdir(cwd)))

    # check: sound, also in a session that cannot write (a read-only role's
    # case: PostgreSQL's read-only store).
    p = cli_in("check")
    env.check(p.returncode == 0 and p.stdout == "schema version %d\nintegrity ok\n" % schema_newest(),
              "check: schema version and ok", p.stdout + p.stderr)
    p = cli_in("check", extra={"PGOPTIONS": "-c default_transaction_read_only=on"})
    env.check(p.returncode == 0 and "integrity ok" in p.stdout,
              "check in a read-only session", p.stdout + p.stderr)
    u = urllib.parse.urlsplit(env.db)
    nowhere = urllib.parse.urlunsplit((u.scheme, u.netloc, "/no_such_store", u.query, ""))
    p = cli_in("check", extra={"IBCHANNEL_DB": nowhere})
    env.check(p.returncode == 1 and "integrity ok" not in p.stdout,
              "check of a database that does not exist: exit 1", p.stdout + p.stderr)
    # What check looks for, each made as an interrupted restore or a hand at
    # psql would leave it, then undone.
    try:
        pg_rows(env.db, "CREATE UNIQUE INDEX CONCURRENTLY direction_once ON messages (direction)")
    except RuntimeError:
        pass  # the duplicates stop it and leave the index invalid, as wanted
    breaks = [
        ("ALTER TABLE messages DISABLE TRIGGER campaign_recipient_follows",
         "ALTER TABLE messages ENABLE TRIGGER campaign_recipient_follows",
         "trigger campaign_recipient_follows on messages is disabled"),
        ("ALTER TABLE outbox DISABLE TRIGGER ALL", "ALTER TABLE outbox ENABLE TRIGGER ALL",
         "foreign key outbox_message_id_fkey on outbox is not enforced"),
        ("ALTER TABLE outbox ADD CONSTRAINT attempts_counted CHECK (attempts >= 0) NOT VALID",
         "ALTER TABLE outbox DROP CONSTRAINT attempts_counted",
         "constraint attempts_counted on outbox is not validated"),
        ("SELECT 1", "DROP INDEX direction_once", "index direction_once is not valid"),
        ("INSERT INTO schema_version (version) VALUES (16)",
         "DELETE FROM schema_version WHERE version = 16",
         "schema_version holds 2 rows, not one"),
    ]
    for brk, _, _ in breaks:
        pg_rows(env.db, brk)
    p = cli_in("check")
    for _, _, line in breaks:
        env.check(p.returncode == 1 and "integrity problems:" in p.stdout and line in p.stdout,
                  "check finds: " + line, p.stdout + p.stderr)
    for _, fix, _ in breaks:
        pg_rows(env.db, fix)
    p = cli_in("check")
    env.check(p.returncode == 0 and "integrity ok" in p.stdout, "check: ok once undone",
              p.stdout + p.stderr)

    # README's way: pg_dump -Fc while everything runs, pg_restore into an
    # empty database; the restored store is sound, holds the same rows, and
    # the programs go on with it (new ids after the restored ones).
    # Three the sender has not sent yet (the one above is gone): unsent in the dump.
    for i in range(3):
        env.cli("send", "--connection", cid, "--to", "4915112363%03d" % i, "--text", "unsent %d" % i)
    dump = os.path.join(env.dir, "ibchannel.dump")
    p = subprocess.run(["pg_dump", "-Fc", "-f", dump, "-d", env.db], capture_output=True, text=True)
    env.check(p.returncode == 0, "pg_dump -Fc of the store", p.stderr)
    restored = new_pg_database()
    p = subprocess.run(["pg_restore", "-d", restored, dump], capture_output=True, text=True)
    env.check(p.returncode == 0 and p.stderr == "", "pg_restore into an empty database", p.stderr)
    renv = {"IBCHANNEL_DB": restored}
    p = cli_in("check", extra=renv)
    env.check(p.returncode == 0 and "integrity ok" in p.stdout, "check of the restored store",
              p.stdout + p.stderr)
    mine = env.snapshot()
    theirs = {}
    for t in mine:
        theirs[t] = pg_rows(restored, 'SELECT * FROM "%s" ORDER BY 1' % t)
    env.check(theirs == mine, "the restored store holds the same rows",
              repr([t for t in mine if theirs.get(t) != mine[t]]))
    # What restore does to its copy, asked for by hand after pg_restore:
    # the three unsent messages are looked up before any new send, the
    # running campaign waits for an operator.
    pg_rows(restored, "INSERT INTO campaigns (name, connection_id, text, state, started_at)"
            " VALUES ('RESTORED_RUN', ?, 'hi', 'running', '2026-01-01 00:00:00')", (cid,))
    p = cli_in("restored", extra=renv)
    env.check(p.returncode == 0 and "3 unsent message(s)" in p.stdout and
              "1 campaign(s) paused" in p.stdout, "restored: three unsent, one campaign paused",
              p.stdout + p.stderr)
    marks = pg_rows(restored, "SELECT (SELECT COUNT(*) FROM outbox o JOIN messages m"
                    " ON m.id = o.message_id WHERE m.status = 'sending' AND o.unsure_since"
                    " IS NOT NULL), (SELECT state FROM campaigns WHERE name = 'RESTORED_RUN'),"
                    " (SELECT COUNT(*) FROM logs WHERE text LIKE 'marked as restored%')")
    env.check(marks == [(3, "paused", 1)], "restored: the three are unsure, the campaign"
              " paused, and the log says so", repr(marks))
    top = env.sql1("SELECT MAX(id) FROM messages")
    p = cli_in("send", "--connection", cid, "--to", "491511236299", "--text", "after", extra=renv)
    env.check(p.returncode == 0 and p.stdout.strip().isdigit() and int(p.stdout) > top,
              "a send on the restored store takes a new id", p.stdout + p.stderr)
    shutil.rmtree(cwd, ignore_errors=True)
    env.done()


if env.engine == "postgresql":
    # Items 14, 1, 5 and 13 below are about a file (its mode, group, WAL,
    # lock, read-only directory, owner); pg_branch checks what applies.
    pg_branch()

# --- Item 14: a backup is the owner's (and the group's when the store lets it read) ---
os.chmod(env.db, 0o640)
b640 = os.path.join(env.dir, "backup-640.db")
env.cli("backup", b640)
env.check(mode(b640) == 0o640, "a backup of a 0640 store is 0640", oct(mode(b640)))
env.check(os.stat(b640).st_gid == os.stat(env.db).st_gid, "a backup has the store's group")
os.chmod(env.db, 0o600)
b600 = os.path.join(env.dir, "backup-600.db")
env.cli("backup", b600)
env.check(mode(b600) == 0o600, "a backup of a 0600 store is 0600, not world-readable",
          oct(mode(b600)))

# --- Item 1: restore; nothing goes out twice --------------------------------------------
os.chmod(env.db, 0o660)
sent_before = [int(env.cli("send", "--connection", cid, "--to", "4915112360%03d" % i,
                           "--text", "before %d" % i).stdout) for i in range(40)]
unsent = [int(env.cli("send", "--connection", later, "--to", "4915112361%03d" % i,
                      "--text", "unsent %d" % i).stdout) for i in range(5)]
uids = {m: env.sql1("SELECT uid FROM messages WHERE id = ?", (m,)) for m in sent_before + unsent}
# A running campaign in the backup: recipients it releases after the backup
# would be planned again in it, so the restore pauses it for an operator.
camp = env.sql("INSERT INTO campaigns (name, connection_id, text, state, started_at)"
               " VALUES ('RESTORED_RUN', ?, 'hi', 'running', '2026-01-01 00:00:00')"
               " RETURNING id", (cid,))[0][0]
backup = os.path.join(env.dir, "backup.db")
env.cli("backup", backup)
env.sql("UPDATE campaigns SET state = 'completed' WHERE id = ?", (camp,))
env.wait_for(lambda: env.cli("sender", "--once", check=False) and
             env.sql1("SELECT COUNT(*) FROM outbox o JOIN messages m ON m.id = o.message_id"
                      " WHERE m.connection_id = ?", (cid,)) == 0, 30)
env.check(all(at_infobip(uids[m]) == 1 for m in sent_before),
          "before the restore: the sender sent the first 40 once")

# The store's group and mode, to be kept (root may give it any group; others one of theirs).
group = 65534 if ROOT else next((g for g in os.getgroups() if g != os.getegid()), os.getegid())
os.chown(env.db, -1, group)

# Refused while a program has the store open: inbound.fcgi after a request.
env.check(env.get("/health").status == 200, "/health answers (inbound.fcgi opens the store)")
p = env.cli("restore", backup, check=False)
env.check(one_line_refusal(p, "open in another program"),
          "restore refused while inbound.fcgi has the store open", p.stderr)
for proc in env.procs:
    if proc.args[0] == "lighttpd":
        proc.terminate()
        proc.wait(10)

# Refused while a sender runs (it holds the lock and the store).
sender = subprocess.Popen([os.path.join(BUILD, "ibchannel"), "sender", "--for", "30"],
                          env=env.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
env.wait_for(lambda: holds_flock(sender.pid), 10)
p = env.cli("restore", backup, check=False)
env.check(one_line_refusal(p, "sender is running"), "restore refused while a sender runs", p.stderr)
p = env.cli("restored", check=False)
env.check(one_line_refusal(p, "sender is running"), "restored refused while a sender runs",
          p.stderr)
sender.terminate()
sender.wait(30)
before_restore = env.snapshot()

# Refused: a backup that fails its integrity check, a file that is no store, no file.
corrupt = os.path.join(env.dir, "corrupt.db")
shutil.copyfile(backup, corrupt)
with open(corrupt, "r+b") as f:
    size = os.path.getsize(corrupt)
    for off in range(8192, size - 4096, 12288):
        f.seek(off)
        f.write(b"\xa5" * 1500)
junk = os.path.join(env.dir, "junk.db")
with open(junk, "wb") as f:
    f.write(os.urandom(20000))
for path, word, what in ((corrupt, "integrity", "a backup with damaged pages"),
                         (junk, "not a readable store", "a file that is no store"),
                         (os.path.join(env.dir, "none.db"), "No such file", "no file")):
    p = env.cli("restore", path, check=False)
    env.check(one_line_refusal(p, word), "restore refused: %s" % what, p.stderr)
env.check(kept_files() == [] and env.snapshot() == before_restore,
          "the refused restores changed nothing")

st_old = os.stat(env.db)
p = env.cli("restore", backup, check=False)
env.check(p.returncode == 0 and "45 unsent message(s)" in p.stdout, "restore done", p.stdout + p.stderr)
env.check(env.sql1("SELECT state FROM campaigns WHERE id = ?", (camp,)) == "paused" and
          "1 campaign(s) paused" in p.stdout,
          "the restore paused the campaign that was running in the backup", p.stdout)
st_new = os.stat(env.db)
env.check((st_new.st_uid, st_new.st_gid, mode(env.db)) == (st_old.st_uid, group, 0o660),
          "the restored store keeps the owner, group and mode of the one it replaced",
          "%d:%d %o" % (st_new.st_uid, st_new.st_gid, mode(env.db)))
kept = kept_files()
env.check(len(kept) == 1 and sqlite3.connect(os.path.join(env.var, kept[0])).execute(
    "SELECT COUNT(*) FROM outbox").fetchone()[0] == 5,
          "the replaced store is kept beside it, as it was", repr(kept))
env.check(not os.path.exists(env.db + "-wal") or os.path.getsize(env.db + "-wal") == 0,
          "no WAL of the old store is left beside the new one")
env.check(not [f for f in os.listdir(env.var) if ".restoring" in f or ".partial" in f],
          "no work file of the restore is left", repr(os.listdir(env.var)))
env.check(env.sql1("SELECT COUNT(*) FROM outbox o JOIN messages m ON m.id = o.message_id"
                   " WHERE m.status = 'sending' AND o.unsure_since IS NOT NULL") == 45,
          "every message the backup had not finished is unsure")

env.cli("connection", "start", later)
asked_before = lookups()
env.wait_for(lambda: env.cli("sender", "--once", check=False) and
             env.sql1("SELECT COUNT(*) FROM outbox") == 0, 40, 0.2)
asked = lookups()
twice = [m for m in uids if at_infobip(uids[m]) != 1]
env.check(not twice, "after the restore every message reached Infobip exactly once",
          "%d not once, e.g. %r" % (len(twice), [(m, at_infobip(uids[m])) for m in twice[:3]]))
env.check(all(asked.get(uids[m], 0) > asked_before.get(uids[m], 0) for m in uids),
          "each message not final in the backup was looked up in Infobip's logs",
          "%d not" % sum(1 for m in uids if asked.get(uids[m], 0) <= asked_before.get(uids[m], 0)))
env.check(env.sql1("SELECT COUNT(*) FROM messages WHERE id IN (%s) AND status = 'accepted'"
                   % ",".join(str(m) for m in uids)) == 45,
          "all 45 settled as accepted")

# --- Item 5: a read-only store can be checked and backed up ------------------------------
# Root ignores file modes: the commands run as nobody then; others as themselves.
ro = tempfile.mkdtemp(prefix="ibc-ro-")
os.chmod(ro, 0o755)
out = tempfile.mkdtemp(prefix="ibc-out-")
os.chmod(out, 0o777)
shutil.copy(os.path.join(BUILD, "ibchannel"), os.path.join(ro, "ibchannel"))
os.chmod(os.path.join(ro, "ibchannel"), 0o755)
ro_db = os.path.join(ro, "ibchannel.db")
shutil.copyfile(env.db, ro_db)
os.chmod(ro_db, 0o444)
os.chmod(ro, 0o555)
as_other = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if ROOT else []
ro_env = dict(env.env, IBCHANNEL_DB=ro_db)
p = subprocess.run(as_other + [os.path.join(ro, "ibchannel"), "check"], env=ro_env,
                   capture_output=True, text=True, timeout=60)
env.check(p.returncode == 0 and "integrity ok" in p.stdout,
          "check of a store whose file and directory are read-only", p.stdout + p.stderr)
ro_backup = os.path.join(out, "ro-backup.db")
p = subprocess.run(as_other + [os.path.join(ro, "ibchannel"), "backup", ro_backup],
                   env=ro_env, capture_output=True, text=True, timeout=60)
env.check(p.returncode == 0 and os.path.exists(ro_backup) and
          sqlite3.connect(ro_backup).execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 45,
          "backup of a read-only store", p.stdout + p.stderr)
env.check(sorted(os.listdir(ro)) == ["ibchannel", "ibchannel.db"],
          "nothing was written beside the read-only store", repr(os.listdir(ro)))

# --- Item 13: a run as root leaves what it makes to the store's owner --------------------
if not ROOT:
    print("SKIP backup: the run-as-root checks need root (this run is uid %d)" % os.geteuid(),
          flush=True)
else:
    own = tempfile.mkdtemp(prefix="ibc-own-")
    os.chmod(own, 0o755)
    shutil.copy(os.path.join(BUILD, "ibchannel"), os.path.join(own, "ibchannel"))
    var = os.path.join(own, "var")
    os.mkdir(var, 0o750)
    os.chown(var, 65534, 65534)
    own_env = dict(env.env, IBCHANNEL_DB=os.path.join(var, "ibchannel.db"),
                   IBCHANNEL_KEY_FILE=os.path.join(var, "ibchannel.key"))
    exe = os.path.join(own, "ibchannel")

    def run(*args, user=False):
        return subprocess.run((as_other if user else []) + [exe] + list(args), env=own_env,
                              capture_output=True, text=True, timeout=60)

    p = run("init")
    env.check(p.returncode == 0, "root: init in a directory nobody owns", p.stderr)
    p = run("sender", "--once")
    env.check(p.returncode == 0, "root: a sender run", p.stderr)
    p = run("backup", os.path.join(var, "root-backup.db"))
    env.check(p.returncode == 0, "root: a backup", p.stderr)
    foreign = [(f, os.stat(os.path.join(var, f)).st_uid, os.stat(os.path.join(var, f)).st_gid)
               for f in os.listdir(var)
               if (os.stat(os.path.join(var, f)).st_uid,
                   os.stat(os.path.join(var, f)).st_gid) != (65534, 65534)]
    env.check(not foreign and "ibchannel.db.sender.lock" in os.listdir(var),
              "root: every file beside the store is its owner's and group's", repr(foreign))
    p = run("sender", "--once", user=True)
    env.check(p.returncode == 0, "the store's owner runs the sender after root did", p.stderr)
    p = run("check", user=True)
    env.check(p.returncode == 0, "the store's owner checks the store after root's runs", p.stderr)
    shutil.rmtree(own, ignore_errors=True)

os.chmod(ro, 0o755)
shutil.rmtree(ro, ignore_errors=True)
shutil.rmtree(out, ignore_errors=True)
env.done()
