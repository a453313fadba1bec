"""Canvass: dashboards."""
