"""Prometheus metrics of executions, task runs and workers, read from the database at each scrape: every
web process answers the same, whichever processes did the work (flowhub/api/metrics.py serves them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import GaugeHistogramMetricFamily, GaugeMetricFamily, Metric

from . import statistics

DURATION_BOUNDS = (0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600)
"""Seconds: the upper bounds of the task-run duration buckets (+Inf added)."""


class ExecutionCollector:
    def collect(self) -> Iterator[Metric]:
        now = timezone.now()
        window = timedelta(seconds=settings.FLOWHUB_METRICS_WINDOW_SECONDS)
        in_window = f"in the last {settings.FLOWHUB_METRICS_WINDOW_SECONDS} s (FLOWHUB_METRICS_WINDOW_SECONDS)"

        executions = GaugeMetricFamily(
            "flowhub_executions",
            "Executions stored, by namespace and current state (CREATED and QUEUED ones wait to start).",
            labels=["namespace", "state"],
        )
        for namespace, state, count in statistics.execution_counts():
            executions.add_metric([namespace, state], count)
        yield executions

        ended = GaugeMetricFamily(
            "flowhub_executions_ended", f"Executions that ended {in_window}.", labels=["namespace", "state"]
        )
        for namespace, state, count in statistics.executions_ended_since(since=now - window):
            ended.add_metric([namespace, state], count)
        yield ended

        durations = GaugeHistogramMetricFamily(
            "flowhub_task_run_duration_seconds",
            f"Durations of the task runs that ended {in_window}, from the start of their last attempt.",
            labels=["namespace", "state"],
        )
        for histogram in statistics.task_run_durations_since(since=now - window, bounds=DURATION_BOUNDS):
            buckets = [
                (str(float(bound)), count) for bound, count in zip(DURATION_BOUNDS, histogram.at_most, strict=True)
            ]
            buckets.append(("+Inf", histogram.count))
            durations.add_metric([histogram.namespace, histogram.state], buckets, histogram.total_seconds)
        yield durations

        waiting = GaugeMetricFamily(
            "flowhub_task_runs_waiting", "Task runs waiting for a worker, by state.", labels=["state"]
        )
        for state, count in statistics.task_runs_waiting():
            waiting.add_metric([state], count)
        yield waiting

        running = GaugeMetricFamily(
            "flowhub_worker_running_task_runs", "Task runs each worker is running.", labels=["worker"]
        )
        heartbeat_age = GaugeMetricFamily(
            "flowhub_worker_heartbeat_age_seconds",
            "Seconds since each worker's latest heartbeat of a running task run (the reaper fails it past the lease).",
            labels=["worker"],
        )
        for lease in statistics.worker_leases():
            running.add_metric([lease.worker_id], lease.running)
            heartbeat_age.add_metric([lease.worker_id], max(0.0, (now - lease.last_heartbeat).total_seconds()))
        yield running
        yield heartbeat_age
