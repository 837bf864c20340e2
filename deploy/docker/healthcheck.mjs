// The images' health check: `node /app/healthcheck.mjs <url>` exits 0 when the URL answers 2xx
// within 3 s, 1 otherwise. The Node images carry no curl or wget, and need none.
const url = process.argv[2] ?? 'http://127.0.0.1:8080/healthz';
try {
  const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
  process.exit(response.ok ? 0 : 1);
} catch {
  process.exit(1);
}
