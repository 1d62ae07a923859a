"""Offline verification of what Entente publishes: a signed PDF, a publication bundle, or a release's URL.

- :mod:`.report`: the checks and the verdict (valid, invalid, indeterminate) with their exit codes
- :mod:`.publication`: the checks themselves, over a bundle or over a PDF's embedded files; the log's
  part is checked by :mod:`.logcheck`, later alignments by :mod:`.alignments`, and what they share
  (options, the parts, the guard around each check) is :mod:`.parts`
- :mod:`.sources`: reading a file or fetching a URL (bounded, plain ``urllib``)

Nothing here imports the server (aiohttp, the database): ``entente verify`` runs on any machine.
"""

from entente.verification.parts import VerifyOptions
from entente.verification.publication import verify_bundle, verify_pdf
from entente.verification.report import Check, Report, Status

__all__ = ["Check", "Report", "Status", "VerifyOptions", "verify_bundle", "verify_pdf"]
