"""Canvass: the read-only REST API over the marts and `ml.scores` (`api.app:create_app`)."""
