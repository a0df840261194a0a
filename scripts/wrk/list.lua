-- One endpoint of scripts/loadtest.sh: list.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_list() end
