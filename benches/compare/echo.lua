-- wrk script of the echo workload: POST a 64 KiB body to every request.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/octet-stream"
local parts = {}
for i = 0, 65535 do
  parts[#parts + 1] = string.char((i * 31 + math.floor(i / 256)) % 256)
end
wrk.body = table.concat(parts)
