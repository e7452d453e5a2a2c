"""Logging for operators: one line per event on stderr, configured once at start-up from AIGC_LOG_LEVEL."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from aigc_demo import settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_MARK = "_aigc_demo_handler"


def configure(level: str | None = None, stream: TextIO | None = None) -> logging.Logger:
    """Send the app's own loggers (aigc_demo.*) to `stream` (stderr) at `level` (AIGC_LOG_LEVEL); idempotent."""
    logger = logging.getLogger("aigc_demo")
    for handler in [h for h in logger.handlers if getattr(h, _MARK, False)]:
        logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    setattr(handler, _MARK, True)
    logger.addHandler(handler)
    logger.setLevel(level or settings.LOG_LEVEL)
    # the app's lines once, whatever the host (gradio, uvicorn, a notebook) does with the root logger
    logger.propagate = False
    return logger
