-- POST the same form-encoded body to the URL given to wrk, counting statuses.
--
-- wrk ... -s post.lua URL -- BODY_FILE
-- Each request creates a new case: the body carries no Idempotency-Key.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

function init(args)
  local file = assert(io.open(args[1], "rb"))
  wrk.body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end
