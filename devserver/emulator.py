"""The official Firestore emulator as a child process, for tests, benchmarks and `make run`."""

from __future__ import annotations

import glob
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request

from devserver.processes import stop_group


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class FirestoreEmulator:
    """`gcloud emulators firestore start` in its own process group, so stopping it stops java too.

    The emulator keeps data in memory only; `stop(keep_data=True)` exports it first and the next
    `start()` imports it, so a test can take storage down and bring it back with its data.
    """

    def __init__(self, port: int | None = None, project: str = "demo-call-logger") -> None:
        self.port = port or free_port()
        self.project = project
        self.host = f"127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None
        self._export_dir: str | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, wait: float = 60.0) -> FirestoreEmulator:
        command = ["gcloud", "emulators", "firestore", "start", f"--host-port={self.host}"]
        if self._export_dir:
            (metadata,) = glob.glob(f"{self._export_dir}/*/*.overall_export_metadata")
            command.append(f"--import-data={metadata}")
        self._process = subprocess.Popen(
            [*command, "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the Firestore emulator exited with {self._process.returncode}")
            try:
                with urllib.request.urlopen(f"http://{self.host}/", timeout=1) as answer:
                    if answer.status == 200:
                        self._drop_export()
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the Firestore emulator did not answer on {self.host} in {wait} s")

    def stop(self, keep_data: bool = False) -> None:
        if keep_data and self.running:
            self._export()
        process, self._process = self._process, None
        if process is not None:
            stop_group(process)

    def restart(self) -> None:
        self.stop(keep_data=True)
        self.start()

    def wipe(self) -> None:
        request = urllib.request.Request(f"{self._database_url()}/documents", method="DELETE")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def environ(self) -> dict[str, str]:
        return {"FIRESTORE_EMULATOR_HOST": self.host, "GOOGLE_CLOUD_PROJECT": self.project}

    def _database_url(self) -> str:
        return f"http://{self.host}/emulator/v1/projects/{self.project}/databases/(default)"

    def _export(self) -> None:
        self._drop_export()
        self._export_dir = tempfile.mkdtemp(prefix="firestore-export-")
        body = {
            "database": f"projects/{self.project}/databases/(default)",
            "export_directory": self._export_dir,
        }
        request = urllib.request.Request(
            f"http://{self.host}/emulator/v1/projects/{self.project}:export",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30):
            pass

    def _drop_export(self) -> None:
        if self._export_dir:
            shutil.rmtree(self._export_dir, ignore_errors=True)
            self._export_dir = None

    def __enter__(self) -> FirestoreEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        self._drop_export()
