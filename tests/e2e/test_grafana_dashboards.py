"""The committed Grafana JSON is what the generator produces, and every panel queries something."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e._deploy import GRAFANA, dashboard_queries, load_generator


def test_committed_dashboards_are_up_to_date(tmp_path: Path) -> None:
    generator = load_generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    for generated in sorted(tmp_path.glob("*.json")):
        committed = GRAFANA / "dashboards" / generated.name
        assert committed.exists(), f"{generated.name} is not committed"
        assert committed.read_text() == generated.read_text(), (
            f"{generated.name} is stale: run python deploy/grafana/generate.py"
        )


def test_check_mode_reports_stale_json(tmp_path: Path) -> None:
    generator = load_generator()
    assert generator.main(["--out", str(tmp_path)]) == 0
    (tmp_path / "overview.json").write_text("{}\n")
    assert generator.main(["--check", "--out", str(tmp_path)]) == 1


def test_four_dashboards_with_unique_uids() -> None:
    boards = [json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))]
    assert sorted(b["uid"] for b in boards) == [
        "tollgate-health",
        "tollgate-overview",
        "tollgate-policy",
        "tollgate-throttling",
    ]


def test_every_panel_has_a_query_on_the_selected_job() -> None:
    queries = list(dashboard_queries())
    assert len(queries) > 40
    for board, title, expr in queries:
        assert 'job="$job"' in expr, f"{board}: {title}"
