-- Print wrk's result as one JSON line: latency percentiles in ms, requests, errors.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"p50": %.3f, "p95": %.3f, "requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d}\n',
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, summary.requests,
    summary.duration, e.connect + e.read + e.write + e.timeout, e.status))
end
