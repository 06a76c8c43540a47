"""Prometheus metrics of notification deliveries, read from the database at each scrape."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from . import selectors
from .models import Delivery


class DeliveryCollector:
    def collect(self) -> Iterator[Metric]:
        counts = selectors.delivery_counts()
        deliveries = GaugeMetricFamily(
            "flowhub_notification_deliveries",
            "Notification deliveries stored, by status (FAILED: given up after the last attempt).",
            labels=["status"],
        )
        for status in Delivery.Status.values:
            deliveries.add_metric([status], counts.get(status, 0))
        yield deliveries

        oldest = selectors.oldest_pending_delivery()
        yield GaugeMetricFamily(
            "flowhub_notification_oldest_pending_seconds",
            "Age of the oldest delivery still pending (0 when none is).",
            value=(timezone.now() - oldest).total_seconds() if oldest is not None else 0.0,
        )
