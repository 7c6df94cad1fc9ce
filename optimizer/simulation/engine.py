"""Where draws (and scenario sweeps) run: as Ray tasks, on this machine's cores or on an existing cluster.

`map_tasks(function, shared, items)` calls `function(shared, item)` for every item and returns the
results in the items' order. With Ray (the `cluster` extra) each call is one Ray task: `shared` is
put in the object store once, and Ray schedules the tasks (no scheduler of our own). The cluster is
`address`, else the `CAPPLAN_RAY_ADDRESS` environment variable; without either, Ray starts on this
machine with `workers` CPUs (default: all cores). Without Ray installed, or with `engine="local"`,
the calls run one after another in this process. Ray is imported only here, and only when used, so
`import optimizer` never loads it.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Literal

log = logging.getLogger(__name__)

#: The environment variable naming an existing Ray cluster (`ray://host:10001` or `host:6379`).
RAY_ADDRESS_VARIABLE = "CAPPLAN_RAY_ADDRESS"

Engine = Literal["auto", "ray", "local"]
#: Called with (tasks done, tasks in all) as tasks finish.
TaskProgress = Callable[[int, int], None]


def ray_available() -> bool:
    """True when Ray can be imported (the `cluster` extra is installed)."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_engine(engine: Engine, address: str | None) -> str:
    """`ray` or `local` for the requested engine (`auto`: Ray when installed)."""
    if engine == "local":
        if address:
            raise ValueError("a Ray address needs engine ray or auto, not local")
        return "local"
    if engine == "ray" or address:
        if not ray_available():
            raise RuntimeError("Ray is not installed: pip install 'capplan[cluster]'")
        return "ray"
    return "ray" if ray_available() else "local"


def cluster_address(address: str | None = None, engine: Engine = "auto") -> str | None:
    """The Ray cluster to use: `address`, else $CAPPLAN_RAY_ADDRESS (not for engine `local`), else None
    (start Ray locally)."""
    if engine == "local":
        return address
    return address or os.environ.get(RAY_ADDRESS_VARIABLE) or None


@contextlib.contextmanager
def ray_session(address: str | None, workers: int | None) -> Iterator[Any]:
    """Ray connected to `address` or started here with `workers` CPUs; an existing session is reused
    as it is (and left running), a session started here is shut down at the end."""
    import ray

    if ray.is_initialized():
        yield ray
        return
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(
            address="local",  # a new Ray on this machine, even when a cluster was started here with `ray start`
            num_cpus=workers or os.cpu_count() or 1,
            include_dashboard=False,
            log_to_driver=False,
            configure_logging=False,
        )
    log.info("Ray session: %s", "cluster " + address if address else f"local, {workers or os.cpu_count()} CPUs")
    try:
        yield ray
    finally:
        ray.shutdown()


def map_tasks(
    function: Callable[[Any, Any], Any],
    shared: Any,
    items: Sequence[Any],
    *,
    engine: Engine = "auto",
    address: str | None = None,
    workers: int | None = None,
    progress: TaskProgress | None = None,
) -> list[Any]:
    """`[function(shared, item) for item in items]`, as Ray tasks or in this process (module docstring).

    `function` must be importable by name (a module-level function) so that Ray workers find it.
    """
    report = progress or (lambda done, total: None)
    address = cluster_address(address, engine)
    if resolve_engine(engine, address) == "local":
        results = []
        for item in items:
            results.append(function(shared, item))
            report(len(results), len(items))
        return results
    with ray_session(address, workers) as ray:
        task = ray.remote(num_cpus=1)(function)
        shared_ref = ray.put(shared)
        pending = [task.remote(shared_ref, item) for item in items]
        order = {ref: i for i, ref in enumerate(pending)}
        results: list[Any] = [None] * len(items)
        done = 0
        while pending:
            finished, pending = ray.wait(pending, num_returns=1)
            for ref in finished:
                results[order[ref]] = ray.get(ref)
                done += 1
            report(done, len(items))
        return results
