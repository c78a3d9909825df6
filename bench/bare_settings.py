"""Psynote's own settings with the bench's URL configuration (`bench.bare`): the product's
URLs plus one bare view, so the bare view is served by the same server, workers,
middleware and database as the pages it is compared with. Benchmarks only."""

from psynote.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
