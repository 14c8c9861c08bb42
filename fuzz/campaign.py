"""Run a fuzzing campaign and measure what it cost.

    .venv/bin/python fuzz/campaign.py --cpu-minutes 70 --jobs 2 [--harness loads,header ...]

Runs the harnesses ``--jobs`` at a time under ``nice``, each in rounds of ``--round`` seconds
(``-max_total_time``), resuming from its corpus, until the campaign's measured CPU time
(user + system of the finished harness processes, from ``wait4``) reaches ``--cpu-minutes``.
A harness that stops on a finding is started again from its corpus (libFuzzer stops at the
first crash; the input is already under ``fuzz/findings/<harness>/``), so a finding does not
end the campaign. Prints one table: per harness, rounds, findings, CPU seconds, executions and
the coverage (``cov``) and feature (``ft``) counts at the first and last report.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARNESSES = ("loads", "header", "container", "params", "verify", "decrypt")
_STATS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+)")
_EXECS = re.compile(r"stat::number_of_executed_units: (\d+)")


@dataclass
class Tally:
    rounds: int = 0
    findings: int = 0
    cpu: float = 0.0
    executions: int = 0
    first: tuple[int, int] | None = None
    last: tuple[int, int] | None = None
    codes: list[int] = field(default_factory=list)


def _read_log(log: Path, tally: Tally) -> None:
    text = log.read_text(errors="replace")
    stats = _STATS.findall(text)
    if stats:
        if tally.first is None:
            tally.first = (int(stats[0][1]), int(stats[0][2]))
        tally.last = (int(stats[-1][1]), int(stats[-1][2]))
    execs = _EXECS.findall(text)
    if execs:
        tally.executions += int(execs[-1])
    elif stats:  # a round that stopped on a finding prints no final stats
        tally.executions += int(stats[-1][0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-minutes", type=float, default=60.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--round", type=int, default=600, help="seconds per harness round")
    parser.add_argument("--harness", default=",".join(HARNESSES))
    parser.add_argument("--logs", type=Path, default=HERE / "corpus" / "campaign")
    args = parser.parse_args()
    names = args.harness.split(",")
    args.logs.mkdir(parents=True, exist_ok=True)
    tallies = {name: Tally() for name in names}
    budget = args.cpu_minutes * 60
    running: dict[int, tuple[str, Path, subprocess.Popen[bytes]]] = {}
    queue = list(names)
    spent = 0.0
    started = time.monotonic()
    while queue or running:
        while queue and len(running) < args.jobs and spent < budget:
            name = queue.pop(0)
            tally = tallies[name]
            log = args.logs / f"{name}-{tally.rounds:02d}.log"
            command = ["nice", "-n", "10", sys.executable, str(HERE / f"fuzz_{name}.py"),
                       f"-max_total_time={args.round}", "-timeout=5", "-print_final_stats=1"]
            with log.open("wb") as out:
                process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            running[process.pid] = (name, log, process)
            tally.rounds += 1
        if not running:
            break
        pid, status, usage = os.wait4(-1, 0)
        if pid not in running:
            continue
        name, log, _ = running.pop(pid)
        tally = tallies[name]
        cpu = usage.ru_utime + usage.ru_stime
        tally.cpu += cpu
        spent += cpu
        code = os.waitstatus_to_exitcode(status)
        tally.codes.append(code)
        if code != 0:
            tally.findings += 1
        _read_log(log, tally)
        print(f"[{time.monotonic() - started:7.0f} s] {name} round {tally.rounds} exit {code}"
              f" cpu {cpu:.0f} s; campaign {spent / 60:.1f} CPU-min", flush=True)
        if spent < budget:
            queue.append(name)
    wall = time.monotonic() - started
    print(f"\ncampaign: {spent / 60:.1f} CPU-minutes in {wall / 60:.1f} wall-minutes")
    print("| harness | rounds | finding rounds | CPU s | executions | cov | ft |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name, t in tallies.items():
        cov = f"{t.first[0]} → {t.last[0]}" if t.first and t.last else "-"
        ft = f"{t.first[1]} → {t.last[1]}" if t.first and t.last else "-"
        print(f"| {name} | {t.rounds} | {t.findings} | {t.cpu:.0f} | {t.executions:,} |"
              f" {cov} | {ft} |")


if __name__ == "__main__":
    main()
