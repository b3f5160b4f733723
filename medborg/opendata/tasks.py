"""Background work for open data: keep the snapshots current, fetch the peers.

``run_scheduler`` enqueues ``update_snapshots`` every quarter of an hour and
``fetch_peers`` nightly; the admin enqueues ``update_snapshots`` on request.
The tasks take no arguments and return what they wrote.
"""

from django_tasks import task

from medborg.opendata import peers, services


@task()
def update_snapshots() -> int:
    """Recompute the periods with events not yet counted; return the rows written."""
    return services.update_snapshots()


@task()
def recompute_all() -> int:
    """Recompute every period from the first event on; return the rows written."""
    return services.recompute_all()


@task()
def fetch_peers() -> dict[str, int]:
    """Fetch every active peer with an address; return figures stored by code."""
    return peers.fetch_all()
