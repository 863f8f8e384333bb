"""Stage 3, loading: parse landed bodies into raw rows on dlt's Arrow path and load them with dlt,
from a run's landing folder or from archived files."""
