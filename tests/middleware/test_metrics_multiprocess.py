"""Several worker processes: with PROMETHEUS_MULTIPROC_DIR their counters sum on /metrics."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

_WORKER = """
from middleware import metrics
for _ in range({n}):
    metrics.REQUESTS.labels("openai_chat", "200", "allow").inc()
metrics.REQUEST_DURATION.labels("openai_chat").observe(0.2)
metrics.IN_FLIGHT.inc()
if {exit_cleanly}:
    metrics.process_exited()
"""
_EXPOSE = (
    "import sys; from middleware import metrics; sys.stdout.buffer.write(metrics.exposition()[0])"
)


def _run(code: str, env: dict[str, str]) -> bytes:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, check=True, capture_output=True, timeout=60
    ).stdout


def test_two_processes_counters_sum(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), env.get("PYTHONPATH", "")])
    _run(_WORKER.format(n=3, exit_cleanly=True), env)
    _run(_WORKER.format(n=4, exit_cleanly=False), env)
    page = _run(_EXPOSE, env).decode()
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(page)
        for s in family.samples
    }
    labels = (("decision", "allow"), ("route", "openai_chat"), ("status", "200"))
    assert samples[("tollgate_requests_total", labels)] == 7
    count = ("tollgate_request_duration_seconds_count", (("route", "openai_chat"),))
    assert samples[count] == 2
    # In-flight gauges sum live processes: the worker that reported its exit drops out.
    assert samples[("tollgate_requests_in_flight", ())] == 1
