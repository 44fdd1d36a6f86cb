// An MCP client built on the official TypeScript SDK, for the end-to-end
// test of rwarden's MCP server (proxy/e2e/mcp_test.go). It connects over
// streamable HTTP (mode "http": URL, Basic credentials) or through the
// stdio bridge (mode "stdio": the rwarden binary and its arguments), runs
// the tools, and prints what it got as one JSON object; the Go test
// checks it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [mode, target, ...rest] = process.argv.slice(2);
let transport;
if (mode === "http") {
  const auth = "Basic " + Buffer.from(process.env.RWARDEN_USER + ":" + process.env.RWARDEN_PASSWORD).toString("base64");
  transport = new StreamableHTTPClientTransport(new URL(target), { requestInit: { headers: { Authorization: auth } } });
} else {
  transport = new StdioClientTransport({ command: target, args: rest, env: { ...process.env }, stderr: "inherit" });
}
const client = new Client({ name: "ts-sdk-e2e", version: "1.2.3" });
await client.connect(transport);

const text = (r) => (r.content && r.content[0] && r.content[0].type === "text" ? r.content[0].text : "");
const report = {};
report.tools = (await client.listTools()).tools.map((t) => t.name).sort();

const opened = await client.callTool({ name: "r_session_open", arguments: {} });
const session = JSON.parse(text(opened)).session;
report.session = session;

const first = await client.callTool({ name: "r_eval", arguments: { code: "x <- 6", session } });
const second = await client.callTool({ name: "r_eval", arguments: { code: "x * 7", session } });
report.first = { isError: !!first.isError, text: text(first) };
report.second = { isError: !!second.isError, text: text(second) };

const plot = await client.callTool({ name: "r_eval", arguments: { code: "plot(cars)", session } });
report.plot = plot.content.map((c) => ({ type: c.type, mimeType: c.mimeType || "", bytes: c.data ? Buffer.from(c.data, "base64").length : 0,
  magic: c.data ? Buffer.from(c.data, "base64").subarray(1, 4).toString() : "" }));

const denied = await client.callTool({ name: "r_eval", arguments: { code: "y <- 1\nsystem('id')", session } });
report.denied = { isError: !!denied.isError, text: text(denied) };

const progress = [];
const streamed = await client.callTool(
  { name: "r_eval", arguments: { code: "for (i in 1:3) { cat('tick', i, '\\n'); Sys.sleep(1) }" } },
  undefined,
  { onprogress: (p) => progress.push({ message: p.message || "", at: Date.now() }), timeout: 120000 },
);
report.streamed = { isError: !!streamed.isError, end: Date.now(), text: text(streamed) };
report.progress = progress;

const closed = await client.callTool({ name: "r_session_close", arguments: { session } });
report.closed = { isError: !!closed.isError, text: text(closed) };

await client.close();
process.stdout.write(JSON.stringify(report) + "\n");
