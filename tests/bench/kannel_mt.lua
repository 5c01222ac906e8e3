-- Kannel's smsbox: one MT per request through /cgi-bin/sendsms, each with
-- its own recipient and a text that names it, so the sink can count each
-- message once.
local n = 0

function init(args)
  key = args[1] .. id
end

function request()
  n = n + 1
  local k = string.format("%s%07d", key, n)
  return wrk.format("GET", "/cgi-bin/sendsms?username=bench&password=bench" ..
    "&from=InfoSMS&to=49" .. k .. "&text=mt-" .. k)
end
