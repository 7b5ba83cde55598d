/* The baseline of bench/pg_streaming.py: the least a pgoutput consumer can do.
 *
 * Opens a libpq replication connection, START_REPLICATION on an existing slot with pgoutput
 * proto_version 1 and one publication, counts Insert/Update/Delete messages and acknowledges the
 * end of each commit as flushed (a standby status update at most every 100 ms, and whenever the
 * server asks). Nothing is decoded past the message type. Once `expected` changes are counted it
 * prints one JSON line to stdout (count, seconds from the first change to the last), then waits
 * for stdin to close, so that the caller can read the walsender's CPU time while it still runs.
 *
 * With <expected changes> 0 it runs until killed and prints, for each transaction as its Begin
 * arrives, one line "<microseconds from the commit timestamp in Begin to now>" (latency mode, for
 * bench/latency.py: PostgreSQL's own share of commit -> client).
 *
 * Usage: bare_pgoutput <conninfo> <slot> <publication> <expected changes>
 * Built by bench/pg_streaming.py with the system C compiler: cc -O2 bare_pgoutput.c -lpq
 */
#include <libpq-fe.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t read_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | (unsigned char)p[i];
  return v;
}

static void write_u64(char* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = (char)(v & 0xff);
    v >>= 8;
  }
}

/* PostgreSQL epoch (2000-01-01) microseconds. */
static uint64_t pg_now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)(ts.tv_sec - 946684800) * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int send_feedback(PGconn* conn, uint64_t flushed) {
  char msg[34];
  msg[0] = 'r';
  write_u64(msg + 1, flushed);  /* written */
  write_u64(msg + 9, flushed);  /* flushed */
  write_u64(msg + 17, flushed); /* applied */
  write_u64(msg + 25, pg_now_us());
  msg[33] = 0;
  if (PQputCopyData(conn, msg, sizeof msg) <= 0 || PQflush(conn) != 0) {
    fprintf(stderr, "bare_pgoutput: cannot send feedback: %s", PQerrorMessage(conn));
    return -1;
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: bare_pgoutput <conninfo> <slot> <publication> <expected changes>\n");
    return 2;
  }
  const long long expected = atoll(argv[4]);
  char conninfo[4096];
  snprintf(conninfo, sizeof conninfo, "%s replication=database", argv[1]);
  PGconn* conn = PQconnectdb(conninfo);
  if (PQstatus(conn) != CONNECTION_OK) {
    fprintf(stderr, "bare_pgoutput: cannot connect: %s", PQerrorMessage(conn));
    return 1;
  }
  char* slot = PQescapeIdentifier(conn, argv[2], strlen(argv[2]));
  char* publication = PQescapeLiteral(conn, argv[3], strlen(argv[3]));
  char sql[1024];
  snprintf(sql, sizeof sql,
           "START_REPLICATION SLOT %s LOGICAL 0/0 (proto_version '1', publication_names %s)", slot,
           publication);
  PGresult* res = PQexec(conn, sql);
  if (PQresultStatus(res) != PGRES_COPY_BOTH) {
    fprintf(stderr, "bare_pgoutput: %s failed: %s", sql, PQerrorMessage(conn));
    return 1;
  }
  PQclear(res);

  long long inserts = 0, updates = 0, deletes = 0, commits = 0;
  uint64_t flushed = 0, acked = 0;
  double first = 0, last = 0, last_feedback = now_seconds();
  while (expected == 0 || inserts + updates + deletes < expected) {
    char* buf = NULL;
    int len = PQgetCopyData(conn, &buf, 0);
    if (len < 0) {
      fprintf(stderr, "bare_pgoutput: stream ended: %s", PQerrorMessage(conn));
      return 1;
    }
    if (buf[0] == 'w' && len > 25) {
      const char* msg = buf + 25;
      switch (msg[0]) {
        case 'I':
          ++inserts;
          break;
        case 'U':
          ++updates;
          break;
        case 'D':
          ++deletes;
          break;
        case 'B':
          if (expected == 0 && len >= 25 + 1 + 8 + 8) {
            printf("%lld\n", (long long)(pg_now_us() - read_u64(msg + 1 + 8)));
            fflush(stdout);
          }
          break;
        case 'C':
          ++commits;
          if (len >= 25 + 1 + 1 + 8 + 8) flushed = read_u64(msg + 2 + 8); /* the commit's end */
          break;
        default:
          break;
      }
      if (msg[0] == 'I' || msg[0] == 'U' || msg[0] == 'D') {
        last = now_seconds();
        if (first == 0) first = last;
      }
    } else if (buf[0] == 'k' && len >= 18 && buf[17]) {
      if (send_feedback(conn, flushed) != 0) return 1;
      acked = flushed;
      last_feedback = now_seconds();
    }
    PQfreemem(buf);
    if (flushed != acked && now_seconds() - last_feedback > 0.1) {
      if (send_feedback(conn, flushed) != 0) return 1;
      acked = flushed;
      last_feedback = now_seconds();
    }
  }
  send_feedback(conn, flushed);
  printf(
      "{\"inserts\": %lld, \"updates\": %lld, \"deletes\": %lld, \"commits\": %lld, "
      "\"seconds\": %.6f}\n",
      inserts, updates, deletes, commits, last - first);
  fflush(stdout);
  while (getchar() != EOF) {
  }
  PQfinish(conn);
  return 0;
}
