"""`make run`: the Firestore emulator and the function on 127.0.0.1, until Ctrl-C stops both."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.emulator import FirestoreEmulator

ROOT = Path(__file__).resolve().parents[2]
DEV_TOKEN = "dev-token"
SAMPLE = ROOT / "tests" / "samples" / "incoming-call-offer.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--emulator-port", type=int, default=8681)
    args = parser.parse_args()

    # SIGTERM (a closing terminal, `timeout`) stops both just as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    emulator = FirestoreEmulator(port=args.emulator_port).start()
    env = os.environ | emulator.environ()
    env.setdefault("WEBHOOK_TOKEN", DEV_TOKEN)
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("functions-framework")),
            "--target=handle_webhook",
            f"--source={ROOT / 'function' / 'main.py'}",
            "--host=127.0.0.1",
            f"--port={args.port}",
        ],
        env=env,
    )
    print(
        f"\nFirestore emulator: {emulator.host} (export FIRESTORE_EMULATOR_HOST={emulator.host}"
        f" GOOGLE_CLOUD_PROJECT={emulator.project} to read it with `call-logger calls`)\n"
        f"Function: http://127.0.0.1:{args.port}/  (CALL_MODE={env.get('CALL_MODE', 'all')})\n"
        "Post a sample call:\n"
        f"  curl -i -H 'Authorization: Bearer {env['WEBHOOK_TOKEN']}'"
        f" -H 'Content-Type: application/json' --data @{SAMPLE} http://127.0.0.1:{args.port}/\n"
        "Ctrl-C stops both.\n",
        flush=True,
    )
    try:
        server.wait()
    except KeyboardInterrupt:
        server.terminate()
        server.wait()
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
