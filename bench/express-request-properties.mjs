// What adding a property to an Express request costs. Express re-prototypes every request
// (`Object.setPrototypeOf(req, app.request)`, express/lib/application.js `app.handle`);
// V8 keeps no transition from the map that gives it, so each property added afterwards
// makes a new hidden class for that one request. This measures a Node request, re-prototyped
// and not, with and without the two properties `protect()` adds (its state, `req.auth`).
//
//   node bench/express-request-properties.mjs
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';

const socket = new Socket();
const appRequest = Object.create(IncomingMessage.prototype);
const STATE = Symbol.for('zitadel-resource-server.express.held');
const value = {};
const N = 200_000;

function cpuPerCall(make) {
  for (let i = 0; i < 20_000; i += 1) make();
  const before = process.cpuUsage();
  for (let i = 0; i < N; i += 1) make();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

function request(reprototype, add) {
  const req = new IncomingMessage(socket);
  if (reprototype) Object.setPrototypeOf(req, appRequest);
  if (add) {
    req[STATE] = value;
    req.auth = value;
  }
  return req;
}

const node = cpuPerCall(() => request(false, true)) - cpuPerCall(() => request(false, false));
const reprototyped = cpuPerCall(() => request(true, true)) - cpuPerCall(() => request(true, false));
console.log(`Node request: the two properties cost ${node.toFixed(2)} µs`);
console.log(`re-prototyped as Express does: ${reprototyped.toFixed(2)} µs (${(reprototyped / 2).toFixed(2)} µs each)`);
