"""`clarity status`: last loads, quota used today and freshness per project, read-only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ingestion import settings
from ingestion.destinations import Warehouse

RAW = settings.DATASET_NAME


@dataclass
class ProjectStatus:
    project: str
    snapshots: int
    metric_rows: int
    last_fetched_at: datetime | None
    requests_today: int
    errors_today: int
    last_loaded_at: datetime | None

    def freshness_hours(self, now: datetime) -> float | None:
        if self.last_fetched_at is None:
            return None
        return (now - self.last_fetched_at).total_seconds() / 3600


def project_statuses(warehouse: Warehouse, now: datetime) -> list[ProjectStatus]:
    start = datetime(now.year, now.month, now.day, tzinfo=timezone.utc)
    end = start + timedelta(days=1)
    with warehouse.reader() as reader:
        if reader is None or not reader.table_exists(RAW, "snapshots"):
            return []
        has_requests = reader.table_exists(RAW, "requests")
        requests_sql = (
            f"""select project,
                count(*) filter (where counted_against_quota) as spent,
                count(*) filter (where error_class is not null) as errors
              from {RAW}.requests where requested_at >= ? and requested_at < ? group by project"""
            if has_requests
            else "select null as project, 0 as spent, 0 as errors where false"
        )
        params = [start, end] if has_requests else []
        rows = reader.fetchall(
            f"""
            with snaps as (
                select project, count(*) as snapshots, max(fetched_at) as last_fetched_at,
                       max(_dlt_load_id) as last_load_id
                from {RAW}.snapshots group by project
            ),
            metric as (
                select project, count(*) as metric_rows from {RAW}.metric_rows group by project
            ),
            req as ({requests_sql})
            select s.project, s.snapshots, coalesce(m.metric_rows, 0), s.last_fetched_at,
                   coalesce(r.spent, 0), coalesce(r.errors, 0), l.inserted_at
            from snaps as s
            left join metric as m on m.project = s.project
            left join req as r on r.project = s.project
            left join {RAW}._dlt_loads as l on l.load_id = s.last_load_id
            order by s.project
            """,
            params,
        )
    return [
        ProjectStatus(
            project=row[0],
            snapshots=row[1],
            metric_rows=row[2],
            last_fetched_at=_utc(row[3]),
            requests_today=row[4],
            errors_today=row[5],
            last_loaded_at=_utc(row[6]),
        )
        for row in rows
    ]


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value
