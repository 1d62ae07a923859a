"""What happens around a release's public trail that spans transactions or needs a worker process.

The domain steps are in :mod:`entente.releases` (the commitment at scheduling, the publication entry in
``publish_due``, storing a PDF). This module only sequences them, for the schedule and lift handlers and
for the scheduler's tick:

1. after entries were appended to the transparency log, sign a checkpoint of the new size;
2. render the public PDFs that are due (scheduled releases without one, or lifted to another instant),
   each in the render pool (off the event loop, outside any transaction), then store it;
3. at each tick: render what is due, publish what is due (``publish_due``, which logs the publication
   entries), and sign the checkpoint again.

Each step can run any number of times and on several instances: what was done is not done again.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from entente import releases
from entente.clock import Clock, system_clock
from entente.documents.pool import DocumentRenderer
from entente.documents.spec import DocumentAttachment, DocumentSpec
from entente.documents.specs import alignment_rows, public_spec
from entente.platformkeys import LazyPlatformKeys
from entente.releases.pdfs import AlignedPdfWork, PdfWork, aligned_pdf_work, pdf_work, store_aligned_pdf, store_pdf
from entente.releases.publication import LogIdentity
from entente.settings import Settings
from entente.transparency import log as tlog

__all__ = ["Publisher", "publisher_for"]

log = logging.getLogger("entente.publisher")

Work = TypeVar("Work", PdfWork, AlignedPdfWork)


ATTACHED = {
    "version.json": ("The exact version bytes the parties signed (RFC 8785)", "Source"),
    "disclosures.json": ("The public sections and annex items, as salted disclosures of the version", "Data"),
    "signoffs.json": ("The parties' sign-offs: JWS over version.json (detached payload)", "Data"),
    "roster.json": ("The coalition's signed roster chain: the parties' keys", "Data"),
    "log-proof.json": ("The transparency log's commitment to this version, its inclusion proof and checkpoint", "Data"),
    "alignments.json": ("Parties that aligned later: JWS over version.json and their log entries", "Data"),
}


class Publisher:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        keys: LazyPlatformKeys,
        renderer: DocumentRenderer | None,
        tree: tlog.TreeCache | None,
        settings: Settings,
        clock: Clock,
        index: releases.PublicIndex | None = None,
    ) -> None:
        self.sessions, self.keys, self.renderer, self.tree, self.clock = sessions, keys, renderer, tree, clock
        self.index = index  # told at once of what changes public reads on this instance
        self.origin = tlog.log_origin(settings.server.public_url)
        self.base_url = settings.server.public_url

    async def identity(self) -> LogIdentity:
        return LogIdentity(self.origin, str(tlog.log_verifier(await self.keys.get(), self.origin)))

    async def certificate(self) -> str:
        return (await self.keys.get()).pdf_certificate.decode("ascii")

    async def sign_checkpoint(self) -> None:
        keys = await self.keys.get()
        async with self.sessions.begin() as session:
            await tlog.sign_checkpoint(session, keys, self.origin, self.clock(), cache=self.tree)

    def _spec(self, item: PdfWork | AlignedPdfWork) -> DocumentSpec:
        """The public document of a release, with the files it embeds."""
        files = [
            DocumentAttachment(name, data, "application/json", *ATTACHED[name])
            for name, data in item.attachments.items()
        ]
        return public_spec(item.record, item.party_names, files, base_url=self.base_url)

    async def render_pdfs(self, *, release_id: int | None = None) -> int:
        """Render and store each public PDF that is due (of one release, or all); how many were stored."""

        async def store(session: AsyncSession, item: PdfWork, pdf: bytes) -> int:
            return await store_pdf(
                session, release_id=item.release_id, embargo_at=item.embargo_at, pdf=pdf, now=self.clock()
            )

        return await self._render_due(
            lambda session, identity: pdf_work(session, identity, release_id=release_id, tree=self.tree),
            self._spec,
            store,
        )

    async def render_aligned_pdfs(self, *, communique_id: int | None = None) -> int:
        """Render and store each PDF with alignments that is due (the original PDF stays as it was)."""

        def spec(item: AlignedPdfWork) -> DocumentSpec:
            return dataclasses.replace(self._spec(item), alignments=alignment_rows(item.alignments, item.party_names))

        async def store(session: AsyncSession, item: AlignedPdfWork, pdf: bytes) -> bool:
            return await store_aligned_pdf(
                session, release_id=item.release_id, through=item.through, pdf=pdf, now=self.clock()
            )

        return await self._render_due(
            lambda session, identity: aligned_pdf_work(session, identity, communique_id=communique_id, tree=self.tree),
            spec,
            store,
        )

    async def _render_due(
        self,
        due: Callable[[AsyncSession, LogIdentity], Awaitable[list[Work]]],
        spec: Callable[[Work], DocumentSpec],
        store: Callable[[AsyncSession, Work, bytes], Awaitable[int]],
    ) -> int:
        """Render each item ``due`` finds, in the render pool and outside any transaction, then ``store``
        it in a transaction of its own and tell the public index (the pages link the PDFs); how many
        were stored."""
        if self.renderer is None:
            return 0
        identity = await self.identity()
        async with self.sessions() as session:
            work = await due(session, identity)
        stored = 0
        keys = await self.keys.get()
        for item in work:
            pdf = await self.renderer.render(spec(item), keys)
            async with self.sessions.begin() as session:
                stored += await store(session, item, pdf)
            if self.index is not None:
                self.index.invalidate()
        return stored

    async def after_alignment(self, communique_id: int) -> None:
        """After an alignment or its withdrawal (the release's page, the list and the feed show
        alignments): the checkpoint covering its log entry, then the PDF with alignments."""
        await self._after_change(
            lambda: self.render_aligned_pdfs(communique_id=communique_id),
            "the PDF with alignments of communiqué %s will be rendered at the next tick",
            communique_id,
        )

    async def after_release_change(self, release_id: int) -> None:
        """After scheduling or lifting (the release is committed already): the checkpoint covering the
        commitment, then the PDF."""
        await self._after_change(
            lambda: self.render_pdfs(release_id=release_id),
            "the public PDF of release %s will be rendered at the next tick",
            release_id,
        )

    async def _after_change(self, render: Callable[[], Awaitable[int]], failure: str, subject: int) -> None:
        """The public index and list pages of this instance see the change at once; then the checkpoint,
        then ``render``. A failure there is logged (``failure`` % ``subject``) and the scheduler's next
        tick does it again."""
        if self.index is not None:
            self.index.invalidate()
        try:
            await self.sign_checkpoint()
            await render()
        except Exception:
            log.exception(failure, subject)

    async def tick(self) -> list[int]:
        """One scheduler run: render what is due, publish what is due, sign the checkpoint."""
        try:
            await self.render_pdfs()
            await self.render_aligned_pdfs()
        except Exception:
            log.exception("rendering the due public PDFs failed; publishing goes on")
        async with self.sessions.begin() as session:
            released = await releases.publish_due(session, self.clock(), require_pdf=self.renderer is not None)
        await self.sign_checkpoint()
        return released


@asynccontextmanager
async def publisher_for(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], *, clock: Clock = system_clock
) -> AsyncIterator[Publisher]:
    """A publisher with its own render pool, for the command line (the server has one in its cleanup contexts)."""
    renderer = DocumentRenderer(settings.paths.templates, workers=1) if settings.documents.pdf else None
    try:
        yield Publisher(
            sessions=sessions,
            keys=LazyPlatformKeys(settings.platform_keys_dir),
            renderer=renderer,
            tree=None,
            settings=settings,
            clock=clock,
        )
    finally:
        if renderer is not None:
            await renderer.close()
