"""Stage 2, collecting: which requests to send today within the quota (pure planner, quota view),
asking them, and landing every body and request record on disk before anything is parsed."""
