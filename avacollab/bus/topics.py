"""Subscriptions, and the delivery of received messages to their handlers."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from ..tasks import TaskSet
from .config import BusCounters
from .wire import FLAG_DEFLATE, Entry, FrameError, check_topic, inflate

logger = logging.getLogger(__name__)


class Message(NamedTuple):
    """A message as a subscriber receives it (immutable, shared by all handlers)."""

    topic: str
    payload: bytes
    sender: str
    reliable: bool
    flags: int = 0

    def json(self) -> Any:
        """Decode a JSON payload (raises ``ValueError`` when it is not JSON)."""
        return json.loads(self.payload)


Handler = Callable[[Message], Awaitable[None] | None]


class Topics:
    """The handlers of each topic; delivers decoded entries to them.

    A handler that raises, or whose task fails, is counted in
    ``handler_errors`` and logged; the other handlers still get the message.
    A compressed payload that does not inflate within ``max_message_size``
    is dropped and reported to ``on_malformed(sender, reason)``.
    """

    def __init__(
        self,
        counters: BusCounters,
        *,
        max_message_size: int,
        on_malformed: Callable[[str, str], None],
    ) -> None:
        self.counters = counters
        self.max_message_size = max_message_size
        self.on_malformed = on_malformed
        self.tasks = TaskSet(self._task_failed)
        # Tuples, replaced on (un)subscribe: delivery needs no copy to be safe
        # against a handler that unsubscribes.
        self._subscribers: dict[str, tuple[Handler, ...]] = {}

    def subscribe(self, topic: str, handler: Handler) -> Callable[[], None]:
        """Add ``handler`` to ``topic``; return a function that removes it (once)."""
        check_topic(topic)
        subscribers = self._subscribers
        subscribers[topic] = (*subscribers.get(topic, ()), handler)
        subscribed = True

        def unsubscribe() -> None:
            nonlocal subscribed
            if not subscribed:
                return
            subscribed = False
            handlers = list(subscribers[topic])
            handlers.remove(handler)
            if handlers:
                subscribers[topic] = tuple(handlers)
            else:
                del subscribers[topic]

        return unsubscribe

    def deliver(self, sender: str, reliable: bool, entries: list[Entry]) -> None:
        counters = self.counters
        counters.messages_received += len(entries)
        subscribers = self._subscribers
        # Once a message: tuple.__new__ skips NamedTuple's Python-level __new__,
        # and a plain handler is called here, not through call().
        new = tuple.__new__
        for topic, payload, flags in entries:
            handlers = subscribers.get(topic)
            if handlers is None:
                counters.unknown_topics += 1
                continue
            if flags & FLAG_DEFLATE:
                try:
                    payload = inflate(payload, self.max_message_size)
                except FrameError as exc:
                    self.on_malformed(sender, f"{topic}: {exc}")
                    continue
                flags &= ~FLAG_DEFLATE
            message = new(Message, (topic, payload, sender, reliable, flags))
            for handler in handlers:
                try:
                    result = handler(message)
                except Exception:
                    counters.handler_errors += 1
                    logger.exception("bus: handler %r failed", handler)
                    continue
                if result is not None:
                    self.tasks.spawn(result)

    def call(self, handler: Callable[[Any], Awaitable[None] | None], arg: Any) -> None:
        """Call a handler (plain or async) under the same rules as a subscriber."""
        try:
            result = handler(arg)
        except Exception:
            self.counters.handler_errors += 1
            logger.exception("bus: handler %r failed", handler)
            return
        self.tasks.spawn(result)

    def _task_failed(self, exc: BaseException) -> None:
        self.counters.handler_errors += 1
        logger.error("bus: handler failed", exc_info=exc)
