"""Canvass ML library: temporal splits, model grid, metrics, registry, bias audit, selection, report.

Frames, configs and connections in, results out; it imports nothing else of Canvass's and never
reads settings.
"""
