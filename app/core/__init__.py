"""Helpers shared by more than one area: clock, time zones, HTMX rendering, assets, security."""
