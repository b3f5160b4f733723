-- Plain GET of the URL given to wrk; only adds the p95 report line.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
