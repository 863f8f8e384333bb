"""Stage 1, the Clarity Data Export API: the wire contract (blocks, signals, dimensions, body
shape), the HTTP client and its typed errors, and the identity and window of a response."""
