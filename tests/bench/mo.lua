-- POST /channel/{id}/webhook/sms: one new MO per request, as Infobip
-- forwards it, each with its own messageId and its own sender (a new
-- contact and session). wrk -- ROW: a digit that keeps ids and numbers
-- apart between rows sharing a store.
local n = 0

function init(args)
  key = args[1] .. id
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  n = n + 1
  local k = string.format("%s%07d", key, n)
  return wrk.format(nil, nil, nil,
    '{"results":[{"messageId":"bench-mo-' .. k .. '","from":"49' .. k ..
    '","to":"447491163443","text":"Hello, what are your opening hours?",' ..
    '"cleanText":"Hello, what are your opening hours?","keyword":"HELLO",' ..
    '"receivedAt":"2026-11-27T10:00:00.000+0000","smsCount":1,' ..
    '"price":{"pricePerMessage":0,"currency":"EUR"}}],' ..
    '"messageCount":1,"pendingMessageCount":0}')
end
