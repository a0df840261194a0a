-- One endpoint of scripts/loadtest.sh: search.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_search() end
