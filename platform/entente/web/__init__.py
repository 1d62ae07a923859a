"""HTTP: the JSON API (``web.api``), party pages (``web.pages``), the public site (``web.public``)."""
