"""`clarity report`: what the marts say, for people who do not write SQL, as one self-contained
HTML file (charts as inline SVG, no script, style or font fetched from anywhere) or as Markdown
with PNG charts beside it. data.py shapes what the named queries of outputs/marts.py answer,
charts.py draws it with Altair (Vega-Lite, rendered offline by vl-convert), page.py writes the
file."""

from ingestion.outputs.report.page import ReportResult, write_report

__all__ = ["ReportResult", "write_report"]
