"""dbt docs opens on the project's own overview (the `__overview__` docs block, dbt's convention)
instead of the generic "Welcome!" page: what the project is and where to start."""

from __future__ import annotations

import re

from ingestion.outputs.assistant.docs import read_blocks


def test_the_overview_says_what_the_project_is_and_where_to_start():
    blocks = read_blocks()
    overview = blocks["__overview__"].text
    assert overview.startswith("# Clarity warehouse")
    for start in ("schema `marts`", "fct_site_daily", "lineage", "time zone"):
        assert start in overview, start
    # every docs block it points to exists
    named = set(re.findall(r"`(clarity_[a-z_]+)`", overview)) - {"clarity_raw"}  # a schema
    assert named and named <= set(blocks), named - set(blocks)
