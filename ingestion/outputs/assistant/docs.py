"""The dbt docs blocks that say what the numbers mean (a session, a window, day coverage, the
frustration score, the alert rule...), read from dbt_project/docs/*.md whenever they are asked
for, so the assistant explains an answer with the project's own definitions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ingestion import PROJECT_ROOT

DOCS_DIR = PROJECT_ROOT / "dbt_project" / "docs"
URI_PREFIX = "clarity://docs/"

# the blocks an assistant needs to read the tools' numbers right, in reading order
ASSISTANT_DOCS = (
    "clarity_session",
    "clarity_window",
    "clarity_activity_date",
    "clarity_day_coverage",
    "clarity_value_source",
    "clarity_daily_choice",
    "clarity_nested_recovery",
    "clarity_window_solver",
    "clarity_missing_reason",
    "clarity_frustration_signals",
    "clarity_signal_rate",
    "clarity_recombined_windows",
    "clarity_frustration_score",
    "clarity_score_shrinkage",
    "clarity_excess_frustrated_sessions",
    "clarity_iso_week",
    "clarity_week_over_week",
    "clarity_alert_rule",
    "clarity_collection_alert",
    "clarity_incident_rule",
    "clarity_page_url",
    "clarity_page_url_raw",
)

_BLOCK = re.compile(r"{%-?\s*docs\s+(\w+)\s*-?%}(.*?){%-?\s*enddocs\s*-?%}", re.DOTALL)


@dataclass(frozen=True)
class DocsBlock:
    name: str
    text: str

    @property
    def uri(self) -> str:
        return URI_PREFIX + self.name

    @property
    def summary(self) -> str:
        """The block's first sentence (two when the first is only a title) without Markdown
        emphasis, cut at a word near 180 characters (a resource description)."""
        text = " ".join(self.text.replace("**", "").replace("`", "").split())
        sentences = re.split(r"(?<=\.)\s", text, maxsplit=2)
        first = " ".join(sentences[:2]) if len(sentences[0]) < 40 else sentences[0]
        return first if len(first) <= 180 else first[:180].rsplit(" ", 1)[0] + " ..."


def read_blocks(folder: Path = DOCS_DIR) -> dict[str, DocsBlock]:
    """Every `{% docs name %}...{% enddocs %}` block of the Markdown files in `folder`."""
    blocks: dict[str, DocsBlock] = {}
    for path in sorted(folder.glob("*.md")):
        for match in _BLOCK.finditer(path.read_text(encoding="utf-8")):
            blocks[match.group(1)] = DocsBlock(match.group(1), match.group(2).strip())
    return blocks


def assistant_blocks(folder: Path = DOCS_DIR) -> list[DocsBlock]:
    """The blocks of ASSISTANT_DOCS found in `folder`, in that order."""
    blocks = read_blocks(folder)
    return [blocks[name] for name in ASSISTANT_DOCS if name in blocks]


def read_block(name: str, folder: Path = DOCS_DIR) -> str:
    """The current text of one block (re-read from the files); KeyError if it is gone."""
    return read_blocks(folder)[name].text
