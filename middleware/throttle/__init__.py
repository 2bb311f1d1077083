"""Per-key throttling."""
