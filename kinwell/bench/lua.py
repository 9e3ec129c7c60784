"""The wrk script and the request lists it reads.

Each wrk thread loads the list (a Lua file written by the bench) once, builds
every raw request up front, and cycles through them from its own starting
point, so consecutive requests ask for different pages, threads, words and
members. Responses are counted by status; one whose status is not the
scenario's expected one, or whose body carries the scenario's refusal
marker, is an error even when it is a 2xx or 3xx. `done()` prints one line:
"WRK_JSON " and the figures as JSON."""

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TypedDict

MARK = "WRK_JSON "


class Request(TypedDict):
    method: str
    path: str
    headers: dict[str, str]
    body: str


SCRIPT = r"""
threads = {}
local prepared = {}
local position = 0
local expected = 200
local marker = nil
statuses = {}
unexpected = 0
refused = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  local data = dofile(args[1])
  expected = data.expected
  marker = data.marker
  for i, r in ipairs(data.requests) do
    prepared[i] = wrk.format(r.method, r.path, r.headers, r.body)
  end
  position = ((number or 1) * 7919) % #prepared
end

function request()
  position = position % #prepared + 1
  return prepared[position]
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  if status ~= expected then
    unexpected = unexpected + 1
  elseif marker and body and string.find(body, marker, 1, true) then
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  local wrong, refusals = 0, 0
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses") or {}) do
      counts[key] = (counts[key] or 0) + count
    end
    wrong = wrong + (thread:get("unexpected") or 0)
    refusals = refusals + (thread:get("refused") or 0)
  end
  local parts = {}
  for key, count in pairs(counts) do
    table.insert(parts, string.format('"%s":%d', key, count))
  end
  local e = summary.errors
  io.write("WRK_JSON ", string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"unexpected":%d,"refused":%d,"statuses":{%s},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    wrong, refusals, table.concat(parts, ","),
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean), "\n")
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal for any text: Lua 5.1 has no \\u escapes, so
    every byte outside printable ASCII is written as a decimal escape."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        if 32 <= byte < 127 and char not in '"\\':
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def _table(items: Mapping[str, str]) -> str:
    pairs = (f"[{lua_string(k)}] = {lua_string(v)}" for k, v in items.items())
    return "{" + ", ".join(pairs) + "}"


def write_data(
    path: Path, requests: Iterable[Request], *, expected: int, marker: str | None
) -> None:
    lines = ["return {", f"  expected = {expected},"]
    lines.append(f"  marker = {lua_string(marker) if marker else 'nil'},")
    lines.append("  requests = {")
    for r in requests:
        lines.append(
            f"    {{method = {lua_string(r['method'])}, path = {lua_string(r['path'])}"
            f", headers = {_table(r['headers'])}, body = {lua_string(r['body'])}}},"
        )
    lines += ["  },", "}"]
    path.write_text("\n".join(lines) + "\n")
