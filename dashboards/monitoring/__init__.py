"""The monitoring dashboard: the SLA board, drift of the deployed model's inputs, and realised
against expected precision over time (Bokeh server app, directory format)."""
