"""The processes that look at pictures: PDQ hashes and NudeNet, never on the event loop.

A NudeNet classification is a few hundred milliseconds of CPU in ONNX Runtime and a PDQ hash
tens of milliseconds; either would stall every request of the node if it ran in the server's
process, and a thread would still hold the GIL for the Python parts. So they run in a
`ProcessPoolExecutor` of PLAZA_MODERATION_SCAN_PROCESSES processes, started with `spawn`
(a fresh interpreter: no copy of the server's sockets, threads or database connections, and
the only safe start method once threads exist). A child imports the detectors alone and
loads NudeNet's model on its first picture.

A child only computes: the picture's hashes and the signals NudeNet's detections make under
the rules it is given. Matching the hashes against the operator's list happens in the
parent, with the list as it is at that moment (lists change while the server runs).

A child that dies (killed for memory, a crash in native code) breaks the whole executor:
`ScanPool` then starts a new one and the scan that was running fails with `PoolBroken`, to
be tried again (its attempts are counted, so a picture that kills children is given up).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from plaza.moderation.detectors.images import ImageHashes, pdq_hashes
from plaza.moderation.detectors.signals import Rule, Signal

log = logging.getLogger(__name__)


class PoolBroken(RuntimeError):
    """A scanning process died during this scan; the pool has been replaced."""


@dataclass(frozen=True, slots=True)
class Scanned:
    """What a child found in one picture."""

    hashes: ImageHashes
    nudity: list[Signal]


def scan_picture(data: bytes, nudity_rules: Sequence[Rule]) -> Scanned:
    """In a child: hash the picture and, for each rule given, NudeNet's signals under it
    (classified once whatever the number of rules; none given, NudeNet is not run)."""
    hashes = pdq_hashes(data)
    signals: list[Signal] = []
    if nudity_rules:
        # Imported here: only processes that classify load ONNX Runtime and OpenCV.
        from plaza.moderation.detectors.nudity import (
            NudityClassifier,
            NudityThresholds,
            nudity_signals,
        )

        detections = NudityClassifier().detections(data)
        thresholds = NudityThresholds()
        for rule in nudity_rules:
            signals += nudity_signals(detections, rule, thresholds)
    return Scanned(hashes, signals)


class ScanPool:
    """`processes` scanning processes, started on first use."""

    def __init__(self, processes: int) -> None:
        if processes < 1:
            raise ValueError("a scan pool needs at least one process")
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def _current(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes, mp_context=multiprocessing.get_context("spawn")
            )
        return self._executor

    async def scan(self, data: bytes, nudity_rules: Sequence[Rule]) -> Scanned:
        """Scan one picture in a child process; the event loop only waits."""
        executor = self._current()
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(executor, scan_picture, data, tuple(nudity_rules))
        except BrokenProcessPool:
            log.warning("a picture scanning process died; starting a new pool")
            if self._executor is executor:
                self._executor = None
                executor.shutdown(wait=False, cancel_futures=True)
            raise PoolBroken("a scanning process died") from None

    def close(self) -> None:
        """Stop the children; scans still running are abandoned (their rows stay pending and
        are taken up again at the next start)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
