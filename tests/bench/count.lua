-- Shared by every wrk script of make bench (tests/bench.py puts it in
-- front of the row's own part): numbers the threads, counts the answers
-- by HTTP status (wrk's own summary counts 3xx as success) and prints them
-- at the end as "status CODE COUNT" lines.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
  end
  for code, n in pairs(total) do
    io.write(string.format("status %d %d\n", code, n))
  end
end
