export { startDevIssuer, DEV_PROJECT } from './dev-issuer.js';
export type {
  ApplicationKeyFile,
  DevIssuer,
  DevIssuerEndpoint,
  DevIssuerOptions,
  ServiceAccountKeyFile,
} from './dev-issuer.js';
export { ZITADEL } from './directory.js';
