-- POST /channel/{id}/webhook/reports: delivery reports shaped as Infobip
-- sends them, PER results per request, naming the outbound messages
-- PREFIX0 ... PREFIX(KNOWN-1) that the bench put in the store (each thread
-- starts at its own offset and wraps around). Infobip's retries repeat a
-- report exactly and are stored once, so each pass over the messages, and
-- each thread, reports another doneAt: every report is a new one to store.
-- wrk -- PER KNOWN PREFIX
local n = 0
local tid = 0

function init(args)
  per = tonumber(args[1])
  known = tonumber(args[2])
  prefix = args[3]
  tid = id
  n = (id - 1) * math.floor(known / 2)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

local function result(uid, pass)
  local done = string.format("2026-11-27T%02d:%02d:%02d.%03d+0000",
    10 + math.floor(pass / 3600) % 12, math.floor(pass / 60) % 60, pass % 60,
    tid % 1000)
  return '{"bulkId":"bench-bulk","price":{"pricePerMessage":0.01,' ..
    '"currency":"EUR"},"status":{"groupId":3,"groupName":"DELIVERED",' ..
    '"id":5,"name":"DELIVERED_TO_HANDSET","description":' ..
    '"Message delivered to handset"},"error":{"groupId":0,' ..
    '"groupName":"OK","id":0,"name":"NO_ERROR","description":"No Error",' ..
    '"permanent":false},"messageId":"' .. uid .. '","to":"41793026727",' ..
    '"sender":"InfoSMS","sentAt":"2026-11-27T10:00:00.000+0000",' ..
    '"doneAt":"' .. done .. '","messageCount":1}'
end

function request()
  local items = {}
  for i = 1, per do
    items[i] = result(prefix .. (n % known), math.floor(n / known))
    n = n + 1
  end
  return wrk.format(nil, nil, nil,
    '{"results":[' .. table.concat(items, ",") .. ']}')
end
