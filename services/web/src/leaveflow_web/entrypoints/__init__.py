"""HTTP entrypoints of the web: pages, HTMX partials, sign-in and the live stream."""
