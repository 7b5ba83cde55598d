"""The Grafana dashboard (deploy/grafana/tributary.json) uses only metrics the daemon exposes.

A short pipeline run against the session's real PostgreSQL and the shared real Kafka (a snapshot
of a few rows, then inserts, updates and deletes, committed in several Kafka transactions); then
every metric name in every panel query and template variable must be a family on /metrics with
samples. A name with `_bucket` must be a histogram's, `_sum` / `_count` a histogram's or a
summary's; a bare histogram name (which has no samples) is an error. The extractor itself is
checked on known queries, and on a dashboard with one panel naming a metric that does not exist.
"""

import json
import os
import re

from tributary_testing.daemon import parse_metric
from tributary_testing.feed import EventFeed
from tributary_testing.util import wait_until
from tributary_testing.workload import create_items_table, preload_items

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DASHBOARD = os.path.join(REPO, "deploy", "grafana", "tributary.json")

# PromQL words that are not metric names: aggregation operators (`sum by (...) (...)` puts no
# parenthesis right after the name) and modifiers, set and vector-matching operators.
KEYWORDS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
            "bottomk", "topk", "quantile", "limitk", "limit_ratio",
            "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless",
            "bool", "offset", "inf", "nan"}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENT = re.compile(r"(?<![\w$:.])([a-zA-Z_:][\w:]*)\s*(\()?")


def metric_names(expr):
    """The metric names a PromQL expression (or a Grafana label_values() query) selects."""
    text = _STRING.sub('""', expr)
    text = re.sub(r"\{[^}]*\}", "", text)          # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)         # range selectors ([5m], [$__rate_interval])
    text = _LABEL_LIST.sub(r"\1", text)            # label lists of by/on/... are not metrics
    text = re.sub(r"label_values\(\s*([\w:]+)\s*,[^)]*\)", r"\1", text)  # label_values(metric, label)
    names = set()
    for match in _IDENT.finditer(text):
        word, call = match.group(1), match.group(2)
        if call or word.lower() in KEYWORDS:
            continue  # a function, or a keyword
        names.add(word)
    return names


def dashboard_queries(dashboard):
    """(where, expr) of every panel target (rows' nested panels too) and query template variable."""
    queries = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                if target.get("expr"):
                    queries.append((f"panel {panel.get('title')!r} {target.get('refId')}", target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard.get("panels", []))
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable.get("type") == "query":
            query = variable.get("query")
            query = query.get("query") if isinstance(query, dict) else query
            queries.append((f"variable ${variable['name']}", query))
    return queries


def exposed_families(body):
    """{family: (type, sample count)} of a Prometheus text exposition."""
    families = {}
    for line in body.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            families[name] = [kind.strip(), 0]
    for line in body.splitlines():
        if not line or line.startswith("#"):
            continue
        sample = re.match(r"[a-zA-Z_:][\w:]*", line).group(0)
        for candidate in (sample, re.sub(r"_(bucket|sum|count)$", "", sample)):
            if candidate in families:
                families[candidate][1] += 1
                break
    return {name: tuple(value) for name, value in families.items()}


def missing_metrics(dashboard, families):
    """[(where, name, why)] for each name a query uses that /metrics does not expose."""
    problems = []
    for where, expr in dashboard_queries(dashboard):
        for name in sorted(metric_names(expr)):
            base, suffix = name, ""
            suffix_match = re.match(r"(.+)_(bucket|sum|count)$", name)
            if name not in families and suffix_match and suffix_match.group(1) in families:
                base, suffix = suffix_match.group(1), suffix_match.group(2)
            if base not in families:
                problems.append((where, name, "not on /metrics"))
                continue
            kind, samples = families[base]
            if suffix == "bucket" and kind != "histogram":
                problems.append((where, name, f"{base} is a {kind}, not a histogram"))
            elif suffix in ("sum", "count") and kind not in ("histogram", "summary"):
                problems.append((where, name, f"{base} is a {kind}"))
            elif not suffix and kind in ("histogram", "summary"):
                problems.append((where, name, f"{base} is a {kind}: use {base}_bucket/_sum/_count"))
            elif samples == 0:
                problems.append((where, name, "declared but without samples"))
    return problems


def load_dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def test_metric_names_of_known_queries():
    assert metric_names('histogram_quantile(0.99, sum by (pipeline, le) (rate('
                        'tributary_kafka_commit_duration_seconds_bucket{pipeline=~"$pipeline"}[$__rate_interval])))') \
        == {"tributary_kafka_commit_duration_seconds_bucket"}
    assert metric_names('sum by (pipeline) (rate(a_sum{x="rate(b)"}[5m])) / on (pipeline) group_left '
                        'sum by (pipeline) (rate(a_count[5m])) and c > 0') == {"a_sum", "a_count", "c"}
    assert metric_names("time() - tributary_checkpoint_timestamp_seconds") == \
        {"tributary_checkpoint_timestamp_seconds"}
    assert metric_names("label_values(tributary_pipeline_up, pipeline)") == {"tributary_pipeline_up"}
    assert metric_names("process_cpu_seconds_total") == {"process_cpu_seconds_total"}


def test_the_check_catches_a_panel_on_a_metric_that_does_not_exist():
    families = {"tributary_pipeline_up": ("gauge", 1),
                "tributary_kafka_commit_duration_seconds": ("histogram", 16),
                "tributary_events_total": ("counter", 3)}
    dashboard = {"panels": [{"type": "row", "panels": [
        {"title": "ok", "targets": [{"refId": "A", "expr": "rate(tributary_events_total[5m])"},
                                    {"refId": "B", "expr": "tributary_kafka_commit_duration_seconds_count"}]},
        {"title": "typo", "targets": [{"refId": "A", "expr": "tributary_pipeline_upp"}]},
        {"title": "bare histogram", "targets": [{"refId": "A", "expr": "tributary_kafka_commit_duration_seconds"}]},
        {"title": "counter bucket", "targets": [{"refId": "A", "expr": "tributary_events_total_bucket"}]},
    ]}]}
    problems = {(where.split("'")[1], name) for where, name, _ in missing_metrics(dashboard, families)}
    assert problems == {("typo", "tributary_pipeline_upp"),
                        ("bare histogram", "tributary_kafka_commit_duration_seconds"),
                        ("counter bucket", "tributary_events_total_bucket")}


def test_dashboard_has_the_panels_operators_need():
    dashboard = load_dashboard()
    used = set()
    for _, expr in dashboard_queries(dashboard):
        used |= metric_names(expr)
    for name in ("tributary_source_lag_seconds", "tributary_events_total", "tributary_snapshot_progress_ratio",
                 "tributary_kafka_commit_duration_seconds_bucket", "tributary_kafka_transactions_total",
                 "tributary_slot_retained_wal_bytes", "tributary_source_binlog_file_number",
                 "tributary_reconnects_total", "process_resident_memory_bytes", "tributary_inflight_bytes",
                 "tributary_kafka_batch_events_bucket", "tributary_checkpoint_age_seconds"):
        assert name in used, f"no panel shows {name}"
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert "pipeline" in variables
    quantiles = [expr for _, expr in dashboard_queries(dashboard)
                 if "histogram_quantile" in expr and "commit_duration" in expr]
    assert len(quantiles) >= 2, "commit latency needs several quantiles"


def test_every_dashboard_metric_is_exposed_by_a_running_pipeline(env):
    prefix = "dashboard"
    items = f"{prefix}.public.items"
    db = env.database()
    conn = env.connect(db)
    create_items_table(conn)
    preload_items(conn, 20)
    kafka = env.shared_kafka(topics={items: 2})
    collector = env.collector(kafka, topics=[items])
    feed = EventFeed(collector, items)
    config = env.config(db, kafka, name=prefix, max_events=5, offsets_topic=f"{prefix}.offsets")
    daemon = env.daemon(config).start()

    # A few streamed changes of each op after the snapshot, in several Kafka transactions.
    feed.wait_for_count(lambda e: e.op == "r", 20, 60, "the snapshot's 20 rows")
    for i in range(5):
        env.sql(db, f"INSERT INTO items (id, version, payload, qty) VALUES ({100 + i}, 1, 'new', {i})")
    env.sql(db, "UPDATE items SET qty = qty + 1, version = version + 1 WHERE id <= 3")
    env.sql(db, "DELETE FROM items WHERE id = 4")
    feed.wait_for_count(lambda e: not e.tombstone and e.op in ("c", "u", "d"), 9, 60, "the streamed changes")
    wait_until(lambda: daemon.metric("tributary_events_total", op="d") >= 1
               and daemon.metric("tributary_kafka_transactions_total", result="committed") >= 3, 30,
               "the changes counted on /metrics")

    status, body = daemon.http_get("/metrics")
    assert status == 200, body[:300]
    assert parse_metric(body, "tributary_snapshot_rows_total") == 20
    problems = missing_metrics(load_dashboard(), exposed_families(body))
    assert problems == [], "dashboard queries on metrics /metrics does not expose:\n" + "\n".join(
        f"  {where}: {name} ({why})" for where, name, why in problems) + "\n--- /metrics ---\n" + body
