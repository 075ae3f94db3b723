/* Fixed in-memory SQLite workload for the runtime-CPU benchmark.
 * Inserts, indexed and unindexed selects, aggregates, updates, deletes and a
 * join; prints a checksum so every configuration can be checked to compute
 * the same thing. Usage: sqlite_bench [scale]  (default 1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sqlite3.h"

static sqlite3 *db;

static void die(const char *what) {
  fprintf(stderr, "sqlite_bench: %s: %s\n", what, sqlite3_errmsg(db));
  exit(1);
}

static void exec(const char *sql) {
  char *err = 0;
  if (sqlite3_exec(db, sql, 0, 0, &err) != SQLITE_OK) {
    fprintf(stderr, "sqlite_bench: %s: %s\n", sql, err);
    exit(1);
  }
}

static unsigned long long rng = 88172645463325252ULL;
static unsigned long long next(void) {
  rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
  return rng;
}

static long long scalar(const char *sql) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(db, sql, -1, &s, 0) != SQLITE_OK) die(sql);
  if (sqlite3_step(s) != SQLITE_ROW) die(sql);
  long long v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return v;
}

int main(int argc, char **argv) {
  int scale = argc > 1 ? atoi(argv[1]) : 1;
  int rows = 60000 * scale;
  unsigned long long sum = 0;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) die("open");
  exec("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;");
  exec("CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT, c REAL);");
  exec("CREATE TABLE u(k INTEGER PRIMARY KEY, name TEXT);");

  sqlite3_stmt *ins;
  exec("BEGIN");
  if (sqlite3_prepare_v2(db, "INSERT INTO t(a,b,c) VALUES(?,?,?)", -1, &ins, 0)) die("prep");
  char buf[128];
  for (int i = 0; i < rows; i++) {
    unsigned long long r = next();
    int n = 8 + (int)(r % 48);
    for (int j = 0; j < n; j++) buf[j] = 'a' + (char)((r >> (j % 50)) % 26);
    buf[n] = 0;
    sqlite3_bind_int64(ins, 1, (long long)(r % 100000));
    sqlite3_bind_text(ins, 2, buf, n, SQLITE_TRANSIENT);
    sqlite3_bind_double(ins, 3, (double)(r % 1000003) / 7.0);
    if (sqlite3_step(ins) != SQLITE_DONE) die("insert");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec("COMMIT");

  exec("BEGIN");
  if (sqlite3_prepare_v2(db, "INSERT INTO u(k,name) VALUES(?,?)", -1, &ins, 0)) die("prep");
  for (int i = 0; i < 20000; i++) {
    snprintf(buf, sizeof buf, "name-%d-%llu", i, next() % 997);
    sqlite3_bind_int64(ins, 1, i * 5);
    sqlite3_bind_text(ins, 2, buf, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(ins) != SQLITE_DONE) die("insert u");
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  exec("COMMIT");

  /* Unindexed scans, then an index and indexed point/range lookups. */
  for (int i = 0; i < 10; i++) {
    snprintf(buf, sizeof buf, "SELECT count(*) FROM t WHERE b LIKE '%%%c%c%%'", 'a' + i, 'b' + i);
    sum += (unsigned long long)scalar(buf);
  }
  exec("CREATE INDEX ta ON t(a);");
  exec("CREATE INDEX tb ON t(b);");
  sqlite3_stmt *sel;
  if (sqlite3_prepare_v2(db, "SELECT sum(c), count(*) FROM t WHERE a BETWEEN ? AND ?", -1, &sel, 0)) die("prep");
  for (int i = 0; i < 4000 * scale; i++) {
    long long lo = (long long)(next() % 100000);
    sqlite3_bind_int64(sel, 1, lo);
    sqlite3_bind_int64(sel, 2, lo + 50);
    if (sqlite3_step(sel) != SQLITE_ROW) die("select");
    sum += (unsigned long long)sqlite3_column_int64(sel, 1);
    sqlite3_reset(sel);
  }
  sqlite3_finalize(sel);
  sum += (unsigned long long)scalar("SELECT count(*) FROM (SELECT b FROM t GROUP BY substr(b,1,3))");
  sum += (unsigned long long)scalar("SELECT count(*) FROM t JOIN u ON t.a = u.k");
  sum += (unsigned long long)scalar("SELECT sum(length(b)) FROM (SELECT b FROM t ORDER BY c LIMIT 20000)");
  exec("UPDATE t SET c = c * 2, b = upper(b) WHERE a % 7 = 0;");
  exec("DELETE FROM t WHERE a % 5 = 1;");
  sum += (unsigned long long)scalar("SELECT count(*) FROM t");
  sum += (unsigned long long)scalar("SELECT total(c) FROM t WHERE b > 'M'");
  sqlite3_close(db);
  printf("sqlite_bench checksum %llu\n", sum);
  return 0;
}
