export { startDevIssuer, DEV_PROJECT } from './dev-issuer.js';
export type {
  ApplicationKeyFile,
  DevIssuer,
  DevIssuerEndpoint,
  DevIssuerKeys,
  DevIssuerOptions,
  ServiceAccountKeyFile,
} from './dev-issuer.js';
export { ZITADEL } from './directory.js';
