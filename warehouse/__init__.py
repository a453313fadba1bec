"""Warehouse: settings, connections, the embedded Postgres, migrations and loading helpers."""
