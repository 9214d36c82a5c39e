"""Batch inference over scraped archives: ``run_batch`` (and ``gongkai batch``)."""

from gongkai.batch.runner import BatchResult, run_batch
from gongkai.batch.worker import Options

__all__ = ["BatchResult", "Options", "run_batch"]
