-- Shared by every benchmark script: at the end of a run, print one line
--   BENCH_RESULT {json}
-- with the request count, errors and latency percentiles in microseconds
-- (wrk's --latency table has no p95). bench/http_load.py parses it.

local function number(value)
  return string.format("%.3f", tonumber(value) or 0)
end

function bench_report(summary, latency, extra)
  local errors = summary.errors
  local parts = {
    '"requests":' .. summary.requests,
    '"duration_us":' .. summary.duration,
    '"bytes":' .. summary.bytes,
    string.format(
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}',
      errors.connect, errors.read, errors.write, errors.status, errors.timeout
    ),
    string.format(
      '"latency_us":{"min":%s,"mean":%s,"stdev":%s,"max":%s,'
        .. '"p50":%s,"p75":%s,"p90":%s,"p95":%s,"p99":%s}',
      number(latency.min), number(latency.mean), number(latency.stdev),
      number(latency.max), number(latency:percentile(50)),
      number(latency:percentile(75)), number(latency:percentile(90)),
      number(latency:percentile(95)), number(latency:percentile(99))
    ),
  }
  if extra then
    table.insert(parts, extra)
  end
  io.write("BENCH_RESULT {" .. table.concat(parts, ",") .. "}\n")
end

function done(summary, latency, requests)
  bench_report(summary, latency, nil)
end
