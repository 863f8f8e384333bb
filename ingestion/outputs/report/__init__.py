"""`clarity report`: what the marts say, for people who do not write SQL, as one self-contained
HTML file (charts as inline SVG, no script, style or font fetched from anywhere) or as Markdown
with PNG charts beside it. data.py shapes what the named queries of outputs/marts.py answer,
charts.py builds its charts with Altair (Vega-Lite specs), drawing.py renders them offline with
vl-convert in a helper process, page.py writes the file."""

__all__ = ["ReportResult", "write_report"]


def __getattr__(name: str):
    # imported when asked for, so that the chart drawing process (drawing.py, run with
    # `python -m`) does not import pandas and Altair
    if name in __all__:
        from ingestion.outputs.report import page

        return getattr(page, name)
    raise AttributeError(name)
