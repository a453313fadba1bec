"""Canvass: flows/sources."""
