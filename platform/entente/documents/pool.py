"""``DocumentRenderer``: renders and signs PDFs in a process pool, so the event loop never waits for WeasyPrint.

The pool is started on the first render (a server that never renders pays nothing) with the ``spawn``
start method (a fork of a process running an event loop and threads is unsafe), and shut down by the
app's cleanup context. Specs cross into the worker whole (they are plain values); so does the platform's
PDF key, as PKCS#8 DER, only to the server's own worker processes.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from entente import signing
from entente.documents.spec import DocumentSpec, ReportSpec
from entente.platformkeys import PlatformKeys

__all__ = ["DocumentRenderer", "render_and_sign"]

WORKER_NICENESS = 10


def render_and_sign(
    spec: DocumentSpec | ReportSpec, templates_dir: Path, key_der: bytes, certificate_pem: bytes
) -> bytes:
    """In a worker: the PDF/A-3b of ``spec``, signed with the platform's PDF key (PAdES B-B)."""
    from entente.documents.rendering import render_pdf
    from entente.documents.signature import sign_pdf

    return sign_pdf(render_pdf(spec, templates_dir), key_der, certificate_pem)


def _warm_up() -> None:
    """Lower the worker's CPU priority (rendering is background work: the event loop's process comes
    first when cores are busy), then import WeasyPrint and pyHanko before the first document waits."""
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    import entente.documents.rendering  # noqa: F401
    import entente.documents.signature  # noqa: F401


class DocumentRenderer:
    """Renders and signs documents in ``workers`` processes, started on the first render."""

    def __init__(self, templates_dir: Path, *, workers: int = 1) -> None:
        self.templates_dir = templates_dir
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            )
        return self._pool

    async def render(self, spec: DocumentSpec | ReportSpec, keys: PlatformKeys) -> bytes:
        """The signed PDF of ``spec``; the work runs in the pool."""
        loop = asyncio.get_running_loop()
        key_der = signing.private_key_der(keys.pdf)
        return await loop.run_in_executor(
            self._executor(), render_and_sign, spec, self.templates_dir, key_der, keys.pdf_certificate
        )

    async def close(self) -> None:
        """Stop the workers (waiting in a thread, so the loop keeps running meanwhile)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
