"""Pages, revisions and messages in a person's data export and erasure (filled in below)."""
