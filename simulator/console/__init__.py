"""The console: the simulator's state in a browser, rendered on the server (Jinja2, a little htmx)."""
