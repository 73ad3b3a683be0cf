"""google.api_core's errors as the Store protocol's kinds, for the Firestore store: which errors
are a write's conflict, which the configuration's fault, which a moment's."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from google.api_core import exceptions as gexc

from call_logger.stores.base import (
    PermanentWriteError,
    StorageMisconfigured,
    StorageUnavailable,
    WriteConflict,
)

# What a conflict is depends on the write (store.WriteConflict): a create meets an existing
# document (ALREADY_EXISTS); an update's preconditions fail: the chat changed since it was read
# (FAILED_PRECONDITION) or was deleted (NOT_FOUND); ABORTED: the commit lost a race on the chat.
CREATE_CONFLICTS: tuple[type[Exception], ...] = (gexc.AlreadyExists,)
UPDATE_CONFLICTS: tuple[type[Exception], ...] = (
    *CREATE_CONFLICTS,
    gexc.FailedPrecondition,
    gexc.NotFound,
    gexc.Aborted,
)
# How an update of a missing document fails ("No document to update: projects/..."; the
# emulator says "no entity to update"), unlike a missing database's NotFound.
NO_DOCUMENT = "to update"
# The data itself is refused (too large, invalid): no resend can cure it.
PERMANENT = (gexc.InvalidArgument,)


@contextmanager
def storage_errors(
    database: str, doing: str, conflicts: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Translate google.api_core errors into the Store protocol's kinds. Only `conflicts`,
    the errors the write itself provoked by its preconditions, become WriteConflict."""
    try:
        yield
    except conflicts as error:
        raise WriteConflict(str(error)) from error
    except gexc.NotFound as error:  # no such database: nothing else a read or create misses
        raise no_database(database, doing, error) from error
    except gexc.FailedPrecondition as error:  # a missing index (its link is in the message)
        raise StorageMisconfigured(
            f"{database} refused {doing}, an index may be missing or still building: {error}"
        ) from error
    except PERMANENT as error:
        raise PermanentWriteError(str(error)) from error
    except gexc.GoogleAPIError as error:
        raise StorageUnavailable(f"{type(error).__name__}: {error}") from error


def no_database(database: str, doing: str, error: Exception) -> StorageMisconfigured:
    return StorageMisconfigured(
        f"{database} was not found ({doing}): create it or set FIRESTORE_DATABASE"
        f" and GOOGLE_CLOUD_PROJECT to an existing one. {error}"
    )
