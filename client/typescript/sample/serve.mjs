// A static file server for the browser sample: serves this package's folder (the page, the built library and its one
// dependency) on 127.0.0.1. `node sample/serve.mjs [port]` (default 8080), then open the address it prints. Any other
// static server of the package's folder does the same.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".map": "application/json", ".css": "text/css" };

/** Serves the package folder on 127.0.0.1:`port` (0: a free one); resolves with the server once it listens. */
export function serve(port = 0) {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(root, path.endsWith("/") ? join(path, "index.html") : path);
    if (!file.startsWith(root)) {
      response.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [arg, ...rest] = process.argv.slice(2);
  if (arg === "--help" || arg === "-h") {
    console.log("usage: node sample/serve.mjs [PORT]   serves the lobby chat page on 127.0.0.1:PORT (default 8080; 0: a free port)");
    process.exit(0);
  }
  const port = arg === undefined ? 8080 : Number(arg);
  if (rest.length > 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: '${process.argv.slice(2).join(" ")}' is not a port (0 to 65535); see --help`);
    process.exit(2);
  }
  const server = await serve(port);
  const bound = server.address().port;
  console.log(`lobby chat: http://127.0.0.1:${bound}/sample/?broker=ws://127.0.0.1:5580 (Ctrl-C stops)`);
}
