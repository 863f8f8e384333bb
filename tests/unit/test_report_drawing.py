"""The chart drawing process (outputs/report/drawing.py): what it draws equals what vl-convert
draws in this process, answers keep the order of the requests, a chart that cannot be drawn
fails alone with a message, and what a helper that died owed is drawn here instead of hanging
the report."""

from __future__ import annotations

import json

import pytest

from ingestion.outputs.report import drawing


def _spec(values: list[int], title: str = "") -> str:
    return json.dumps(
        {
            "title": title,
            "data": {"values": [{"x": i, "y": v} for i, v in enumerate(values)]},
            "mark": "bar",
            "encoding": {
                "x": {"field": "x", "type": "ordinal"},
                "y": {"field": "y", "type": "quantitative"},
            },
        }
    )


def test_drawn_in_the_helper_equals_drawn_here_in_the_order_sent():
    specs = [_spec([k, 2 * k, 3], f"chart {k}") for k in range(5)]
    with drawing.Drawer() as drawer:
        futures = [drawer.draw(spec) for spec in specs]
        png = drawer.draw(specs[0], "png")
        svgs = [future.result(timeout=60) for future in futures]
        drawn_png = png.result(timeout=60)
    assert svgs == [drawing.draw_here(spec, "svg") for spec in specs]
    assert all(f">chart {k}<" in svg for k, svg in enumerate(svgs))
    assert drawn_png.startswith(b"\x89PNG") and drawn_png == drawing.draw_here(specs[0], "png")


def test_a_spec_that_cannot_be_drawn_fails_only_its_own_chart():
    with drawing.Drawer() as drawer:
        bad = drawer.draw('{"mark": ')
        good = drawer.draw(_spec([1, 2]))
        with pytest.raises(ValueError, match="the chart could not be drawn"):
            bad.result(timeout=60)
        assert good.result(timeout=60).startswith("<svg")


def test_what_a_helper_that_died_owed_is_drawn_here():
    spec = _spec([1, 2, 3], "owed")
    drawer = drawing.Drawer()
    try:
        owed = drawer.draw(spec)  # sent before the helper's engine is even started
        drawer._process.kill()
        after = drawer.draw(_spec([4], "after"))
        assert owed.result(timeout=60) == drawing.draw_here(spec, "svg")
        assert ">after<" in after.result(timeout=60)
        drawer._reader.join(timeout=60)
        assert drawer._ended.startswith("exit code -9")
    finally:
        drawer.close()


def test_an_unknown_format_is_refused_before_anything_is_sent():
    with drawing.DrawerHere() as here, pytest.raises(ValueError, match="svg"):
        here.draw(_spec([1]), "gif").result()
    with drawing.Drawer() as drawer, pytest.raises(ValueError, match="not 'gif'"):
        drawer.draw(_spec([1]), "gif")
