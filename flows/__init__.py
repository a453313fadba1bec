"""Canvass: flows."""
