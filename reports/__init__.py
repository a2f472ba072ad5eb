"""Weekly email snapshots and comparison exports. Reads metrics and storage only."""
