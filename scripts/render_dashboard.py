#!/usr/bin/python3
"""Renders deploy/grafana/tributary.json with real data to docs/img/dashboard.png (run by hand,
through scripts/render-dashboard.sh, which installs Debian's prometheus and python3-matplotlib).

The run: a throwaway PostgreSQL 15 and a single-node Apache Kafka (KRaft) from the test harness,
a table of --rows rows snapshotted by tributary, then a mixed workload (inserts, updates, deletes
in transactions of varying size) for --seconds, with a PostgreSQL restart in the middle (the
daemon reconnects). Debian's Prometheus scrapes the daemon's /metrics every second; afterwards
each panel's queries are evaluated by that Prometheus (query_range over the run, $pipeline and
$instance = all, $__rate_interval = 4 scrape intervals, as Grafana picks it) and drawn where the
dashboard's gridPos puts them. The daemon's peak RSS (VmHWM) is printed for resource sizing.
Usage: scripts/render_dashboard.py [--rows N] [--seconds S] [--output PNG]   (BUILD_DIR as elsewhere)
"""

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from tributary_testing.kafka_server import RealKafka  # noqa: E402
from tributary_testing.pgserver import PgServer  # noqa: E402
from tributary_testing.util import wait_until  # noqa: E402

BUILD = os.environ.get("BUILD_DIR", os.path.join(ROOT, "build"))
TRIBUTARY = os.environ.get("TRIBUTARY_BIN", os.path.join(BUILD, "tributary"))
DASHBOARD = os.path.join(ROOT, "deploy", "grafana", "tributary.json")
SCRAPE_SECONDS = 1


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.loads(response.read())


def proc_status_kib(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


class Prometheus:
    """Debian's prometheus scraping one target every SCRAPE_SECONDS, its TSDB in `workdir`."""

    def __init__(self, workdir, target):
        self.port = free_port()
        config = os.path.join(workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"global: {{scrape_interval: {SCRAPE_SECONDS}s, evaluation_interval: {SCRAPE_SECONDS}s}}\n"
                    f"scrape_configs:\n  - job_name: tributary\n    static_configs:\n"
                    f"      - targets: ['{target}']\n")
        self.log = open(os.path.join(workdir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir}/tsdb",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=self.log)
        wait_until(self.ready, 60, "prometheus /-/ready")

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError(f"prometheus exited with {self.proc.returncode} (log {self.log.name})")
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2).status == 200
        except OSError:
            return False

    def query_range(self, expr, start, end, step):
        query = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
        answer = http_json(f"http://127.0.0.1:{self.port}/api/v1/query_range?{query}")
        if answer.get("status") != "success":
            raise RuntimeError(f"{expr}: {answer}")
        return answer["data"]["result"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        self.log.close()


def workload(pg, stop, first_key, seed=13):
    """Mixed changes in transactions of 1..200 rows, bursts and quiet spells; returns the count."""
    rng = random.Random(seed)
    changes = 0
    next_key = first_key
    connection = None
    while not stop.is_set():
        try:
            if connection is None:
                connection = pg.connect(database="shop", superuser=False, autocommit=False)
            with connection.cursor() as cursor:
                size = rng.choice([1, 5, 20, 50, 200])
                action = rng.random()
                if action < 0.5:
                    cursor.execute("INSERT INTO items SELECT g, g %% 1000, 'item-' || g, (g %% 1000) / 10.0, now() "
                                   "FROM generate_series(%s, %s) g", (next_key, next_key + size - 1))
                    next_key += size
                elif action < 0.85:
                    low = rng.randint(1, max(1, next_key - size))
                    cursor.execute("UPDATE items SET qty = qty + 1, updated_at = now() WHERE id >= %s AND id < %s",
                                   (low, low + size))
                else:
                    low = rng.randint(1, max(1, next_key - size))
                    cursor.execute("DELETE FROM items WHERE id >= %s AND id < %s", (low, low + size))
            connection.commit()
            changes += size
        except Exception as e:  # the PostgreSQL restart: reconnect and go on
            print(f"workload: {type(e).__name__}: {str(e).strip()[:80]}; reconnecting", flush=True)
            connection = None
            stop.wait(0.5)
            continue
        # Bursts of a few hundred changes per second with pauses, so the rates move.
        stop.wait(rng.choice([0.005, 0.01, 0.02, 0.05, 0.3]))
    return changes


def substitute(expr, rate_interval):
    return (expr.replace("$__rate_interval", rate_interval).replace('=~"$pipeline"', '=~".*"')
            .replace('=~"$instance"', '=~".*"'))


def legend(template, labels):
    text = template
    for key, value in labels.items():
        text = text.replace("{{" + key + "}}", value)
    return text.replace("{{", "").replace("}}", "").strip() or json.dumps(labels)


def render(prometheus, dashboard, start, end, output, marks):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import EngFormatter, FuncFormatter, PercentFormatter

    panels = [p for p in dashboard["panels"]]
    header = 2  # grid rows above the dashboard for the figure's title
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in panels) + header
    cell_w, cell_h = 0.75, 0.42  # inches per grid column / row
    figure = plt.figure(figsize=(24 * cell_w, rows * cell_h))
    figure.suptitle(f"tributary dashboard, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(start))}: "
                    f"snapshot then mixed workload, PostgreSQL restarted at the dotted line", fontsize=13, y=1 - 0.6 / rows)
    rate_interval = f"{4 * SCRAPE_SECONDS}s"
    step = SCRAPE_SECONDS
    empty = []
    for panel in panels:
        g = panel["gridPos"]
        left, width = g["x"] / 24, g["w"] / 24
        top = 1 - (g["y"] + header) / rows
        if panel["type"] == "row":
            figure.text(0.005, top - 0.3 / rows, panel["title"], fontsize=12, weight="bold")
            continue
        pad_x, pad_y = 0.035, 1.9 / rows
        axes = figure.add_axes([left + pad_x * 0.9, top - g["h"] / rows + pad_y * 0.55,
                                width - pad_x * 1.3, g["h"] / rows - pad_y * 1.05])
        axes.set_title(panel["title"], fontsize=10, loc="left")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "short")
        series_count = 0
        for target in panel["targets"]:
            for series in prometheus.query_range(substitute(target["expr"], rate_interval), start, end, step):
                points = [(float(t) - start, float(v)) for t, v in series["values"] if v not in ("NaN", "+Inf", "-Inf")]
                if not points:
                    continue
                xs, ys = zip(*points)
                label = legend(target.get("legendFormat", ""), series["metric"])
                if panel["type"] == "stat":
                    axes.step(xs, ys, where="post", label=label)
                else:
                    axes.plot(xs, ys, label=label, linewidth=1.2)
                series_count += 1
        if series_count == 0:
            empty.append(panel["title"])
            axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="grey")
        else:
            axes.legend(fontsize=6.5, loc="upper left", ncol=2 if series_count > 4 else 1, framealpha=0.6)
        for name, at in marks.items():
            axes.axvline(at - start, color="grey", linestyle=":", linewidth=1)
        if unit == "bytes" or unit == "Bps":
            axes.yaxis.set_major_formatter(EngFormatter(unit="B" if unit == "bytes" else "B/s"))
        elif unit == "percentunit":
            axes.yaxis.set_major_formatter(PercentFormatter(1.0))
        elif unit == "s":
            axes.yaxis.set_major_formatter(EngFormatter(unit="s"))
        else:
            axes.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.4g}"))
        axes.tick_params(labelsize=7)
        axes.set_xlim(0, end - start)
        axes.grid(alpha=0.3)
        axes.set_xlabel("seconds into the run", fontsize=7, labelpad=1)
    os.makedirs(os.path.dirname(output), exist_ok=True)
    figure.savefig(output, dpi=72)
    return empty


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=90)
    parser.add_argument("--output", default=os.path.join(ROOT, "docs", "img", "dashboard.png"))
    args = parser.parse_args()
    with open(DASHBOARD) as f:
        dashboard = json.load(f)
    work = tempfile.mkdtemp(prefix="tributary-render-")
    print(f"work directory {work}; binary {TRIBUTARY}", flush=True)
    with PgServer(database="shop") as pg, RealKafka(logdir=work) as kafka:
        pg.execute("""
            CREATE TABLE items (id bigint PRIMARY KEY, qty int NOT NULL, name text NOT NULL,
                                price numeric(12,2) NOT NULL, updated_at timestamptz NOT NULL);
            ALTER TABLE items OWNER TO cdc;""", database="shop")
        pg.execute(f"""INSERT INTO items SELECT g, g % 1000, 'item-' || g, (g % 100000) / 100.0,
                       '2024-01-01'::timestamptz + g * interval '1 second'
                       FROM generate_series(1, {args.rows}) g""", database="shop")
        pg.execute("VACUUM ANALYZE items", database="shop")
        http_port = free_port()
        config = os.path.join(work, "tributary.yaml")
        with open(config, "w") as f:
            f.write(f"""pipelines:
  - name: shop
    source: {{type: postgres, host: 127.0.0.1, port: {pg.port}, database: shop, user: cdc,
              password: "${{RENDER_PG_PASSWORD}}"}}
    snapshot: {{parallelism: 2}}
    envelope: {{schemas: true}}
kafka:
  bootstrap_servers: {kafka.bootstrap_servers}
  batch: {{max_events: 10000, max_ms: 100}}
  topics: {{create: true, partitions: 4}}
offsets: {{directory: {work}/offsets}}
http: {{listen: "127.0.0.1:{http_port}"}}
log: {{level: info}}
""")
        prometheus = Prometheus(work, f"127.0.0.1:{http_port}")
        stderr = open(os.path.join(work, "tributary.stderr"), "wb")
        start = time.time()
        daemon = subprocess.Popen([TRIBUTARY, "run", "--config", config], stdout=stderr, stderr=stderr,
                                  env=dict(os.environ, RENDER_PG_PASSWORD=pg.password))
        stop = threading.Event()
        rss = {"peak_kib": 0}

        def sample_rss():
            while not stop.is_set() and daemon.poll() is None:
                rss["peak_kib"] = max(rss["peak_kib"], proc_status_kib(daemon.pid, "VmHWM"))
                stop.wait(0.5)

        sampler = threading.Thread(target=sample_rss, daemon=True)
        sampler.start()
        marks = {}
        try:
            checkpoint = os.path.join(work, "offsets", "shop.offsets")

            def snapshot_done():
                if daemon.poll() is not None:
                    raise RuntimeError(f"tributary exited with {daemon.returncode}; see {stderr.name}")
                try:
                    with open(checkpoint) as f:
                        return json.load(f).get("snapshot_completed")
                except (FileNotFoundError, json.JSONDecodeError):
                    return False

            wait_until(snapshot_done, 600, "the snapshot's checkpoint", interval=0.2)
            snapshot_seconds = time.time() - start
            rss_after_snapshot = rss["peak_kib"]
            print(f"snapshot of {args.rows} rows done after {snapshot_seconds:.1f} s; peak RSS "
                  f"{rss_after_snapshot / 1024:.1f} MiB", flush=True)
            result = {}
            writer = threading.Thread(target=lambda: result.update(changes=workload(pg, stop, args.rows + 1)))
            writer.start()
            stop.wait(args.seconds / 2)
            marks["postgres restart"] = time.time()
            pg.restart()
            stop.wait(args.seconds / 2)
            stop.set()
            writer.join(timeout=60)
            stop.clear()
            stop.wait(5)  # the last commits and scrapes
            end = time.time()
            print(f"workload: {result.get('changes', 0)} changes in {args.seconds:.0f} s", flush=True)
        finally:
            stop.set()
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(timeout=60)
            stderr.close()
        print(f"tributary exited with {code}; peak RSS (VmHWM) {rss['peak_kib'] / 1024:.1f} MiB "
              f"({rss_after_snapshot / 1024:.1f} MiB at the end of the snapshot)", flush=True)
        empty = render(prometheus, dashboard, start, end, args.output, marks)
        prometheus.stop()
    print(f"wrote {args.output}" + (f"; panels without data: {', '.join(empty)}" if empty else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
