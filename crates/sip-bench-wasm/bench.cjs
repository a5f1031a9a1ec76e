// Parse benchmark in one JavaScript engine (Node's V8): the SIP core as wasm beside JsSIP's
// parser, on the same three messages. Run by scripts/bench-sip.sh.
"use strict";
const fs = require("fs");
const path = require("path");
const [wasmDir, jssipDir] = process.argv.slice(2);
const ours = require(path.join(wasmDir, "sip_bench_wasm.js"));
const jssip = require(path.join(jssipDir, "node_modules/jssip/lib/Parser"));
const jssipVersion = require(path.join(jssipDir, "node_modules/jssip/package.json")).version;
const samples = path.join(__dirname, "../sip/benches/samples");
const messages = [
  ["INVITE with SDP", "invite.sip"],
  ["200 OK to REGISTER", "register-ok.sip"],
  ["NOTIFY with PIDF", "notify.sip"],
].map(([name, file]) => [name, fs.readFileSync(path.join(samples, file), "utf8")]);

// Median of 15 rounds, each long enough (about 100 ms) to dwarf timer resolution.
function time(fn) {
  let iterations = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    if (performance.now() - start > 100) break;
    iterations *= 2;
  }
  const rounds = [];
  for (let r = 0; r < 15; r++) {
    const start = performance.now();
    for (let i = 0; i < iterations; i++) fn();
    rounds.push(((performance.now() - start) * 1000) / iterations);
  }
  rounds.sort((a, b) => a - b);
  return rounds[7];
}

const encoder = new TextEncoder();
const rows = [];
for (const [name, text] of messages) {
  const bytes = encoder.encode(text);
  if (jssip.parseMessage(text, {}) === undefined) throw new Error("JsSIP cannot parse " + name);
  if (ours.parse_text(text) === 0) throw new Error("the SIP core cannot parse " + name);
  const parsed = new ours.Parsed(text);
  const row = {
    message: name,
    "wasm parse (string)": time(() => ours.parse_text(text)),
    "wasm parse (bytes)": time(() => ours.parse_bytes(bytes)),
    "wasm parse+validate": time(() => ours.validate_text(text)),
    "wasm serialize": time(() => parsed.serialize()),
    [`JsSIP ${jssipVersion} parse`]: time(() => jssip.parseMessage(text, {})),
  };
  rows.push(row);
}
console.log(`Node ${process.version}; microseconds per message, median of 15 rounds`);
for (const row of rows) {
  const jssipTime = row[`JsSIP ${jssipVersion} parse`];
  const cells = Object.entries(row).map(([k, v]) => (typeof v === "number" ? `${k}: ${v.toFixed(2)} µs` : v));
  console.log(cells.join(" | ") + ` | JsSIP / wasm parse (string): ${(jssipTime / row["wasm parse (string)"]).toFixed(1)}×`);
}
