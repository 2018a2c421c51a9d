// Copied by scripts/smoke/recipes.mjs into a recipe app as smoke-probe.mjs and run there, so
// that it imports the package installed from the tarball. It starts a test issuer, runs the
// app's production entry as its start script would (no logger options: the defaults a user
// ships), sends an allowed, a refused and an anonymous request, and checks that the app's
// default audit sink logged each decision as structured fields -- an object handed to Nest's
// logger, or one JSON object per line from Express -- and never a token.
//
//   node smoke-probe.mjs <label> <nest|json-lines> <entry.js>
//
// Prints one `ok` / `FAIL` line per check; exits 1 when one failed.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { createTestIssuer } from 'zitadel-resource-server/testing';

const [label = 'probe', format = 'nest', entry = 'dist/main.js'] = process.argv.slice(2);
let failures = 0;
function check(ok, what, detail = '') {
  if (!ok) failures += 1;
  console.log(`${ok ? 'ok    ' : 'FAIL  '} [${label}] ${what}${detail === '' ? '' : ` (${detail})`}`);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Audit events in the app's output, as `{ structured, event, text }`. Through Nest's console
 * logger the module's events come out as one JSON line after the `[ResourceServerAudit]`
 * context (a string message is printed as it is); a JSON-lines sink writes one object per line.
 */
function auditEvents(stdout) {
  const events = [];
  if (format === 'nest') {
    const entries = stdout.split(/^(?=\[Nest\] )/m).filter((e) => e.includes('[ResourceServerAudit] '));
    for (const entry of entries) {
      const text = entry.slice(entry.indexOf('[ResourceServerAudit] ') + '[ResourceServerAudit] '.length).trim();
      let event;
      try {
        event = JSON.parse(text);
      } catch {
        event = undefined;
      }
      const structured = event !== null && typeof event === 'object' && event.version === 1;
      events.push({ structured, event: structured ? event : undefined, text });
    }
  } else {
    for (const line of stdout.split('\n')) {
      if (!line.startsWith('{')) continue;
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        event = undefined;
      }
      const structured = event !== null && typeof event === 'object' && event.version === 1;
      events.push({ structured, event: structured ? event : undefined, text: line });
    }
  }
  return events;
}

const issuer = await createTestIssuer();
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const child = spawn(process.execPath, [entry], {
  env: {
    ...process.env,
    PORT: String(port),
    ZITADEL_ISSUER: issuer.issuer,
    ZITADEL_PROJECT_ID: issuer.projectId,
    NO_COLOR: '1',
    NODE_OPTIONS: '',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let stdout = '';
let stderr = '';
let exited = false;
child.stdout.on('data', (chunk) => (stdout += chunk));
child.stderr.on('data', (chunk) => (stderr += chunk));
child.on('exit', () => (exited = true));

try {
  let up = false;
  for (const started = Date.now(); !exited && Date.now() - started < 20_000; await sleep(100)) {
    try {
      await fetch(`${base}/`);
      up = true;
      break;
    } catch {
      // not listening yet
    }
  }
  check(up, `\`node ${entry}\` answers with its default logger`, up ? '' : `exited: ${exited}\n${stderr.slice(-2000)}${stdout.slice(-1000)}`);
  if (up) {
    const allowed = await issuer.mintJwt({ sub: 'svc-allowed', ...issuer.roleClaims(['orders.read']) });
    const refused = await issuer.mintJwt({ sub: 'svc-refused' });
    const statuses = [];
    for (const token of [allowed, refused, undefined]) {
      const response = await fetch(`${base}/orders`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    check(statuses.join() === '200,403,401', 'GET /orders: role 200, no role 403, no token 401', `got ${statuses.join(', ')}`);

    const onOrders = () => auditEvents(stdout).filter((e) => !e.structured || e.event.route?.template === '/orders');
    for (const started = Date.now(); onOrders().length < 3 && Date.now() - started < 5000; ) await sleep(50);
    const events = onOrders();
    const unstructured = events.filter((e) => !e.structured);
    check(
      events.length >= 3 && unstructured.length === 0,
      `${events.length} audit events for /orders, each logged as an object (${format === 'nest' ? 'Object(n) { decision: …, subject: … }' : 'one JSON object per line'}), none as a string`,
      unstructured.length > 0 ? `as text: ${unstructured[0].text.slice(0, 300)}` : events.length < 3 ? `output:\n${stdout.slice(-2000)}` : '',
    );
    const find = (predicate) => events.find((e) => e.structured && predicate(e.event))?.event;
    const allow = find((e) => e.decision === 'allow');
    check(
      allow?.status === 200 && allow.subject === 'svc-allowed' && allow.verifiedBy === 'jwks' && allow.tokenKind === 'jwt' && Array.isArray(allow.roles) && allow.roles.includes('orders.read') && allow.route?.method === 'GET',
      'allow event: status 200, subject, verifiedBy jwks, roles, route',
      JSON.stringify(allow),
    );
    const deny = find((e) => e.reason === 'ERR_ROLE_INSUFFICIENT');
    check(deny?.decision === 'deny' && deny.status === 403 && deny.subject === 'svc-refused', 'deny event: ERR_ROLE_INSUFFICIENT, 403, subject', JSON.stringify(deny));
    const anonymous = find((e) => e.reason === 'ERR_TOKEN_MISSING');
    check(anonymous?.decision === 'deny' && anonymous.status === 401 && anonymous.subject === undefined, 'deny event: ERR_TOKEN_MISSING, 401, no subject', JSON.stringify(anonymous));
    const output = `${stdout}${stderr}`;
    check(![allowed, refused].some((token) => output.includes(token) || output.includes(token.split('.')[2])), 'no token (nor its signature) in the output');
  }
} catch (error) {
  check(false, 'probe ran without throwing', error instanceof Error ? (error.stack ?? error.message) : String(error));
} finally {
  if (!exited) {
    child.kill('SIGTERM');
    await Promise.race([once(child, 'exit'), sleep(5000)]);
    if (!exited) child.kill('SIGKILL');
  }
  await issuer.close();
}
const warnings = stderr.split('\n').filter((line) => /Warning/.test(line));
for (const line of warnings) console.log(`warn   [${label}] ${line}`);
process.exitCode = failures === 0 ? 0 : 1;
