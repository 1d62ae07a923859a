"""Entente: allied governments co-draft, sign off, embargo and publish verifiable joint statements."""

__version__ = "0.1.0"
