"""The deployment files agree with the daemon and with each other (deploy/kubernetes, deploy/compose).

No Kubernetes API server or Docker engine (nor the compose plugin) runs here, so `kubectl apply
--dry-run`, `kubectl kustomize` (kubectl is not a Debian 12 package new enough) and `docker compose config`
are not run (docs/deploy.md has them as by-hand steps). What can be checked without them is:
- every YAML file parses, and each Kubernetes object has the kind's required shape;
- the StatefulSet's probes use paths the daemon serves (a daemon started from the ConfigMap's own
  configuration answers them) on the port the ConfigMap's `http.listen` binds, on all addresses;
- terminationGracePeriodSeconds (and compose's stop_grace_period) exceed shutdown.timeout_ms;
- the PVC is mounted at the config's offsets.directory, the ConfigMap at the --config path;
- every ${VAR} of a tributary config is provided by the Secret (Kubernetes) or the service's
  environment (compose); selectors of Service, PodMonitor and PodDisruptionBudget match the pods;
- both tributary configs pass `tributary check --offline` (offsets.directory and the port moved
  to this machine's temp dir and port 0 in a copy);
- compose's bind mounts, build context and Dockerfile exist, its databases get the settings and
  the README's grants tributary needs.
Each static check is also run on a broken copy of the files, so a check that cannot fail fails.
"""

import copy
import glob
import os
import re
import subprocess

import pytest
import yaml

from tributary_testing.daemon import Daemon, run_cli, write_config
from tributary_testing.util import free_port, wait_until

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KUBERNETES = os.path.join(REPO, "deploy", "kubernetes")
COMPOSE = os.path.join(REPO, "deploy", "compose")
GRAFANA = os.path.join(REPO, "deploy", "grafana")
DEFAULT_SHUTDOWN_TIMEOUT_MS = 30000
ENV_REFERENCE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def yaml_files(*roots):
    found = []
    for root in roots:
        for pattern in ("**/*.yaml", "**/*.yml"):
            found += glob.glob(os.path.join(root, pattern), recursive=True)
    return sorted(found)


def load_kubernetes():
    """{kind: object} of deploy/kubernetes (one object per kind) plus the kustomization."""
    objects = {}
    for path in yaml_files(KUBERNETES):
        for doc in yaml.safe_load_all(open(path)):
            kind = doc["kind"]
            assert kind not in objects, f"two {kind} objects ({path})"
            doc["_file"] = os.path.basename(path)
            objects[kind] = doc
    return objects


def load_compose():
    with open(os.path.join(COMPOSE, "docker-compose.yml")) as f:
        return yaml.safe_load(f)


def host_port(listen):
    host, _, port = str(listen).rpartition(":")
    return host.strip("[]"), int(port)


def shutdown_seconds(config):
    return (config.get("shutdown") or {}).get("timeout_ms", DEFAULT_SHUTDOWN_TIMEOUT_MS) / 1000.0


def env_references(text):
    return set(ENV_REFERENCE.findall(text))


def configmap_config_text(objects):
    return objects["ConfigMap"]["data"]["tributary.yaml"]


def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


# ---- Kubernetes -------------------------------------------------------------------------------------

def kubernetes_problems(objects):
    """Every disagreement between the manifests and the daemon's configuration, as text."""
    problems = []
    for kind in ("StatefulSet", "ConfigMap", "Secret", "Service", "PodMonitor", "PodDisruptionBudget",
                 "Kustomization"):
        if kind not in objects:
            problems.append(f"no {kind} in deploy/kubernetes")
    if problems:
        return problems
    config_text = configmap_config_text(objects)
    config = yaml.safe_load(config_text)
    sts = objects["StatefulSet"]
    pod = sts["spec"]["template"]
    pod_labels = pod["metadata"]["labels"]
    spec = pod["spec"]
    container = spec["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container.get("ports", [])}

    # HTTP: the ConfigMap's listen address is reachable from the kubelet and Prometheus.
    listen_host, listen_port = host_port((config.get("http") or {}).get("listen", "127.0.0.1:9187"))
    if listen_host not in ("0.0.0.0", "::", ""):
        problems.append(f"http.listen {listen_host}:{listen_port} in the ConfigMap: the kubelet's probes and "
                        "Prometheus cannot reach a loopback address (use 0.0.0.0)")
    for probe_name, want in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        probe = container.get(probe_name, {}).get("httpGet")
        if not probe:
            problems.append(f"{probe_name}: no httpGet")
            continue
        if probe["path"] != want:
            problems.append(f"{probe_name} path {probe['path']}, expected {want}")
        port = ports.get(probe["port"], probe["port"])
        if port != listen_port:
            problems.append(f"{probe_name} port {probe['port']} ({port}) != http.listen port {listen_port}")
    annotations = pod["metadata"].get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or \
            annotations.get("prometheus.io/port") != str(listen_port) or \
            annotations.get("prometheus.io/path") != "/metrics":
        problems.append(f"prometheus.io annotations {annotations} do not scrape :{listen_port}/metrics")

    # Shutdown: the kubelet's SIGKILL comes after the daemon's own bound.
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if grace <= shutdown_seconds(config):
        problems.append(f"terminationGracePeriodSeconds {grace} <= shutdown.timeout_ms "
                        f"{shutdown_seconds(config) * 1000:.0f} ms")

    # Volumes: the PVC at offsets.directory, the ConfigMap at the --config path.
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts", [])}
    claims = [t["metadata"]["name"] for t in sts["spec"].get("volumeClaimTemplates", [])]
    offsets_directory = (config.get("offsets") or {}).get("directory", "/var/lib/tributary")
    if not claims:
        problems.append("no volumeClaimTemplates: the checkpoint files would not survive a restart")
    for claim in claims:
        if mounts.get(claim) != offsets_directory.rstrip("/"):
            problems.append(f"PVC {claim} mounted at {mounts.get(claim)}, offsets.directory is {offsets_directory}")
    args = container.get("args", [])
    config_path = args[args.index("--config") + 1] if "--config" in args else None
    volumes = {v["name"]: v for v in spec.get("volumes", [])}
    config_volumes = [name for name, v in volumes.items()
                      if v.get("configMap", {}).get("name") == objects["ConfigMap"]["metadata"]["name"]]
    if not config_volumes or config_path != os.path.join(mounts.get(config_volumes[0], "?"), "tributary.yaml"):
        problems.append(f"--config {config_path} is not the ConfigMap's tributary.yaml as mounted")

    # Secrets: every ${VAR} of the config is in the container's environment.
    provided = {e["name"] for e in container.get("env", [])}
    secret = objects["Secret"]
    for source in container.get("envFrom", []):
        if source.get("secretRef", {}).get("name") == secret["metadata"]["name"]:
            provided |= set((secret.get("stringData") or {}).keys()) | set((secret.get("data") or {}).keys())
    missing = env_references(config_text) - provided
    if missing:
        problems.append(f"${{{', '.join(sorted(missing))}}} used by the ConfigMap's config but not set from "
                        "the Secret or env")

    # Hardening.
    pod_security = spec.get("securityContext", {})
    security = container.get("securityContext", {})
    if not (pod_security.get("runAsNonRoot") or security.get("runAsNonRoot")):
        problems.append("runAsNonRoot is not set")
    if not security.get("readOnlyRootFilesystem"):
        problems.append("readOnlyRootFilesystem is not set")
    if security.get("capabilities", {}).get("drop") != ["ALL"]:
        problems.append("capabilities are not dropped (drop: [ALL])")
    resources = container.get("resources", {})
    if not resources.get("requests", {}).get("memory") or not resources.get("limits", {}).get("memory"):
        problems.append("no memory request and limit")

    # The other objects find the pods.
    if sts["spec"]["selector"]["matchLabels"] != {k: pod_labels.get(k) for k in sts["spec"]["selector"]["matchLabels"]}:
        problems.append("the StatefulSet's selector does not match its pod template")
    service = objects["Service"]
    if not matches(service["spec"].get("selector"), pod_labels):
        problems.append("the Service's selector does not match the pods")
    if sts["spec"].get("serviceName") != service["metadata"]["name"]:
        problems.append("StatefulSet.spec.serviceName is not the Service")
    if not any(p.get("targetPort") in ("http", listen_port) for p in service["spec"].get("ports", [])):
        problems.append("the Service does not expose the http port")
    monitor = objects["PodMonitor"]
    if objects["PodMonitor"]["apiVersion"] != "monitoring.coreos.com/v1":
        problems.append("PodMonitor apiVersion is not monitoring.coreos.com/v1")
    if not matches(monitor["spec"]["selector"].get("matchLabels"), pod_labels):
        problems.append("the PodMonitor's selector does not match the pods")
    for endpoint in monitor["spec"].get("podMetricsEndpoints", []):
        if endpoint.get("port") not in ports or endpoint.get("path", "/metrics") != "/metrics":
            problems.append(f"PodMonitor endpoint {endpoint} is not the pods' http port /metrics")
    if not matches(objects["PodDisruptionBudget"]["spec"]["selector"].get("matchLabels"), pod_labels):
        problems.append("the PodDisruptionBudget's selector does not match the pods")

    # kustomization lists every manifest, and only existing ones.
    listed = set(objects["Kustomization"].get("resources", []))
    files = {o["_file"] for kind, o in objects.items() if kind != "Kustomization"}
    if listed != files:
        problems.append(f"kustomization resources {sorted(listed)} != manifests {sorted(files)}")
    return problems


def test_every_deployment_yaml_parses():
    paths = yaml_files(KUBERNETES, COMPOSE, GRAFANA)
    assert len(paths) >= 10, paths
    for path in paths:
        docs = [d for d in yaml.safe_load_all(open(path)) if d is not None]
        assert docs, f"{path} is empty"


def test_kubernetes_manifests_agree_with_the_config():
    assert kubernetes_problems(load_kubernetes()) == []


def _statefulset_container(objects):
    return objects["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]


def _set_config(objects, edit):
    config = yaml.safe_load(configmap_config_text(objects))
    edit(config)
    objects["ConfigMap"]["data"]["tributary.yaml"] = yaml.safe_dump(config)


KUBERNETES_BREAKAGES = {
    "loopback listen": lambda o: _set_config(o, lambda c: c["http"].update(listen="127.0.0.1:9187")),
    "listen on another port": lambda o: _set_config(o, lambda c: c["http"].update(listen="0.0.0.0:9000")),
    "probe on an unserved path": lambda o: _statefulset_container(o)["livenessProbe"]["httpGet"].update(path="/health"),
    "grace period not above shutdown": lambda o: o["StatefulSet"]["spec"]["template"]["spec"].update(
        terminationGracePeriodSeconds=30),
    "shutdown longer than grace": lambda o: _set_config(o, lambda c: c["shutdown"].update(timeout_ms=60000)),
    "PVC elsewhere": lambda o: _set_config(o, lambda c: c["offsets"].update(directory="/data")),
    "secret without a variable": lambda o: o["Secret"]["stringData"].pop("KAFKA_PASSWORD"),
    "writable root": lambda o: _statefulset_container(o)["securityContext"].update(readOnlyRootFilesystem=False),
    "service selects nothing": lambda o: o["Service"]["spec"].update(selector={"app": "other"}),
    "manifest not in kustomization": lambda o: o["Kustomization"]["resources"].remove("podmonitor.yaml"),
}


@pytest.mark.parametrize("breakage", sorted(KUBERNETES_BREAKAGES))
def test_the_kubernetes_checks_catch(breakage):
    objects = copy.deepcopy(load_kubernetes())
    KUBERNETES_BREAKAGES[breakage](objects)
    assert kubernetes_problems(objects), f"{breakage}: no problem found"


# ---- Compose ----------------------------------------------------------------------------------------

def compose_problems(compose):
    problems = []
    services = compose.get("services", {})
    for name in ("postgres", "mariadb", "kafka", "tributary", "prometheus", "grafana"):
        if name not in services:
            problems.append(f"no service {name}")
    if problems:
        return problems
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")) and not os.path.exists(os.path.join(COMPOSE, source)):
                problems.append(f"{name}: bind mount source {source} does not exist")
        build = service.get("build")
        if build:
            context = os.path.join(COMPOSE, build["context"])
            if not os.path.isfile(os.path.join(context, build.get("dockerfile", "Dockerfile"))):
                problems.append(f"{name}: no {build.get('dockerfile', 'Dockerfile')} in {build['context']}")
        for env_file in service.get("env_file", []) if isinstance(service.get("env_file"), list) else []:
            if not os.path.exists(os.path.join(COMPOSE, env_file)):
                problems.append(f"{name}: env_file {env_file} does not exist")

    tributary = services["tributary"]
    mounted = dict(v.split(":")[:2][::-1] for v in tributary["volumes"])  # container path -> source
    config_source = mounted.get("/etc/tributary/tributary.yaml")
    if config_source is None:
        return problems + ["tributary: no config mounted at /etc/tributary/tributary.yaml"]
    config_text = open(os.path.join(COMPOSE, config_source)).read()
    config = yaml.safe_load(config_text)
    offsets_directory = (config.get("offsets") or {}).get("directory", "/var/lib/tributary")
    if offsets_directory not in mounted:
        problems.append(f"tributary: no volume at offsets.directory {offsets_directory}")
    missing = env_references(config_text) - set((tributary.get("environment") or {}).keys())
    if missing:
        problems.append(f"tributary: ${{{', '.join(sorted(missing))}}} not in the service's environment")
    listen_host, listen_port = host_port(config["http"]["listen"])
    if listen_host not in ("0.0.0.0", "::"):
        problems.append(f"tributary: http.listen {listen_host} is not reachable from Prometheus")
    if not any(str(p).endswith(f":{listen_port}") for p in tributary.get("ports", [])):
        problems.append(f"tributary: port {listen_port} not published")
    grace = str(tributary.get("stop_grace_period", "10s"))
    if not grace.endswith("s") or float(grace[:-1]) <= shutdown_seconds(config):
        problems.append(f"tributary: stop_grace_period {grace} not above shutdown.timeout_ms")
    if "healthcheck" not in tributary:
        problems.append("tributary: no healthcheck")

    # The databases are set up as the pipelines need.
    postgres_flags = " ".join(services["postgres"].get("command", []))
    if "wal_level=logical" not in postgres_flags:
        problems.append("postgres: not started with wal_level=logical")
    mariadb_flags = set(services["mariadb"].get("command", []))
    for flag in ("--log-bin=mysql-bin", "--binlog-format=ROW", "--binlog-row-image=FULL"):
        if flag not in mariadb_flags:
            problems.append(f"mariadb: {flag} missing")
    server_ids = [f.split("=")[1] for f in mariadb_flags if f.startswith("--server-id=")]
    for pipeline in config["pipelines"]:
        if pipeline["source"]["type"] == "mysql" and [str(pipeline["source"].get("server_id"))] == server_ids:
            problems.append(f"pipeline {pipeline['name']}: server_id equals the server's --server-id")
    types = {p["source"]["type"] for p in config["pipelines"]}
    if types != {"postgres", "mysql"}:
        problems.append(f"compose config has pipelines of {sorted(types)}, expected postgres and mysql")

    # Prometheus loads the alerting rules it is given, Grafana the dashboard.
    prometheus_mounts = dict(v.split(":")[:2][::-1] for v in services["prometheus"]["volumes"])
    prometheus_config = yaml.safe_load(open(os.path.join(COMPOSE, prometheus_mounts["/etc/prometheus/prometheus.yml"])))
    for rule_file in prometheus_config.get("rule_files", []):
        if rule_file not in prometheus_mounts:
            problems.append(f"prometheus: rule file {rule_file} is not mounted")
    targets = [t for job in prometheus_config["scrape_configs"] for sc in job.get("static_configs", [])
               for t in sc["targets"]]
    if f"tributary:{listen_port}" not in targets:
        problems.append(f"prometheus does not scrape tributary:{listen_port} ({targets})")
    grafana_mounts = dict(v.split(":")[:2][::-1] for v in services["grafana"]["volumes"])
    dashboards = grafana_mounts.get("/etc/grafana/provisioning/dashboards")
    if dashboards is None:
        problems.append("grafana: no dashboard provisioning mounted")
    else:
        for provider_file in glob.glob(os.path.join(COMPOSE, dashboards, "*.yaml")):
            for provider in yaml.safe_load(open(provider_file))["providers"]:
                path = provider["options"]["path"]
                if not any(m.startswith(path) and m.endswith(".json") for m in grafana_mounts):
                    problems.append(f"grafana: provider path {path} holds no mounted dashboard")
    if "/etc/grafana/provisioning/datasources" not in grafana_mounts:
        problems.append("grafana: no datasource provisioning mounted")
    return problems


def test_compose_file_agrees_with_its_configs_and_files():
    assert compose_problems(load_compose()) == []


def _compose_tributary(compose):
    return compose["services"]["tributary"]


COMPOSE_BREAKAGES = {
    "missing bind source": lambda c: c["services"]["prometheus"]["volumes"].append("./nope.yml:/etc/nope.yml:ro"),
    "missing Dockerfile": lambda c: _compose_tributary(c)["build"].update(dockerfile="Dockerfile.nope"),
    "unset variable": lambda c: _compose_tributary(c)["environment"].pop("INVENTORY_MYSQL_PASSWORD"),
    "short grace": lambda c: _compose_tributary(c).update(stop_grace_period="10s"),
    "statement binlog": lambda c: c["services"]["mariadb"]["command"].remove("--binlog-format=ROW"),
    "replica wal": lambda c: c["services"]["postgres"].update(command=["postgres"]),
    "alerts not mounted": lambda c: c["services"]["prometheus"]["volumes"].pop(),
}


@pytest.mark.parametrize("breakage", sorted(COMPOSE_BREAKAGES))
def test_the_compose_checks_catch(breakage):
    compose = copy.deepcopy(load_compose())
    COMPOSE_BREAKAGES[breakage](compose)
    assert compose_problems(compose), f"{breakage}: no problem found"


def test_compose_init_sql_has_the_readme_grants():
    """The MariaDB init SQL grants exactly what the README's prerequisites list (no more: no ALL)."""
    readme = open(os.path.join(REPO, "README.md")).read()
    section = readme.split("## MySQL / MariaDB prerequisites", 1)[1].split("\n## ", 1)[0]
    wanted = [line.split("--")[0].strip() for line in section.splitlines()
              if line.startswith("GRANT") and "MySQL:" not in line]
    assert wanted, "no GRANT lines in the README's MySQL section"
    sql = open(os.path.join(COMPOSE, "initdb", "mariadb", "10-cdc.sql")).read()
    for grant in wanted:
        assert grant in sql, f"{grant!r} (README) missing from initdb/mariadb/10-cdc.sql"
    assert "ALL PRIVILEGES" not in sql.upper()
    pg_sql = open(os.path.join(COMPOSE, "initdb", "postgres", "10-cdc.sql")).read()
    # LOGIN REPLICATION and nothing more; it owns no table (so the publication is created for it).
    assert re.search(r"^CREATE ROLE cdc WITH LOGIN REPLICATION PASSWORD '[^']*';$", pg_sql, re.MULTILINE)
    assert not re.search(r"OWNER TO cdc|GRANT ALL|SUPERUSER;|CREATEDB", pg_sql, re.IGNORECASE)
    publication = yaml.safe_load(open(os.path.join(COMPOSE, "tributary.yaml")))["pipelines"][0]["source"]["publication"]
    assert f"CREATE PUBLICATION {publication} " in pg_sql, "the config names a publication the SQL does not create"


# ---- the configs themselves -------------------------------------------------------------------------

def _config_texts():
    compose_text = open(os.path.join(COMPOSE, "tributary.yaml")).read()
    compose_env = {k: "secret-value" for k in _compose_tributary(load_compose())["environment"]}
    secret = load_kubernetes()["Secret"]["stringData"]
    return {"kubernetes ConfigMap": (configmap_config_text(load_kubernetes()), dict(secret)),
            "compose": (compose_text, compose_env)}


def _local_copy(text, tmp_path, listen_port=0):
    """The config with offsets.directory in tmp_path and http.listen on `listen_port` of the same host."""
    config = yaml.safe_load(text)
    config["offsets"]["directory"] = str(tmp_path / "offsets")
    host, _ = host_port(config["http"]["listen"])
    config["http"]["listen"] = f"{host}:{listen_port}"
    return config


@pytest.mark.parametrize("which", ["kubernetes ConfigMap", "compose"])
def test_config_passes_check_offline(binaries, tmp_path, which):
    text, secrets = _config_texts()[which]
    path = write_config(str(tmp_path / "tributary.yaml"), _local_copy(text, tmp_path))
    result = run_cli(["check", "--offline", "--config", path], env=dict(os.environ, **secrets))
    assert result.returncode == 0, f"{which}: check --offline exit {result.returncode}\n{result.stdout}{result.stderr}"
    # Without the Secret's variables the same file is refused, naming them (the check has teeth).
    bare = {k: v for k, v in os.environ.items() if k not in secrets}
    refused = run_cli(["check", "--offline", "--config", path], env=bare)
    assert refused.returncode == 2
    for name in secrets:
        if f"${{{name}}}" in text:
            assert name in refused.stderr + refused.stdout


def _unconnected(config):
    """`config` with its databases and brokers moved to a closed local port: the daemon waits."""
    for pipeline in config["pipelines"]:
        pipeline["source"].update(host="127.0.0.1", port=9, connect_timeout_seconds=1)
    config["kafka"]["bootstrap_servers"] = "127.0.0.1:9"
    return config


def test_probe_paths_are_served_by_a_daemon_on_the_configmap_config(binaries, tmp_path, monkeypatch):
    """The ConfigMap's config, its databases and brokers moved to closed local ports: the daemon
    waits for them, and meanwhile its HTTP endpoint answers the StatefulSet's probe paths."""
    objects = load_kubernetes()
    for name, value in objects["Secret"]["stringData"].items():
        monkeypatch.setenv(name, value)
    config = _unconnected(_local_copy(configmap_config_text(objects), tmp_path))
    config["http"]["listen"] = "127.0.0.1:0"  # the daemon logs the port it got
    daemon = Daemon(str(tmp_path), config, name="configmap")
    daemon.start(wait_ready=False)
    try:
        container = _statefulset_container(objects)
        answers = {}

        def probed():
            daemon.check_running("the probe paths")
            for probe in ("livenessProbe", "readinessProbe"):
                path = container[probe]["httpGet"]["path"]
                answers[path] = daemon.http_get(path, timeout=2.0)[0]
            return all(status is not None for status in answers.values())

        wait_until(probed, 30, lambda: f"answers to the probe paths ({answers})\n{daemon.stderr_tail(30)}")
        liveness = container["livenessProbe"]["httpGet"]["path"]
        readiness = container["readinessProbe"]["httpGet"]["path"]
        assert answers[liveness] == 200, f"liveness {liveness}: {answers[liveness]}"
        # Nothing is connected: not ready, but a path the daemon serves (not 404).
        assert answers[readiness] == 503, f"readiness {readiness}: {answers[readiness]}"
        assert daemon.http_get("/no-such-path")[0] == 404  # an unserved path would be told apart
    finally:
        daemon.stop()


def test_compose_healthcheck_command_answers_for_a_running_daemon(binaries, tmp_path, monkeypatch):
    """The tributary service's healthcheck, run against a daemon on the compose config (its listen
    port moved to a free one, its servers to a closed port): healthy while it runs, not after."""
    compose = load_compose()
    service = _compose_tributary(compose)
    for name in service["environment"]:
        monkeypatch.setenv(name, "secret-value")
    text = open(os.path.join(COMPOSE, "tributary.yaml")).read()
    config = _unconnected(_local_copy(text, tmp_path, listen_port=free_port()))
    daemon = Daemon(str(tmp_path), config, name="compose")
    command = [part for part in service["healthcheck"]["test"] if part != "CMD"]
    assert command[0] == "/usr/local/bin/tributary" and command[1] == "health", command
    command = [binaries[0]] + [daemon.config_path if part == "/etc/tributary/tributary.yaml" else part
                               for part in command[1:]]
    assert daemon.config_path in command, f"the healthcheck does not read the mounted config: {command}"
    daemon.start(wait_ready=False)
    try:
        results = []

        def healthy():
            daemon.check_running("the healthcheck")
            results.append(subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                          timeout=30))
            return results[-1].returncode == 0

        wait_until(healthy, 30, lambda: f"{command} exit 0 (last: {results[-1] if results else None})\n"
                                        f"{daemon.stderr_tail(30)}")
    finally:
        daemon.stop()
    down = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)
    assert down.returncode != 0, f"healthcheck passed with the daemon stopped: {down}"
