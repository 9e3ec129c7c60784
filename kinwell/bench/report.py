"""Results: one dict per scenario (the JSON written by --json), the budgets
each one is held to, and the Markdown table."""

from typing import Any

from kinwell.bench import scenarios
from kinwell.bench.scenarios import Scenario

Result = dict[str, Any]


def measured(scenario: Scenario, wrk: dict[str, Any], memory: Any) -> Result:
    """A scenario's result from wrk's figures and the memory samples."""
    errors = wrk["errors"]
    # "unexpected" already holds every status wrk counts as an error (4xx, 5xx).
    sockets = sum(value for key, value in errors.items() if key != "status")
    total = sockets + wrk["unexpected"] + wrk["refused"]
    seconds = wrk["duration_us"] / 1e6
    latency = {key: value / 1000 for key, value in wrk["latency_us"].items()}
    return {
        "name": scenario.name,
        "title": scenario.title,
        "ran": True,
        "failure": None,
        "requests": wrk["requests"],
        "seconds": round(seconds, 2),
        "requests_per_second": round(wrk["requests"] / seconds, 1) if seconds else 0,
        "latency_ms": {key: round(value, 1) for key, value in latency.items()},
        "errors": total,
        "error_detail": {
            **errors,
            "unexpected_status": wrk["unexpected"],
            "refused": wrk["refused"],
        },
        "statuses": wrk["statuses"],
        "memory_mb": {
            "peak_process": round(memory.peak_process_mb, 1),
            "peak_total": round(memory.peak_total_mb, 1),
            "processes": len(memory.processes),
        },
    }


def failed(name: str, title: str, reason: str) -> Result:
    return {"name": name, "title": title, "ran": False, "failure": reason}


def add_ratios(results: list[Result]) -> None:
    floor = next((r for r in results if r["name"] == "floor" and r["ran"]), None)
    for result in results:
        if result["ran"] and "requests_per_second" in result:
            ratio = None
            if floor and floor["requests_per_second"]:
                ratio = result["requests_per_second"] / floor["requests_per_second"]
            result["floor_ratio"] = None if ratio is None else round(ratio, 3)


# Budgets ------------------------------------------------------------------------


def _check(text: str, met: bool) -> dict[str, Any]:
    return {"budget": text, "met": met}


def add_budgets(scenario: Scenario | None, result: Result) -> None:
    if not result["ran"]:
        result["budgets"] = []
        return
    if result["name"] == scenarios.ARCHIVE:
        result["budgets"] = _archive_budgets(result)
        return
    assert scenario is not None
    checks = [_check("zero errors", result["errors"] == 0)]
    share = scenario.floor_share
    if share is not None and result.get("floor_ratio") is not None:
        checks.append(
            _check(f">= {share:.0%} of floor", result["floor_ratio"] >= share)
        )
    latency = result["latency_ms"]
    if not scenario.writes and scenario.name != "floor":
        checks.append(
            _check(
                f"p99 <= {scenarios.TAIL_LIMIT} x p50",
                latency["p99"] <= scenarios.TAIL_LIMIT * latency["p50"],
            )
        )
    if scenario.name == "search":
        checks.append(
            _check(
                f"p50 < {scenarios.SEARCH_P50_LIMIT_MS} ms",
                latency["p50"] < scenarios.SEARCH_P50_LIMIT_MS,
            )
        )
        checks.append(
            _check(
                f"p99 < {scenarios.SEARCH_P99_LIMIT_MS} ms",
                latency["p99"] < scenarios.SEARCH_P99_LIMIT_MS,
            )
        )
    if "writes" in result:
        checks.append(_check("no lost write", result["writes"]["lost"] == 0))
    limit = scenarios.PROCESS_MEMORY_LIMIT_MB
    checks.append(
        _check(f"process < {limit} MB", result["memory_mb"]["peak_process"] < limit)
    )
    result["budgets"] = checks


def _archive_budgets(result: Result) -> list[dict[str, Any]]:
    checks = []
    for step in ("export", "import"):
        figures = result[step]
        seconds = scenarios.ARCHIVE_SECONDS_LIMIT
        memory = scenarios.ARCHIVE_MEMORY_LIMIT_MB
        checks.append(_check(f"{step} < {seconds} s", figures["seconds"] < seconds))
        checks.append(_check(f"{step} < {memory} MB", figures["peak_mb"] < memory))
    return checks


# Markdown -----------------------------------------------------------------------

HEADER = (
    "| Scenario | req/s | p50 ms | p90 ms | p99 ms | errors | x floor "
    "| peak process MB | total MB | budgets |\n"
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
)


def markdown(results: list[Result]) -> str:
    rows = [HEADER]
    for result in results:
        if not result["ran"]:
            rows.append(f"| {_title(result)} | did not run: {result['failure']} |")
        elif result["name"] == scenarios.ARCHIVE:
            rows.append(_archive_row(result))
        else:
            rows.append(_row(result))
    return "\n".join(rows) + "\n"


def _title(result: Result) -> str:
    if result.get("server_restarted_after"):
        return f"{result['title']} (left the server busy: restarted after)"
    return str(result["title"])


def _row(result: Result) -> str:
    latency = result["latency_ms"]
    ratio = result.get("floor_ratio")
    errors = str(result["errors"])
    if result["errors"]:
        errors += f" ({_error_summary(result)})"
    cells = [
        _title(result),
        f"{result['requests_per_second']:.0f}",
        f"{latency['p50']:.1f}",
        f"{latency['p90']:.1f}",
        f"{latency['p99']:.1f}",
        errors,
        "" if ratio is None else f"{ratio:.0%}",
        f"{result['memory_mb']['peak_process']:.0f}",
        f"{result['memory_mb']['peak_total']:.0f}",
        _budget_cell(result),
    ]
    return "| " + " | ".join(cells) + " |"


def _error_summary(result: Result) -> str:
    statuses = ", ".join(
        f"{count} x {status}" for status, count in sorted(result["statuses"].items())
    )
    detail = result["error_detail"]
    parts = [f"statuses {statuses}"] if statuses else []
    parts += [f"{key} {value}" for key, value in detail.items() if value]
    return "; ".join(parts)


def _archive_row(result: Result) -> str:
    text = (
        f"export {result['export']['seconds']:.1f} s, "
        f"{result['export']['peak_mb']:.0f} MB; "
        f"import {result['import']['seconds']:.1f} s, "
        f"{result['import']['peak_mb']:.0f} MB ({result['posts']:,} posts)"
    )
    return f"| {result['title']} | {text} | | | | | | | | {_budget_cell(result)} |"


def _budget_cell(result: Result) -> str:
    return "; ".join(
        f"{'met' if check['met'] else 'MISSED'}: {check['budget']}"
        for check in result["budgets"]
    )
