// Every *.spec.ts of test/dev-issuer, in one Jest file (see test/support/specs.ts).
import { runSpecs } from '../support/specs.js';

await runSpecs(import.meta.url);
