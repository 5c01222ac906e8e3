/* The store as a SQLite file (the SQLite side of the kit): who runs on it, its integrity, a copy at one moment (backup), putting one back (restore) and reading it out for a copy into PostgreSQL. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "db.h"
#include "db_copy.h"
#include "db_sqlite.h"
#include "log.h"
#include "sqlembed.h"
#include "store.h"
#include "store_private.h"

/* What a restore does to the copy before it takes the store's place. */
enum f {
	F_RESTORE_MESSAGES,
	F_RESTORE_OUTBOX,
	F_RESTORE_CAMPAIGNS,
	F_INTEGRITY,
	F__MAX
};

static const struct db_sql file_stmt[F__MAX] = {
	/*
	 * A message the backup still had to send may have gone out after
	 * the backup was taken: 'sending' makes the sender look it up in
	 * Infobip's logs before any new send (the unsure path).
	 */
	DB_SQL(F_RESTORE_MESSAGES, "UPDATE messages SET"
	    " status = 'sending', updated_at = " NOW " WHERE status IN"
	    " ('queued', 'sending') AND id IN (SELECT message_id FROM outbox)"),
	/* Unsure from the restore on, with no lease and no lookup yet. */
	DB_SQL(F_RESTORE_OUTBOX, "UPDATE outbox SET"
	    " lease_owner = NULL, lease_until = NULL, unsure_since = " NOW ","
	    " not_found = 0, next_attempt_at = " NOW ", last_error = ?"
	    " WHERE message_id IN (SELECT id FROM messages"
	    " WHERE status = 'sending')"),
	/*
	 * Recipients released after the backup are planned again in it, and
	 * a release would make them new messages: campaigns wait for an
	 * operator, who compares with the replaced store before resuming.
	 */
	DB_SQL(F_RESTORE_CAMPAIGNS, "UPDATE campaigns SET"
	    " state = 'paused' WHERE state IN ('scheduled', 'running')"),
	/*
	 * The engine's own check of the store: a line per problem, or the
	 * one line "ok". SQLite reads every page and index; PostgreSQL's
	 * text asks the catalogs (db_pg_sql.c).
	 */
	DB_SQL(F_INTEGRITY, "PRAGMA integrity_check"),
};

const struct db_table file_sql = { DB_SLOT_FILE, F__MAX, file_stmt };

/* Writes a refusal into why; returns 0. */
static int
refuse(char *why, size_t whysz, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	return 0;
}

void
store_dir_of(const char *path, char *dir, size_t dirsz)
{
	char	*slash;

	snprintf(dir, dirsz, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, dirsz, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
}

int
store_run_as_owner(const char *path, int inputs, char *why, size_t whysz)
{
	struct passwd	*pw;
	struct stat	 sb;
	char		 dir[4096];
	int		 rc;

	if (geteuid() != 0)
		return 1;
	if (path == NULL)
		path = store_default_path();
	/* A server's store has no file here to own. */
	if (db_on_server(path))
		return 1;
	/* Before init: the directory that will hold the store. */
	store_dir_of(path, dir, sizeof(dir));
	if (stat(path, &sb) == -1 && stat(dir, &sb) == -1)
		return 1;
	if (sb.st_uid == 0)
		return 1;
	pw = getpwuid(sb.st_uid);
	rc = pw != NULL ? initgroups(pw->pw_name, sb.st_gid) :
	    setgroups(1, &sb.st_gid);
	/* Effective ids only, for inputs: root's rights come back in store_input_open. */
	if (inputs)
		rc = rc == -1 || setegid(sb.st_gid) == -1 ||
		    seteuid(sb.st_uid) == -1 ? -1 : 0;
	else
		rc = rc == -1 || setgid(sb.st_gid) == -1 ||
		    setuid(sb.st_uid) == -1 || setuid(0) != -1 ? -1 : 0;
	if (rc == -1) {
		refuse(why, whysz, "running as root, and cannot become the"
		    " owner of %s (uid %ld, gid %ld): %s; run as that user",
		    path, (long)sb.st_uid, (long)sb.st_gid, strerror(errno));
		return -1;
	}
	log_debug("running as the store's owner, uid %ld gid %ld",
	    (long)sb.st_uid, (long)sb.st_gid);
	return 1;
}

FILE *
store_input_open(const char *path)
{
	FILE	*f;
	uid_t	 euid = geteuid();
	int	 saved;

	if (getuid() != 0 || euid == 0)
		return fopen(path, "r");
	if (seteuid(0) == -1)
		return NULL;
	f = fopen(path, "r");
	saved = errno;
	if (seteuid(euid) == -1) {
		/* Never go on as root by accident. */
		log_error("seteuid: %s", strerror(errno));
		abort();
	}
	errno = saved;
	return f;
}

/*
 * Creates path anew (never over a file) for data copied from the store
 * whose attributes are in sb: mode, or the store's own mode when mode is
 * 0, and the store's group (and owner, when we may give it). Returns the
 * descriptor, or -1 with errno (EEXIST: path exists).
 */
static int
create_beside(const char *path, const struct stat *sb, mode_t mode)
{
	int	 fd;

	if (mode == 0)
		mode = sb->st_mode & 07777;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    mode & 0600)) == -1)
		return -1;
	/* The umask may have cut it; the owner and group come before the group's bits. */
	if (fchown(fd, geteuid() == 0 ? sb->st_uid : (uid_t)-1,
	    sb->st_gid) == -1 && (geteuid() == 0 || getegid() != sb->st_gid))
		log_warn("%s: cannot give it the store's group %ld: %s", path,
		    (long)sb->st_gid, strerror(errno));
	if (fchmod(fd, mode) == -1) {
		log_error("fchmod: %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	return fd;
}

/* fsyncs the file at path. > 0 done, < 0 error (logged). */
static int
sync_file(const char *path)
{
	int	 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_error("open: %s: %s", path, strerror(errno));
		return -1;
	}
	if ((rc = fsync(fd)) == -1)
		log_error("fsync: %s: %s", path, strerror(errno));
	close(fd);
	return rc == -1 ? -1 : 1;
}

/*
 * Copies all of src into dst (an empty database) in one step: one read
 * transaction of src, so one consistent moment. SQLITE_DONE, or the
 * SQLite error that stopped it.
 */
static int
copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup	*b;
	int		 rc;

	if ((b = sqlite3_backup_init(dst, "main", src, "main")) == NULL)
		return sqlite3_errcode(dst);
	/* In WAL mode a reader blocks no writer: the webhooks go on meanwhile. */
	while ((rc = sqlite3_backup_step(b, -1)) == SQLITE_BUSY ||
	    rc == SQLITE_LOCKED)
		usleep(1000);
	if (sqlite3_backup_finish(b) != SQLITE_OK && rc == SQLITE_DONE)
		rc = sqlite3_errcode(dst);
	return rc;
}

/*
 * Runs PRAGMA integrity_check on db; its lines (up to outsz) go to out. 1
 * sound, 0 problems, < 0 the check could not run (its error in out).
 */
static int
db_integrity(sqlite3 *db, char *out, size_t outsz)
{
	sqlite3_stmt	*s = NULL;
	size_t		 len = 0;
	int		 rc, rows = 0, ok = 0;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, file_stmt[F_INTEGRITY].sql, -1, &s,
	    NULL) != SQLITE_OK) {
		snprintf(out, outsz, "%s", sqlite3_errmsg(db));
		return -1;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);

		if (t == NULL)
			continue;
		if (rows++ == 0 && strcmp(t, "ok") == 0)
			ok = 1;
		if (len < outsz)
			len += (size_t)snprintf(out + len, outsz - len, "%s%s",
			    len > 0 ? "\n" : "", t);
	}
	if (rc != SQLITE_DONE)
		snprintf(out, outsz, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return -1;
	return ok && rows == 1;
}

/*
 * The check's lines of a store on a server, as db_integrity gives
 * SQLite's: 1 sound, 0 problems, < 0 error (logged by the kit).
 */
static int
server_integrity(struct db *db, char *out, size_t outsz)
{
	struct db_stmt	*s;
	size_t		 len = 0;
	int		 rc, rows = 0, ok = 0;

	out[0] = '\0';
	for (rc = db_run(db, &file_sql, F_INTEGRITY, &s, ""); rc == DB_ROW;
	    rc = db_step(s)) {
		const char *t = db_str(s, 0);

		if (rows++ == 0 && strcmp(t, "ok") == 0)
			ok = 1;
		if (len < outsz)
			len += (size_t)snprintf(out + len, outsz - len, "%s%s",
			    len > 0 ? "\n" : "", t);
	}
	db_reset(s);
	if (rc != DB_DONE) {
		snprintf(out, outsz, "%s", db_errmsg(db));
		return -1;
	}
	return ok && rows == 1;
}

int
store_integrity(struct store *st, char *out, size_t outsz)
{
	sqlite3	*h;
	int	 rc;

	if ((h = db_sqlite_handle(st->db)) == NULL)
		return server_integrity(st->db, out, outsz);
	if ((rc = db_integrity(h, out, outsz)) < 0)
		log_error("integrity_check: %s", out);
	return rc;
}

int
store_backup(struct store *st, const char *path, char *why, size_t whysz)
{
	sqlite3		*dst = NULL;
	struct stat	 sb;
	const char	*db;
	char		 tmp[4096];
	int		 rc, fd, ret = -1;

	why[0] = '\0';
	/* A server's store is copied by the server's own tools, at one moment too. */
	if (db_sqlite_handle(st->db) == NULL)
		return refuse(why, whysz, "the store is on a PostgreSQL server:"
		    " back it up with pg_dump -Fc (one consistent moment while"
		    " the programs run), or the whole cluster with"
		    " pg_basebackup");
	if (stat(path, &sb) == 0)
		return refuse(why, whysz, "%s exists; a backup never replaces"
		    " a file", path);
	if (snprintf(tmp, sizeof(tmp), "%s.partial", path) >= (int)sizeof(tmp)) {
		log_error("backup: path too long");
		return -1;
	}
	if ((db = sqlite3_db_filename(db_sqlite_handle(st->db), "main")) == NULL ||
	    stat(db, &sb) == -1) {
		log_error("backup: stat: %s: %s", db != NULL ? db : "the store",
		    strerror(errno));
		return -1;
	}
	/*
	 * Every message and number: the store's owner, and its group only
	 * when the store lets its group read, never others.
	 */
	unlink(tmp);
	if ((fd = create_beside(tmp, &sb, sb.st_mode & S_IRGRP ? 0640 :
	    0600)) == -1) {
		log_error("backup: %s: %s", tmp, strerror(errno));
		return -1;
	}
	close(fd);
	/* A backup is whole or absent: written aside, then linked in place. */
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		log_error("sqlite3_open_v2: %s: %s", tmp, dst != NULL ?
		    sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((rc = copy_db(dst, db_sqlite_handle(st->db))) != SQLITE_DONE) {
		log_error("backup: %s", sqlite3_errstr(rc));
		goto out;
	}
	/* One self-contained file: no -wal beside it to copy along. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL,
	    NULL) != SQLITE_OK) {
		log_error("backup: journal_mode: %s", sqlite3_errmsg(dst));
		goto out;
	}
	if (sqlite3_close(dst) != SQLITE_OK) {
		log_error("sqlite3_close: %s", tmp);
		goto out;
	}
	dst = NULL;
	if (sync_file(tmp) < 0)
		goto out;
	/* link, not rename: a file that appeared meanwhile is not replaced. */
	if (link(tmp, path) == -1) {
		if (errno == EEXIST)
			ret = refuse(why, whysz, "%s exists; a backup never"
			    " replaces a file", path);
		else
			log_error("link: %s: %s", path, strerror(errno));
		goto out;
	}
	ret = 1;
out:
	sqlite3_close(dst);
	unlink(tmp);
	return ret;
}

/*
 * Opens the store at path alone: refused (0, why) while another
 * connection has it open. Leaving WAL needs every other connection gone
 * (each holds a shared lock on the file while open), and the WAL's pages
 * go into the file on the way; the exclusive lock then keeps newcomers
 * waiting until *db is closed. > 0 with *db, < 0 error (why says).
 */
static int
store_alone(const char *path, sqlite3 **db, char *why, size_t whysz)
{
	static const char *const steps[] = { "PRAGMA journal_mode = DELETE",
	    "PRAGMA locking_mode = EXCLUSIVE", "BEGIN EXCLUSIVE" };
	size_t	 i;
	int	 rc = SQLITE_OK;

	if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		refuse(why, whysz, "cannot open the store %s: %s", path,
		    *db != NULL ? sqlite3_errmsg(*db) : "out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && rc == SQLITE_OK;
	    i++)
		rc = sqlite3_exec(*db, steps[i], NULL, NULL, NULL);
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return refuse(why, whysz, "the store %s is open in another"
		    " program; stop the web server's programs and the sender"
		    " first", path);
	if (rc != SQLITE_OK) {
		refuse(why, whysz, "the store %s: %s", path,
		    sqlite3_errmsg(*db));
		return -1;
	}
	return 1;
}

/*
 * Copies backup into tmp (created with the store's attributes sb) and
 * checks it: a sound ibchannel store no newer than these programs. > 0
 * done, 0 refused (why), < 0 error (why).
 */
static int
restore_copy(const char *backup, const char *tmp, const struct stat *sb,
    int *version, char *why, size_t whysz)
{
	sqlite3		*src = NULL, *dst = NULL;
	sqlite3_stmt	*s = NULL;
	char		 report[512];
	int		 fd, rc, ret = -1;

	if ((fd = create_beside(tmp, sb, 0)) == -1) {
		refuse(why, whysz, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	close(fd);
	if (sqlite3_open_v2(backup, &src, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		ret = refuse(why, whysz, "cannot open %s: %s", backup,
		    src != NULL ? sqlite3_errmsg(src) : "out of memory");
		goto out;
	}
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		refuse(why, whysz, "cannot open %s: %s", tmp, dst != NULL ?
		    sqlite3_errmsg(dst) : "out of memory");
		goto out;
	}
	if ((rc = copy_db(dst, src)) != SQLITE_DONE) {
		ret = refuse(why, whysz, "%s is not a readable store: %s",
		    backup, sqlite3_errstr(rc));
		goto out;
	}
	if ((rc = db_integrity(dst, report, sizeof(report))) <= 0) {
		ret = refuse(why, whysz, "%s fails its integrity check: %s",
		    backup, report);
		goto out;
	}
	*version = -1;
	if (sqlite3_prepare_v2(dst, "PRAGMA user_version", -1, &s, NULL) ==
	    SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	if (*version <= 0) {
		ret = refuse(why, whysz, "%s is not an ibchannel store (schema"
		    " version %d)", backup, *version);
		goto out;
	}
	if (*version > sqlembed[sqlembed_count - 1].version) {
		ret = refuse(why, whysz, "%s has schema version %d, newer than"
		    " these programs know (%d)", backup, *version,
		    sqlembed[sqlembed_count - 1].version);
		goto out;
	}
	ret = 1;
out:
	sqlite3_finalize(s);
	sqlite3_close(src);
	sqlite3_close(dst);
	return ret;
}

int
store_restore_marks(struct store *st, int64_t *unsure, int64_t *paused)
{
	*unsure = *paused = 0;
	if (store_begin(st) < 0 ||
	    db_exec(st->db, &file_sql, F_RESTORE_MESSAGES, "") < 0 ||
	    db_exec_count(st->db, &file_sql, F_RESTORE_OUTBOX, unsure, "s",
	    "restored from a backup: Infobip's logs are read before it is"
	    " sent again") < 0 ||
	    db_exec_count(st->db, &file_sql, F_RESTORE_CAMPAIGNS, paused,
	    "") < 0 ||
	    store_commit(st) < 0) {
		store_rollback(st);
		return -1;
	}
	return 1;
}

/*
 * Migrates the copy at tmp, makes every message it still had to send
 * unsure and pauses its scheduled and running campaigns. > 0 with *unsure
 * and *paused, < 0 error (why).
 */
static int
restore_settle(const char *tmp, int64_t *unsure, int64_t *paused, char *why,
    size_t whysz)
{
	struct store	*st = NULL;
	int		 ret = -1;

	if (store_open(tmp, STORE_OPEN_EXISTING, &st) <= 0) {
		refuse(why, whysz, "cannot open the copy %s (see the log)",
		    tmp);
		return -1;
	}
	if (store_restore_marks(st, unsure, paused) < 0)
		refuse(why, whysz, "cannot prepare the copy %s (see the log)",
		    tmp);
	else
		ret = 1;
	/* The last connection: its WAL goes into the file and away. */
	store_close(st);
	return ret;
}

/* Hard-links the store at path to a free name beside it, into kept. > 0 done, < 0 error (why). */
static int
keep_replaced(const char *path, char *kept, size_t keptsz, char *why,
    size_t whysz)
{
	struct tm	 tm;
	time_t		 now = time(NULL);
	char		 stamp[32];
	int		 i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 1; i < 100; i++) {
		if (snprintf(kept, keptsz, i == 1 ? "%s.replaced-%s" :
		    "%s.replaced-%s-%d", path, stamp, i) >= (int)keptsz) {
			refuse(why, whysz, "%s: path too long", path);
			return -1;
		}
		if (link(path, kept) == 0)
			return 1;
		if (errno != EEXIST)
			break;
	}
	refuse(why, whysz, "cannot keep the store as %s: %s", kept,
	    strerror(errno));
	return -1;
}

int
store_restore(const char *path, const char *backup, struct store_restored *r,
    char *why, size_t whysz)
{
	sqlite3		*old = NULL;
	struct stat	 sb, bb;
	char		 tmp[4096], dir[4096];
	int		 rc, ret = -1;

	memset(r, 0, sizeof(*r));
	why[0] = '\0';
	if (path == NULL)
		path = store_default_path();
	if (db_on_server(path))
		return refuse(why, whysz, "the store is on a PostgreSQL server:"
		    " restore a pg_dump of it with pg_restore (psql for a plain"
		    " dump), or the cluster from its base backup");
	if (stat(backup, &bb) == -1)
		return refuse(why, whysz, "%s: %s", backup, strerror(errno));
	if (!S_ISREG(bb.st_mode))
		return refuse(why, whysz, "%s is not a file", backup);
	if (stat(path, &sb) == -1)
		return refuse(why, whysz, "no store at %s; run 'ibchannel"
		    " init' first", path);
	if (bb.st_dev == sb.st_dev && bb.st_ino == sb.st_ino)
		return refuse(why, whysz, "%s is the store itself", backup);
	if (snprintf(tmp, sizeof(tmp), "%s.restoring", path) >=
	    (int)sizeof(tmp))
		return refuse(why, whysz, "%s: path too long", path);
	if ((rc = store_alone(path, &old, why, whysz)) <= 0) {
		ret = rc;
		goto out;
	}
	unlink(tmp);
	if ((rc = restore_copy(backup, tmp, &sb, &r->version, why,
	    whysz)) <= 0 ||
	    (rc = restore_settle(tmp, &r->unsure, &r->paused, why, whysz)) <= 0 ||
	    (rc = sync_file(tmp)) < 0) {
		ret = rc;
		goto out;
	}
	/* The store stays at its name all along: kept by a link, then replaced whole. */
	if (keep_replaced(path, r->kept, sizeof(r->kept), why, whysz) < 0)
		goto out;
	if (rename(tmp, path) == -1) {
		refuse(why, whysz, "rename %s: %s", tmp, strerror(errno));
		unlink(r->kept);
		r->kept[0] = '\0';
		goto out;
	}
	store_dir_of(path, dir, sizeof(dir));
	sync_file(dir);
	ret = 1;
out:
	sqlite3_close(old);
	unlink(tmp);
	return ret;
}

/* --- Reading the store out for a copy (db_copy.h; store_copy.c) -------- */

struct copy_source {
	sqlite3	*h;
};

/*
 * Runs PRAGMA foreign_key_check on db: 1 none broken, 0 some (the first
 * in out), < 0 the check could not run (its error in out).
 */
static int
db_foreign_keys(sqlite3 *db, char *out, size_t outsz)
{
	sqlite3_stmt	*s = NULL;
	int		 rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &s,
	    NULL) != SQLITE_OK) {
		snprintf(out, outsz, "%s", sqlite3_errmsg(db));
		return -1;
	}
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		snprintf(out, outsz, "row %lld of %s names a missing row of %s",
		    (long long)sqlite3_column_int64(s, 1),
		    (const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 2));
	else if (rc != SQLITE_DONE)
		snprintf(out, outsz, "%s", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : -1;
}

int
copy_source_open(const char *path, struct copy_source **out, int *version,
    char *why, size_t whysz)
{
	struct copy_source	*src;
	sqlite3_stmt		*s = NULL;
	char			 report[512];
	int			 rc;

	*out = NULL;
	*version = -1;
	if ((src = calloc(1, sizeof(*src))) == NULL) {
		refuse(why, whysz, "out of memory");
		return -1;
	}
	/* Alone, as restore: no program writes it until copy_source_close. */
	if ((rc = store_alone(path, &src->h, why, whysz)) <= 0)
		goto err;
	if ((rc = db_integrity(src->h, report, sizeof(report))) <= 0) {
		refuse(why, whysz, "the store %s fails its integrity check: %s",
		    path, report);
		goto err;
	}
	if ((rc = db_foreign_keys(src->h, report, sizeof(report))) <= 0) {
		refuse(why, whysz, "the store %s fails its foreign key check:"
		    " %s", path, report);
		goto err;
	}
	if (sqlite3_prepare_v2(src->h, "PRAGMA user_version", -1, &s,
	    NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	*out = src;
	return 1;
err:
	copy_source_close(src);
	return rc;
}

void
copy_source_close(struct copy_source *src)
{
	if (src == NULL)
		return;
	/* Ends BEGIN EXCLUSIVE (nothing was written) and the exclusive lock. */
	sqlite3_close(src->h);
	free(src);
}

int
copy_source_columns(struct copy_source *src, int (*fn)(const char *,
    const char *, void *), void *arg)
{
	/*
	 * Plain tables only, and not the full-text index's mark and words:
	 * the index (a virtual table, its shadow tables, the mark, the words
	 * of migration 025) is SQLite's own
	 * (sql/018); PostgreSQL's is built from the copied messages.
	 */
	static const char sql[] = "SELECT m.name, c.name FROM"
	    " pragma_table_list m, pragma_table_info(m.name) c WHERE"
	    " m.schema = 'main' AND m.type = 'table' AND m.name"
	    " NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND m.name NOT IN"
	    " ('messages_fts_mark', 'messages_fts_terms') ORDER BY m.name, c.cid";
	sqlite3_stmt	*s = NULL;
	int		 rc, ret = 1;

	if (sqlite3_prepare_v2(src->h, sql, -1, &s, NULL) != SQLITE_OK) {
		log_error("the store's columns: %s", sqlite3_errmsg(src->h));
		return -1;
	}
	while (ret > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW)
		ret = fn((const char *)sqlite3_column_text(s, 0),
		    (const char *)sqlite3_column_text(s, 1), arg);
	if (ret > 0 && rc != SQLITE_DONE) {
		log_error("the store's columns: %s", sqlite3_errmsg(src->h));
		ret = -1;
	}
	sqlite3_finalize(s);
	return ret;
}

int
copy_source_rows(struct copy_source *src, const struct copy_table *t,
    int (*fn)(const struct copy_value *, size_t, void *), void *arg)
{
	struct copy_value	 v[COPY_COLS_MAX];
	sqlite3_stmt		*s = NULL;
	char			 sql[COPY_COLS_MAX * (COPY_NAME_MAX + 4) + 256];
	size_t			 len, i;
	int			 rc, ret = 1;

	/* The names were checked (copy_name_valid): double quotes need no escaping. */
	len = (size_t)snprintf(sql, sizeof(sql), "SELECT ");
	for (i = 0; i < t->ncol && len < sizeof(sql); i++)
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    "%s\"%s\"", i > 0 ? ", " : "", t->col[i]);
	if (len < sizeof(sql))
		len += (size_t)snprintf(sql + len, sizeof(sql) - len,
		    " FROM \"%s\"", t->name);
	if (t->ncol == 0 || len >= sizeof(sql)) {
		log_error("%s: no columns, or too many", t->name);
		return -1;
	}
	if (sqlite3_prepare_v2(src->h, sql, -1, &s, NULL) != SQLITE_OK) {
		log_error("%s: %s", t->name, sqlite3_errmsg(src->h));
		return -1;
	}
	while (ret > 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		for (i = 0; i < t->ncol; i++) {
			memset(&v[i], 0, sizeof(v[i]));
			switch (sqlite3_column_type(s, (int)i)) {
			case SQLITE_INTEGER:
				v[i].type = COPY_INT;
				v[i].i = sqlite3_column_int64(s, (int)i);
				break;
			case SQLITE_FLOAT:
				v[i].type = COPY_REAL;
				v[i].d = sqlite3_column_double(s, (int)i);
				break;
			case SQLITE_TEXT:
				v[i].type = COPY_TEXT;
				v[i].p = (const char *)sqlite3_column_text(s,
				    (int)i);
				v[i].len = (size_t)sqlite3_column_bytes(s,
				    (int)i);
				break;
			case SQLITE_BLOB:
				v[i].type = COPY_BLOB;
				v[i].p = sqlite3_column_blob(s, (int)i);
				v[i].len = (size_t)sqlite3_column_bytes(s,
				    (int)i);
				break;
			default:
				v[i].type = COPY_NULL;
			}
		}
		ret = fn(v, t->ncol, arg);
	}
	if (ret > 0 && rc != SQLITE_DONE) {
		log_error("%s: %s", t->name, sqlite3_errmsg(src->h));
		ret = -1;
	}
	sqlite3_finalize(s);
	return ret;
}

int
copy_source_ints(struct copy_source *src, const char *sql, int64_t *v,
    size_t n)
{
	sqlite3_stmt	*s = NULL;
	size_t		 i;
	int		 rc = -1;

	if (sqlite3_prepare_v2(src->h, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_column_count(s) == (int)n &&
	    sqlite3_step(s) == SQLITE_ROW) {
		for (i = 0; i < n; i++)
			v[i] = sqlite3_column_int64(s, (int)i);
		rc = 1;
	} else
		log_error("%.60s...: %s", sql, sqlite3_errmsg(src->h));
	sqlite3_finalize(s);
	return rc;
}
