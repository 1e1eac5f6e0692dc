// An outside client in a process of its own: sends each request of argv[2] (JSON) and prints what came back.
const requests = JSON.parse(process.argv[2]);
const results = [];
for (const r of requests) {
  const response = await fetch(r.url, { method: r.method ?? 'GET', headers: r.headers ?? {}, body: r.body });
  results.push({
    status: response.status,
    errorType: response.headers.get('x-amzn-errortype'),
    allowOrigin: response.headers.get('access-control-allow-origin'),
    body: await response.text(),
  });
}
process.stdout.write(JSON.stringify(results));
