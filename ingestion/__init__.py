"""Clarity warehouse ingestion: fetch Clarity Data Export API responses and load them with dlt."""

__all__ = ["__version__"]
__version__ = "0.1.0"
