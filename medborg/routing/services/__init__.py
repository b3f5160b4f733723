"""Every write to route plans: ``planning`` (solving and storing a day's
plan) and ``stops`` (the driver marking a stop emptied or skipped)."""
