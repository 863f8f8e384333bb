"""The tools beside the product (the offline Clarity service, the demo), for the commands that
run them; they need the `offline` extra."""

from __future__ import annotations

from types import ModuleType

from ingestion.errors import ConfigurationError


def tools() -> ModuleType:
    """The clarity_tools package with its offline service and demo imported."""
    try:
        import clarity_tools.demo
        import clarity_tools.offline
    except ImportError as exc:
        raise ConfigurationError(
            f"the offline Clarity service needs the `offline` extra ({exc}): "
            "pip install -e '.[offline]' (./scripts/demo installs it)"
        ) from None
    return clarity_tools
