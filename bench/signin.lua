-- bench/signin.lua — wrk script for the sign-in scenarios of bench/run.sh.
--
-- POSTs /api/auth/sign-in/email with the bench user's credentials and counts
-- responses by status. wrk runs one Lua state per thread, so the counters
-- are per-thread globals that done() collects with thread:get().
--
-- Output (parsed by run.sh), one line each:
--   signin_ok <n>          responses with status 200
--   signin_other <n>       responses with any other status
--   signin_status <code> <n>   one line per non-200 status seen

local email = os.getenv("BENCH_EMAIL") or "bench@example.com"
local password = os.getenv("BENCH_PASSWORD") or "a-long-bench-password-1"

wrk.method = "POST"
wrk.path = "/api/auth/sign-in/email"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', email, password)

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ok = 0
	other = 0
	codes = {}
end

function response(status, headers, body)
	if status == 200 then
		ok = ok + 1
	else
		other = other + 1
		local k = tostring(status)
		codes[k] = (codes[k] or 0) + 1
	end
end

function done(summary, latency, requests)
	local total_ok, total_other, all = 0, 0, {}
	for _, t in ipairs(threads) do
		total_ok = total_ok + (t:get("ok") or 0)
		total_other = total_other + (t:get("other") or 0)
		local c = t:get("codes") or {}
		for k, v in pairs(c) do
			all[k] = (all[k] or 0) + v
		end
	end
	io.write(string.format("signin_ok %d\n", total_ok))
	io.write(string.format("signin_other %d\n", total_other))
	for k, v in pairs(all) do
		io.write(string.format("signin_status %s %d\n", k, v))
	end
end
