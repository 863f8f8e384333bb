"""Tests of the offline Clarity service (real HTTP against a loopback server)."""
