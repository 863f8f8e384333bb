"""Tools beside the product, never imported by it: the offline Clarity service (offline/), the demo
and the benchmark. Their extra dependencies are the `offline` extra of pyproject.toml."""
