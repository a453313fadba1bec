"""Canvass: the read-only REST API over the delivery marts (`api.app:create_app`)."""
