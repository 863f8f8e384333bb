"""Stage 6, outputs: what people and tools read from the marts (the published copy, highlights)."""
