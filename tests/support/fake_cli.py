"""Stand-ins for gcloud and terraform: executables that print canned answers and log each call.

A fake answers by the leading words of its arguments (flags left out), e.g. ("auth", "list") or
("output", "webhook_url"); an unexpected command fails loudly (exit 97), so a test never passes
on an answer it did not write. All fakes in one directory log to one file, in call order.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

UNEXPECTED = 97

_SCRIPT = """\
#!{python}
import json, sys

argv = sys.argv[1:]
words = [arg for arg in argv if not arg.startswith("-")]
with open({log!r}, "a") as log:
    log.write(json.dumps([{name!r}, argv]) + "\\n")
with open({answers!r}) as answers:
    for answer in json.load(answers):
        if words[: len(answer["words"])] == answer["words"]:
            sys.stdout.write(answer["stdout"])
            sys.stderr.write(answer["stderr"])
            sys.exit(answer["code"])
sys.stderr.write("fake {name}: no canned answer for %r\\n" % (argv,))
sys.exit({unexpected})
"""


@dataclass
class FakeCli:
    name: str
    bin_dir: Path

    @property
    def path(self) -> Path:
        return self.bin_dir / self.name

    @property
    def _answers(self) -> Path:
        return self.bin_dir / f".{self.name}-answers.json"

    def install(self) -> FakeCli:
        self.bin_dir.mkdir(parents=True, exist_ok=True)
        self._answers.write_text("[]")
        self.path.write_text(
            _SCRIPT.format(
                python=sys.executable,
                log=str(call_log(self.bin_dir)),
                answers=str(self._answers),
                name=self.name,
                unexpected=UNEXPECTED,
            )
        )
        self.path.chmod(0o755)
        return self

    def answer(self, *words: str, stdout: str = "", stderr: str = "", code: int = 0) -> None:
        """Answer calls starting with `words`; the first matching answer wins."""
        answers = json.loads(self._answers.read_text())
        answers.append({"words": list(words), "stdout": stdout, "stderr": stderr, "code": code})
        self._answers.write_text(json.dumps(answers))

    def answer_json(self, *words: str, value: object) -> None:
        self.answer(*words, stdout=json.dumps(value))

    def calls(self) -> list[list[str]]:
        return [argv for name, argv in logged_calls(self.bin_dir) if name == self.name]


def call_log(bin_dir: Path) -> Path:
    return bin_dir / ".calls.jsonl"


def logged_calls(bin_dir: Path) -> list[tuple[str, list[str]]]:
    """(fake name, arguments) of every call to a fake in bin_dir, in order."""
    log = call_log(bin_dir)
    if not log.exists():
        return []
    calls = (json.loads(line) for line in log.read_text().splitlines())
    return [(name, argv) for name, argv in calls]
