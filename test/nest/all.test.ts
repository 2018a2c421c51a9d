// Every *.spec.ts of test/nest and its subdirectories, in one Jest file (see test/support/specs.ts).
import { runSpecs } from '../support/specs.js';

await runSpecs(import.meta.url);
