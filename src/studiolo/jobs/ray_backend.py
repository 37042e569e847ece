"""The same jobs on a Ray cluster: actors that are queue workers, placed by resources.

`RayPool(settings, address=...)` connects to a cluster (`auto`: the one started on this
machine with `ray start --head`; or HOST:PORT) and starts actors, each holding a Studio on
the shared catalog (PostgreSQL, or SQLite when every node is this machine) and the shared
file store (the studio folder on a shared disk, or `STUDIOLO_FILES_URL`). GPU actors ask
Ray for `num_gpus` and take heavy jobs, one at a time each (Ray gives each its own GPU);
CPU actors ask for one CPU and take light jobs, and heavy ones too when the cluster has no
GPU. The queue in the catalog stays the one place jobs come from, so fairness, leases,
retries and "no job runs twice" are the queue's, whatever runs it: an actor that is killed
loses its leases, Ray starts it again, and its jobs are taken up by whichever actor asks
first once the leases end.

Where the file store is shared through an S3-compatible store (`STUDIOLO_FILES_URL=s3://...`),
the driver's AWS_* and FSSPEC_* variables travel to the actors in their runtime environment
(`store_env`), so a node started without them still reaches the same store as this process.

An address with nothing listening, or a cluster that does not answer within `timeout_s`,
is one sentence (`RayUnavailable`), never a hang.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from studiolo.catalog.queue import LEASE_S
from studiolo.core.errors import StudioloError
from studiolo.core.settings import Settings

CONNECT_TIMEOUT_S = 20.0


class RayUnavailable(StudioloError):
    """No Ray cluster answers at the address given."""


def _host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RayUnavailable(f"`--address` must be auto or HOST:PORT (the head's GCS port, "
                             f"6379 by default), got {address!r}.")
    return host.strip("[]"), int(port)


def _probe(host: str, port: int, timeout_s: float) -> None:
    """Fail fast, in one sentence, when nothing listens at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return
    except TimeoutError:
        reason = f"no answer within {timeout_s:g} s"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    raise RayUnavailable(
        f"No Ray cluster answers at {host}:{port} ({reason}); start one with `ray start "
        f"--head --port {port}` there, or give the address of a running head node.")


def connect(address: str = "auto", *, timeout_s: float = CONNECT_TIMEOUT_S,
            namespace: str = "studiolo") -> Any:
    """`ray.init` on the cluster at `address`, within `timeout_s` (or `RayUnavailable`)."""
    try:
        import ray
    except ImportError:
        raise RayUnavailable("Ray is not installed here: pip install 'ray[default]' (the same "
                             "version as the cluster's).") from None
    if ray.is_initialized():
        return ray
    if address != "auto":
        _probe(*_host_port(address), timeout_s=min(timeout_s, 5.0))
    box: dict[str, BaseException] = {}

    def init() -> None:
        try:
            ray.init(address=address, namespace=namespace, logging_level="ERROR",
                     log_to_driver=False, configure_logging=False)
        except BaseException as exc:  # noqa: BLE001  (handed to the caller's thread)
            box["error"] = exc

    thread = threading.Thread(target=init, daemon=True, name="studiolo-ray-connect")
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise RayUnavailable(f"The Ray cluster at {address} did not answer within "
                             f"{timeout_s:g} s; check that its head node is up and that this "
                             "machine may reach it (ports 6379 and up).")
    if "error" in box:
        error = box["error"]
        if address == "auto":
            raise RayUnavailable("No Ray cluster is running on this machine (--address auto "
                                 "looks for one started with `ray start --head`); start one, or "
                                 "give --address HOST:PORT.") from None
        detail = " ".join(str(error).split())[:200]
        raise RayUnavailable(f"Cannot join the Ray cluster at {address}: {detail}.") from None
    return ray


# The variables botocore/s3fs read for an S3-compatible store (and fsspec's own settings).
STORE_ENV = ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION")


def store_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """What the actors need to reach this process's shared file store."""
    environ = dict(os.environ if environ is None else environ)
    return {k: v for k, v in environ.items() if k in STORE_ENV or k.startswith("FSSPEC_")}


@dataclass(frozen=True)
class ActorPlan:
    """Which actors to start: `cpu` one-CPU actors and `gpu` actors of `num_gpus` each."""

    cpu: int
    gpu: int = 0
    num_gpus: float = 1.0


def plan(resources: dict[str, float], cpu_workers: int | None,
         gpu_workers: int | None) -> ActorPlan:
    """As many GPU actors as the cluster has GPUs (unless told), CPU actors as asked (default:
    the cluster's CPUs less the GPU actors' own)."""
    gpus = int(resources.get("GPU", 0))
    gpu = gpus if gpu_workers is None else max(0, gpu_workers)
    cpus = int(resources.get("CPU", 1))
    cpu = max(1, cpus - gpu) if cpu_workers is None else max(0, cpu_workers)
    return ActorPlan(cpu=cpu, gpu=gpu)


def _actor_class(ray: Any) -> Any:
    class QueueWorker:
        """A Ray actor that is a queue worker (jobs/worker.py) on a Studio of its own."""

        def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
            from studiolo.jobs.worker import Worker, worker_name
            from studiolo.studio import Studio

            self.studio = Studio(settings=settings)
            self.worker = Worker(self.studio, name=worker_name("ray:"), **options)
            self._stop = threading.Event()
            # One work loop at a time: a loop for a new batch ends the one before it first.
            # (Two loops on one Worker would not both run: the first to see its batch over
            # stops the Worker's threads under the other, which then ends too and leaves
            # this actor idle for the new batch.)
            self._loop = threading.Lock()
            self._current: threading.Event | None = None

        def name(self) -> str:
            return self.worker.name

        def pid(self) -> int:
            import os

            return os.getpid()

        def run(self, batch: str | None = None) -> dict[str, int]:
            """Work until stopped, or (with `batch`) until that batch has nothing pending."""
            mine = threading.Event()
            earlier, self._current = self._current, mine
            if earlier is not None:
                earlier.set()

            def finished() -> bool:
                if self._stop.is_set() or mine.is_set():
                    return True
                if batch is None:
                    return False
                counts = self.studio.catalog.batch_counts(batch)
                return counts["queued"] + counts["running"] == 0

            with self._loop:  # the earlier loop lets its job in hand finish, then ends
                if mine.is_set():  # a still newer loop came meanwhile
                    return {"done": 0, "failed": 0, "cancelled": 0, "lost": 0}
                stats = self.worker.run_until(finished, check_s=0.2)
            return {"done": stats.done, "failed": stats.failed, "cancelled": stats.cancelled,
                    "lost": stats.lost}

        def stop(self) -> bool:
            self._stop.set()
            return True

    # Threaded (max_concurrency): `stop` and `name` are answered while `run` works.
    return ray.remote(max_restarts=3, max_task_retries=0, max_concurrency=4)(QueueWorker)


class RayPool:
    """Queue-worker actors on a Ray cluster, for one studio's settings."""

    def __init__(self, settings: Settings, *, address: str = "auto",
                 cpu_workers: int | None = None, gpu_workers: int | None = None,
                 lease_s: float = LEASE_S, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.ray = connect(address, timeout_s=timeout_s)
        self.settings = settings
        self.plan = plan(self.ray.cluster_resources(), cpu_workers, gpu_workers)
        actor = _actor_class(self.ray)
        heavy_only = {"light": 0, "devices": ("cuda",), "lease_s": lease_s}
        # With GPU actors, CPU actors leave heavy jobs to them; without, they take either.
        cpu_options = ({"light": 1, "devices": (), "lease_s": lease_s} if self.plan.gpu
                       else {"light": 0, "devices": (), "either": 1, "lease_s": lease_s})
        extra = store_env() if settings.files_url else {}
        runtime = {"runtime_env": {"env_vars": extra}} if extra else {}
        self.actors = [actor.options(num_cpus=1, num_gpus=self.plan.num_gpus, **runtime)
                       .remote(settings, heavy_only) for _ in range(self.plan.gpu)]
        self.actors += [actor.options(num_cpus=1, num_gpus=0, **runtime)
                        .remote(settings, cpu_options) for _ in range(self.plan.cpu)]
        self._runs: dict[int, Any] = {}
        self._batch: str | None = None

    def ready(self, timeout_s: float = 300.0) -> list[str]:
        """Wait for every actor to have opened its studio; their worker names."""
        return list(self.ray.get([a.name.remote() for a in self.actors], timeout=timeout_s))

    def pids(self) -> list[int]:
        return list(self.ray.get([a.pid.remote() for a in self.actors], timeout=60))

    def run(self, batch: str | None = None) -> None:
        """Start every actor's work loop (returns at once): until stopped, or until `batch`
        has nothing queued or running."""
        self._batch = batch
        self._runs = {i: a.run.remote(batch) for i, a in enumerate(self.actors)}

    def wait(self, finished: Callable[[], bool], poll_s: float = 0.5) -> None:
        """Until `finished()`. The loop of an actor killed with its process is started again
        once Ray has started the actor again."""
        from ray.exceptions import RayActorError

        while not finished():
            if not self._runs:  # every loop ended, yet jobs remain (a lease still running out)
                self.run(self._batch)
            refs = list(self._runs.values())
            ready, _ = self.ray.wait(refs, timeout=poll_s, num_returns=len(refs))
            for ref in ready:
                index = next(i for i, r in self._runs.items() if r == ref)
                try:
                    self.ray.get(ref)
                except RayActorError:
                    self._runs[index] = self.actors[index].run.remote(self._batch)
                else:
                    del self._runs[index]

    def stop(self, timeout_s: float = 60.0) -> None:
        """Stop every actor (they finish the job in hand first), then end them."""
        from ray.exceptions import RayActorError

        try:
            self.ray.get([a.stop.remote() for a in self.actors], timeout=timeout_s)
            if self._runs:
                self.ray.wait(list(self._runs.values()), num_returns=len(self._runs),
                              timeout=timeout_s)
        except (RayActorError, self.ray.exceptions.GetTimeoutError):
            pass
        for actor in self.actors:
            self.ray.kill(actor, no_restart=True)
        self.actors, self._runs = [], {}
