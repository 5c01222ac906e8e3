-- Kannel's generic HTTP SMSC receive port: one new MO per request,
-- GET /?from=...&to=...&text=..., each with its own sender and text.
local n = 0

function init(args)
  key = args[1] .. id
end

function request()
  n = n + 1
  local k = string.format("%s%07d", key, n)
  return wrk.format("GET", "/?from=49" .. k .. "&to=447491163443&text=mo-" .. k)
end
