"""The model dashboard (Bokeh server app, directory format)."""
