-- One endpoint of scripts/loadtest.sh: recommend.
dofile("scripts/wrk/common.lua")
math.randomseed(11)
request = function() return req_recommend() end
