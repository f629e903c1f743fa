"""The Grafana dashboard, the Prometheus config and alert rules match what the app exports.

Every PromQL expression may name only series the worker's registry exposes (or `up`), filter
and group only on labels those series carry, and the compose file mounts what exists.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram

from app.metrics import Metrics

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS_DIR = ROOT / "infra" / "prometheus"
PROMETHEUS_CONFIG = PROMETHEUS_DIR / "prometheus.yml"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
GRAFANA_DIR = ROOT / "infra" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "driftmend.json"
DATASOURCE = GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml"
DASHBOARD_PROVIDER = GRAFANA_DIR / "provisioning" / "dashboards" / "driftmend.yml"

TARGET_LABELS = frozenset({"job", "instance"})  # added by Prometheus to every scraped series
METRIC = re.compile(r"(?<![\w:$])(driftmend_[A-Za-z0-9_:]*)(?:\s*\{([^}]*)\})?")
UP = re.compile(r"(?<![\w:$])up(?![\w:])\s*(?:\{([^}]*)\})?")
MATCHER_LABEL = re.compile(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
JOB = re.compile(r"\bjob\s*=\s*\"([^\"]*)\"")


def exported_series() -> dict[str, frozenset[str]]:
    """Sample name -> its label names, as the worker's /metrics page shows them.

    Labelled metrics expose no sample until a child exists, so each gets one child first.
    """
    metrics = Metrics()
    for wrapper in vars(metrics).values():
        if isinstance(wrapper, Counter | Gauge | Histogram) and wrapper._labelnames:
            wrapper.labels(*("x" for _ in wrapper._labelnames))
    series: dict[str, frozenset[str]] = {}
    for family in metrics.registry.collect():
        for sample in family.samples:
            series[sample.name] = frozenset(sample.labels) | TARGET_LABELS
    series["up"] = TARGET_LABELS
    return series


SERIES = exported_series()


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def problems(expr: str) -> list[str]:
    """What in a PromQL expression the app does not export (empty: all of it does)."""
    used: dict[str, set[str]] = {}
    for name, matchers in METRIC.findall(expr):
        used.setdefault(name, set()).update(MATCHER_LABEL.findall(matchers))
    for matchers in UP.findall(expr):
        used.setdefault("up", set()).update(MATCHER_LABEL.findall(matchers))
    if not used:
        return [f"names no metric: {expr}"]
    found = []
    for name, labels in used.items():
        if name not in SERIES:
            found.append(f"{name} is not exported")
        elif labels - SERIES[name]:
            found.append(f"{name} has no label {sorted(labels - SERIES[name])}")
    known = frozenset().union(*(SERIES.get(name, frozenset()) for name in used))
    for group in GROUPING.findall(expr):
        missing = {label.strip() for label in group.split(",") if label.strip()} - known
        if missing:
            found.append(f"groups by unknown labels {sorted(missing)}")
    return found


def dashboard() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(DASHBOARD.read_text())
    return doc


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def alert_rules() -> list[dict[str, Any]]:
    return [rule for group in load_yaml(ALERTS)["groups"] for rule in group["rules"]]


def scrape_jobs() -> set[str]:
    return {job["job_name"] for job in load_yaml(PROMETHEUS_CONFIG)["scrape_configs"]}


def compose_services() -> dict[str, Any]:
    services: dict[str, Any] = load_yaml(ROOT / "docker-compose.yml")["services"]
    return services


def bind_mounts(service: dict[str, Any]) -> dict[str, Path]:
    """Container path -> host path of the service's ./ bind mounts."""
    mounts = {}
    for volume in service.get("volumes", []):
        host, container, *_ = volume.split(":")
        if host.startswith("."):
            mounts[container] = (ROOT / host).resolve()
    return mounts


def test_the_metric_parser_sees_names_labels_and_unknown_metrics() -> None:
    assert "driftmend_records_in_total" in SERIES
    assert "driftmend_processing_latency_seconds_bucket" in SERIES
    assert "le" in SERIES["driftmend_processing_latency_seconds_bucket"]
    assert problems('sum by (feed) (rate(driftmend_records_in_total{feed=~"$feed"}[5m]))') == []
    assert problems('up{job="driftmend"} == 0') == []
    assert problems("rate(driftmend_records_in[5m])") == ["driftmend_records_in is not exported"]
    assert problems('driftmend_drift_score{severity="high"}') == [
        "driftmend_drift_score has no label ['severity']"
    ]
    assert problems("sum by (action) (driftmend_records_in_total)") == [
        "groups by unknown labels ['action']"
    ]
    assert problems("vector(1)") == ["names no metric: vector(1)"]


def test_dashboard_queries_name_only_exported_metrics() -> None:
    doc = dashboard()
    assert doc["schemaVersion"] >= 39
    targets = [t for p in panels(doc["panels"]) if p["type"] != "row" for t in p["targets"]]
    assert targets
    found = {t["expr"]: problems(t["expr"]) for t in targets}
    assert {expr: p for expr, p in found.items() if p} == {}
    for expr in found:
        for match in METRIC.finditer(expr):
            assert 'feed=~"$feed"' in (match.group(2) or ""), f"not filtered by $feed: {expr}"


def test_dashboard_shows_every_metric_the_app_exports() -> None:
    text = " ".join(t["expr"] for p in panels(dashboard()["panels"]) for t in p.get("targets", []))
    shown = set(METRIC.findall(text))
    families = {family.name for family in Metrics().registry.collect()}
    missing = {f for f in families if not any(name.startswith(f) for name, _ in shown)}
    assert missing == set()


def test_dashboard_panels_use_the_provisioned_datasource_and_feed_variable() -> None:
    doc = dashboard()
    uid = load_yaml(DATASOURCE)["datasources"][0]["uid"]
    graphs = [p for p in panels(doc["panels"]) if p["type"] != "row"]
    assert {p["type"] for p in graphs} >= {"timeseries", "stat"}
    assert len({p["id"] for p in panels(doc["panels"])}) == len(list(panels(doc["panels"])))
    for panel in graphs:
        assert panel["title"] and panel["targets"], panel["id"]
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24, panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == uid, panel["title"]
    (feed,) = [v for v in doc["templating"]["list"] if v["name"] == "feed"]
    assert feed["datasource"]["uid"] == uid
    assert feed["query"]["query"] == "label_values(driftmend_records_in_total, feed)"
    assert "feed" in SERIES["driftmend_records_in_total"]


def test_alert_rules_are_complete_and_name_only_exported_metrics() -> None:
    rules = alert_rules()
    names = {rule["alert"] for rule in rules}
    assert names >= {
        "DriftmendHighDrift",
        "DriftmendConsumptionStalled",
        "DriftmendDLQGrowing",
        "DriftmendRetrainFailures",
        "DriftmendWorkerDown",
    }
    assert len(names) == len(rules), "alert names repeat"
    for rule in rules:
        assert problems(rule["expr"]) == [], rule["alert"]
        assert re.fullmatch(r"\d+[smh]", str(rule["for"])), rule["alert"]
        assert rule["labels"]["severity"] in {"info", "warning", "critical"}, rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["annotations"]["description"], rule["alert"]


def test_job_names_in_queries_are_scraped() -> None:
    exprs = [rule["expr"] for rule in alert_rules()]
    exprs += [t["expr"] for p in panels(dashboard()["panels"]) for t in p.get("targets", [])]
    jobs = {job for expr in exprs for job in JOB.findall(expr)}
    assert jobs
    assert jobs <= scrape_jobs()


def test_prometheus_scrapes_every_worker_replica_and_loads_the_alerts() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    for rule_file in config["rule_files"]:
        assert (PROMETHEUS_DIR / rule_file).is_file(), rule_file
    assert "alerts.yml" in config["rule_files"]
    worker = compose_services()["worker"]
    port = worker["command"][worker["command"].index("--metrics-port") + 1]
    discovered = [
        (sd["names"], sd["type"], sd["port"])
        for job in config["scrape_configs"]
        for sd in job.get("dns_sd_configs", [])
    ]
    assert discovered == [(["worker"], "A", int(port))]
    assert port in [str(p) for p in worker["expose"]]


def test_worker_publishes_no_fixed_host_port_so_it_scales() -> None:
    worker = compose_services()["worker"]
    assert "container_name" not in worker
    for port in worker.get("ports", []):
        if isinstance(port, dict):
            assert "published" not in port, port
        else:
            assert ":" not in str(port), port


def test_compose_runs_prometheus_and_grafana_on_the_repo_files() -> None:
    services = compose_services()
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert prometheus["image"].startswith("prom/prometheus:")
    assert grafana["image"].startswith("grafana/grafana:")
    for service in (prometheus, grafana):
        mounts = bind_mounts(service)
        assert mounts, service["image"]
        for host in mounts.values():
            assert host.exists(), host

    config_flag = next(a for a in prometheus["command"] if a.startswith("--config.file="))
    config = Path(config_flag.removeprefix("--config.file="))
    assert bind_mounts(prometheus)[str(config.parent)] == PROMETHEUS_DIR
    assert (PROMETHEUS_DIR / config.name).is_file()

    grafana_mounts = bind_mounts(grafana)
    assert grafana_mounts["/etc/grafana/provisioning"] == GRAFANA_DIR / "provisioning"
    (provider,) = load_yaml(DASHBOARD_PROVIDER)["providers"]
    assert provider["type"] == "file"
    assert grafana_mounts[provider["options"]["path"]] == DASHBOARD.parent

    (datasource,) = load_yaml(DATASOURCE)["datasources"]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == "http://prometheus:9090"
    assert "9090:9090" in prometheus["ports"]


def test_promtool_accepts_the_rules_and_the_config() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        if os.environ.get("CI", "").lower() in {"true", "1"}:
            pytest.fail(
                "promtool is not installed; CI must check the rules (apt-get install prometheus)"
            )
        pytest.skip("promtool is not on PATH (Debian: apt-get install prometheus)")
    for check in (["rules", str(ALERTS)], ["config", str(PROMETHEUS_CONFIG)]):
        result = subprocess.run(
            [promtool, "check", *check], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
