-- POST the service form, each request with a fresh random submission_key.
--
-- wrk ... -s submit.lua URL -- PREFIX_FILE SUFFIX_FILE CONTENT_TYPE COOKIE SEED
-- The body is PREFIX .. key .. SUFFIX: bench/run.py renders the multipart form
-- with the CSRF token and every answer, leaving a hole for submission_key.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")

local ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local KEY_LENGTH = 43

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

local function slurp(path)
  local file = assert(io.open(path, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

local prefix, suffix, headers

function init(args)
  prefix = slurp(args[1])
  suffix = slurp(args[2])
  headers = {
    ["Content-Type"] = args[3],
    ["Cookie"] = args[4],
    ["Origin"] = "http://" .. wrk.host .. ":" .. tostring(wrk.port),
  }
  math.randomseed((tonumber(args[5]) or os.time()) * 1000 + id)
  -- Throw away the first draws: small seeds start alike.
  for _ = 1, 10 do
    math.random()
  end
  statuses = {}
  first_bad = ""
end

local function new_key()
  local chars = {}
  for i = 1, KEY_LENGTH do
    local at = math.random(1, #ALPHABET)
    chars[i] = ALPHABET:sub(at, at)
  end
  return table.concat(chars)
end

function request()
  return wrk.format("POST", nil, headers, prefix .. new_key() .. suffix)
end

function response(status, response_headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if (status < 200 or status >= 400) and first_bad == "" then
    first_bad = tostring(status) .. " " .. (body or ""):sub(1, 300)
  end
end

local function json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

function done(summary, latency, requests)
  local totals = {}
  local bad = ""
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      totals[status] = (totals[status] or 0) + count
    end
    if bad == "" then
      bad = thread:get("first_bad") or ""
    end
  end
  local parts = {}
  for status, count in pairs(totals) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  bench_report(
    summary,
    latency,
    '"statuses":{' .. table.concat(parts, ",") .. '},"first_bad":' .. json_string(bad)
  )
end
