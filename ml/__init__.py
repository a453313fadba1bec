"""Canvass: ml."""
