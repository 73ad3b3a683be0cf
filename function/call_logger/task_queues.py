"""The cloud's own queues that carry the scheduled work, one task per instance: Cloud Tasks on
Google Cloud, SQS on AWS. The queue decides the pace (its dispatch rate and concurrency) and
retries a failed task (Cloud Tasks' retry config; SQS's visibility timeout and redrive policy),
so no loop or retry of our own runs anywhere.

Cloud Tasks is called through its REST API with requests and google.auth's credentials (both
already deployed with the Firestore client), SQS with boto3 (deployed on AWS): no new
dependency. Each task asks the private reconcile function to run one instance; a Cloud Tasks
task carries an OIDC token of RECONCILE_TASKS_SERVICE_ACCOUNT, the only identity allowed to
invoke that function besides the scheduler's.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from call_logger.settings.config import Config

CLOUD_TASKS_API = "https://cloudtasks.googleapis.com"
SQS_BATCH = 10  # SendMessageBatch's limit
CLOUD_TASKS_TIMEOUT = 30.0


class QueueError(Exception):
    """The queue refused or did not answer: the dispatch fails, and the scheduler retries it."""


class TaskQueue(Protocol):
    def send(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        """Put every task on the queue; QueueError when some could not be put."""
        ...


def task_queue(config: Config) -> TaskQueue | None:
    """The configured queue, or None: no queue to manage (the tasks then run in the
    dispatching function itself)."""
    if config.reconcile_sqs_queue_url:
        return SqsQueue(config.reconcile_sqs_queue_url)
    if config.reconcile_tasks_queue:
        return CloudTasksQueue(
            config.reconcile_tasks_queue,
            config.reconcile_tasks_url,
            config.reconcile_tasks_service_account,
            config.cloud_tasks_api,
        )
    return None


class CloudTasksQueue:
    """projects/P/locations/L/queues/Q; each task an HTTP POST of its JSON to `url` with an
    OIDC token of `service_account` (audience: the URL)."""

    def __init__(self, queue: str, url: str, service_account: str, api: str = CLOUD_TASKS_API):
        self._queue = queue
        self._url = url
        self._service_account = service_account
        self._api = api.rstrip("/")

    def send(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        session = self._session()
        endpoint = f"{self._api}/v2/{self._queue}/tasks"
        failed = []
        for task in tasks:
            request = {
                "task": {
                    "httpRequest": {
                        "httpMethod": "POST",
                        "url": self._url,
                        "headers": {"Content-Type": "application/json"},
                        "body": base64.b64encode(json.dumps(task).encode()).decode(),
                        "oidcToken": {
                            "serviceAccountEmail": self._service_account,
                            "audience": self._url,
                        },
                    }
                }
            }
            try:
                answer = session.post(endpoint, json=request, timeout=CLOUD_TASKS_TIMEOUT)
            except Exception as error:  # requests' errors: not imported at module level
                failed.append(f"{task.get('instance')}: {type(error).__name__}")
                continue
            if answer.status_code != 200:
                failed.append(f"{task.get('instance')}: HTTP {answer.status_code}")
        if failed:
            raise QueueError(f"Cloud Tasks refused {len(failed)} tasks: {', '.join(failed[:5])}")

    def _session(self) -> Any:
        import google.auth
        from google.auth.credentials import AnonymousCredentials
        from google.auth.transport.requests import AuthorizedSession

        if self._api != CLOUD_TASKS_API:  # a local stand-in (tests): no Google credentials
            return AuthorizedSession(AnonymousCredentials())
        credentials, _ = google.auth.default(
            scopes=["https://www.googleapis.com/auth/cloud-platform"]
        )
        return AuthorizedSession(credentials)


class SqsQueue:
    """An SQS queue by URL; the reconcile Lambda consumes it (event source mapping)."""

    def __init__(self, url: str) -> None:
        self._url = url

    def send(self, tasks: Sequence[Mapping[str, Any]]) -> None:
        import boto3

        client = boto3.client("sqs")
        failed: list[str] = []
        for start in range(0, len(tasks), SQS_BATCH):
            entries = [
                {"Id": str(n), "MessageBody": json.dumps(task)}
                for n, task in enumerate(tasks[start : start + SQS_BATCH])
            ]
            try:
                answer = client.send_message_batch(QueueUrl=self._url, Entries=entries)
            except Exception as error:  # botocore's errors
                raise QueueError(f"SQS: {type(error).__name__}: {error}") from error
            failed += [entry.get("Code", "?") for entry in answer.get("Failed", [])]
        if failed:
            raise QueueError(f"SQS refused {len(failed)} tasks: {', '.join(failed[:5])}")
