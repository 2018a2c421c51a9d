// The orders API on its own, against the ZITADEL instance named by the environment:
//
//   npm run build && npx tsc -p sample-app/tsconfig.json
//   ZITADEL_ISSUER=https://acme-xyz.zitadel.cloud ZITADEL_PROJECT_ID=... ZITADEL_API_CLIENT_ID=... \
//   ZITADEL_API_KEY_FILE=./api-key.json node sample-app/dist/main.js
//
// PORT (default 3000) and HOST (default 127.0.0.1) choose where it listens. Audit events
// are written to stdout as JSON lines. `npm start` runs the same app with a demo.
import { AuditLog } from './audit/audit-log.service.js';
import { createApi } from './app.factory.js';

const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

const app = await createApi();
app.get(AuditLog).subscribe((event) => process.stdout.write(`${JSON.stringify(event)}\n`));
app.enableShutdownHooks();
await app.listen(port, host);
console.log(`orders API listening on http://${host}:${port}/api`);
