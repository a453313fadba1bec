"""The ranking dashboard: a Bokeh server app in directory format (`main.py`, `data.py`,
`app_hooks.py`, `theme.yaml`, `templates/`, `queries/`). Serve it with `dashboards.serve()`."""
