"""The configured store: STORE picks the implementation, imported only when chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from call_logger.stores.base import StorageUnavailable, Store, Unreachable

if TYPE_CHECKING:
    from call_logger.settings.config import Config

T = TypeVar("T")


def make_store(config: Config) -> Store:
    """STORE picks the database; each is imported only when chosen."""
    if config.store == "dynamodb":
        from call_logger.stores.dynamodb import DynamoDBStore

        return DynamoDBStore.from_config(config)
    from call_logger.stores.firestore import FirestoreStore

    return FirestoreStore.from_config(config)


def with_store(config: Config, use: Callable[[Store], T]) -> T:
    """`use(store)` with the configured store, for a command: Unreachable when it cannot be read."""
    try:
        return use(make_store(config))
    except StorageUnavailable as error:
        text = str(error).strip()
        raise Unreachable(text.splitlines()[0] if text else text) from None
