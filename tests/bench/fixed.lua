-- POST the same JSON body (wrk -- BODY) on every request: the duplicate
-- MO row.
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = args[1]
end
