"""A 2-day outage under the daily 00:10 schedule with every default dimension set and the full
quota, through the whole pipeline: what `clarity plan` forecasts for the recovery run, per set
and date, is what the marts then hold (exact where it said exact, solved estimates where it said
estimated), and no set loses a date."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

import pytest

from clarity_tools.offline import OfflineClarity, default_projects
from ingestion.commands.plan import forecast_lines
from ingestion.config import DEFAULT_DIMENSION_SETS
from ingestion.ingest import make_plans
from ingestion.transform.dbt_runner import SCHEDULED_BUILD, run_dbt
from tests.conftest import START, make_config
from tests.integration.helpers import ingest_at, query

pytestmark = pytest.mark.integration

PROJECT = "outage-docs"
OUTAGE_FIRST_RUN, OUTAGE_DAYS = 5, 2  # the runs of days 5 and 6 get 500s
RECOVERY_RUN = OUTAGE_FIRST_RUN + OUTAGE_DAYS
LAST_RUN = RECOVERY_RUN + 2
EXACT_SOURCES = {"one_day_window", "nested_difference", "solved_exact"}


def _run_at(number: int) -> datetime:
    return datetime.combine(START.date() + timedelta(days=number), time(0, 10), tzinfo=UTC)


def _gap_dates() -> list[date]:
    """The dates the recovery run's windows reach: the two the failed runs would have given and
    the recovery run's own."""
    return [START.date() + timedelta(days=n - 1) for n in range(OUTAGE_FIRST_RUN, RECOVERY_RUN + 1)]


@pytest.fixture(scope="module")
def recovered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("outage")
    base = next(spec for spec in default_projects() if spec.name == "contoso-docs")
    spec = dataclasses.replace(base, name=PROJECT, host=f"{PROJECT}.example", regressions=())
    service = OfflineClarity(projects=[spec], seed=5, start=START, days=LAST_RUN + 2)
    with service:
        service.add_outage(PROJECT, _run_at(OUTAGE_FIRST_RUN).date(), OUTAGE_DAYS)
        config = make_config(service, folder, projects=[PROJECT])
        forecast = None
        for number in range(1, LAST_RUN + 1):
            if number == RECOVERY_RUN:
                service.clock.set(_run_at(number))
                forecast = make_plans(config, _run_at(number))[0]
            ingest_at(service, config, _run_at(number))
    code, _ = run_dbt(SCHEDULED_BUILD, config.duckdb_path, target_path=folder / "target")
    assert code == 0, "dbt build failed"
    chosen = query(
        config.duckdb_path,
        "select dimensions, activity_date, value_source from intermediate.int_periods_chosen_daily "
        "where project = ? and activity_date between ? and ?",
        [PROJECT, min(_gap_dates()), max(_gap_dates())],
    )
    return forecast, {(dims, day): source for dims, day, source in chosen}


def _key(dimensions: tuple[str, ...]) -> str:
    return ",".join(sorted(dimensions))


def test_the_recovery_run_asks_every_set_and_the_forecast_says_so(recovered):
    plan, _ = recovered
    asked = {_key(r.dimensions) for r in plan.requests}
    assert asked == {_key(d) for d in DEFAULT_DIMENSION_SETS}
    assert plan.set_days() == {"exact": 0, "estimated": 30, "lost": 0, "waiting": 0}
    lines = forecast_lines(plan)
    assert any(line.startswith("    every set due: estimated ") for line in lines), lines
    assert lines[-1] == "    set-days: 0 exact, 30 estimated, 0 lost, 0 waiting"


def test_every_set_has_a_value_for_every_date_of_the_gap_as_forecast(recovered, capsys):
    plan, chosen = recovered
    outcome = Counter()
    for forecast in plan.forecasts:
        key = _key(forecast.dimensions)
        for kind in ("exact", "estimated"):
            for day in getattr(forecast, kind):
                source = chosen.get((key, day))
                outcome[kind, source] += 1
                assert source is not None, f"[{key}] {day}: no daily value"
                if kind == "exact":
                    assert source in EXACT_SOURCES, (key, day, source)
                else:
                    assert source == "solved_estimate", (key, day, source)
    missing = [
        (_key(d), day)
        for d in DEFAULT_DIMENSION_SETS
        for day in _gap_dates()
        if (_key(d), day) not in chosen
    ]
    with capsys.disabled():
        print(f"\n2-day outage, ten sets, set-days by forecast and value_source: {dict(outcome)}")
    assert missing == []
