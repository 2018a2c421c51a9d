/**
 * Minimal typings for `oidc-provider` 9 (the package ships none and `@types/oidc-provider`
 * is not installed). Only what the dev issuer uses is typed; everything else is absent on
 * purpose so that a new use shows up as a compile error and gets typed here first.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export type AnyObject = Record<string, unknown>;

  /** The slice of a Koa context the dev issuer touches. */
  export interface KoaContextWithOIDC {
    method: string;
    path: string;
    status: number;
    body: unknown;
    type: string;
    req: IncomingMessage;
    readonly oidc: OIDCContext | undefined;
    /** Sets a response header. */
    set(field: string, value: string): void;
    /** Removes a response header. */
    remove(field: string): void;
  }

  export type Middleware = (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>;

  export interface OIDCContext {
    readonly provider: Provider;
    readonly issuer: string;
    readonly params: Record<string, string | string[] | undefined>;
    readonly client: Client | undefined;
    readonly entities: {
      Client?: Client;
      AccessToken?: AccessToken;
      ClientCredentials?: ClientCredentials;
      [key: string]: unknown;
    };
    entity(key: string, value: unknown): void;
    urlFor(name: string): string;
  }

  export interface Client {
    readonly clientId: string;
    readonly clientAuthMethod: string;
  }

  export interface ClientMetadata {
    client_id: string;
    client_secret?: string;
    client_name?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    token_endpoint_auth_method?: string;
    [key: string]: unknown;
  }

  export interface ResourceServerInfo {
    scope: string;
    audience?: string;
    accessTokenTTL?: number;
    accessTokenFormat?: 'opaque' | 'jwt';
  }

  export class ResourceServer {
    constructor(identifier: string, info: ResourceServerInfo);
    readonly audience: string | undefined;
    readonly scope: string;
    readonly accessTokenTTL: number | undefined;
    readonly accessTokenFormat: 'opaque' | 'jwt' | undefined;
    identifier(): string;
  }

  interface BaseTokenFields {
    jti: string;
    kind: string;
    clientId: string;
    iat: number;
    exp: number;
    scope?: string;
    aud?: string;
    gty?: string;
    extra?: AnyObject;
    readonly expiration: number;
    readonly isValid: boolean;
    resourceServer: ResourceServer | undefined;
    save(): Promise<string>;
    destroy(): Promise<void>;
  }

  export interface AccessToken extends BaseTokenFields {
    accountId?: string;
    grantId?: string;
  }

  export type ClientCredentials = BaseTokenFields;

  export interface AccessTokenInit {
    accountId: string;
    client?: Client;
    clientId?: string;
    scope?: string;
    gty?: string;
    expiresIn?: number;
  }

  export interface AccessTokenStatic {
    new (init: AccessTokenInit): AccessToken;
    find(value: string): Promise<AccessToken | undefined>;
  }

  export type Token = AccessToken | ClientCredentials;

  export interface Adapter {
    upsert(id: string, payload: AnyObject, expiresIn?: number): Promise<void>;
    find(id: string): Promise<AnyObject | undefined>;
    findByUserCode(userCode: string): Promise<AnyObject | undefined>;
    findByUid(uid: string): Promise<AnyObject | undefined>;
    consume(id: string): Promise<void>;
    destroy(id: string): Promise<void>;
    revokeByGrantId(grantId: string): Promise<void>;
  }

  export interface JWTStructured {
    header: AnyObject | undefined;
    payload: AnyObject;
  }

  export interface Account {
    accountId: string;
    claims(): AnyObject | Promise<AnyObject>;
  }

  export interface Configuration {
    adapter?: (name: string) => Adapter;
    clients?: ClientMetadata[];
    clientAuthMethods?: string[];
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    clockTolerance?: number;
    cookies?: { keys?: string[] };
    discovery?: AnyObject;
    features?: {
      clientCredentials?: { enabled: boolean };
      devInteractions?: { enabled: boolean };
      dPoP?: { enabled: boolean };
      introspection?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: Token) => Promise<boolean>;
      };
      pushedAuthorizationRequests?: { enabled: boolean };
      resourceIndicators?: {
        enabled: boolean;
        defaultResource?: (ctx: KoaContextWithOIDC, client: Client, oneOf?: string[]) => Promise<string | string[] | undefined>;
        getResourceServerInfo?: (ctx: KoaContextWithOIDC, resourceIndicator: string, client: Client) => Promise<ResourceServerInfo>;
        useGrantedResource?: (ctx: KoaContextWithOIDC, model: unknown) => Promise<boolean>;
      };
      revocation?: {
        enabled: boolean;
        allowedPolicy?: (ctx: KoaContextWithOIDC, client: Client, token: Token) => Promise<boolean>;
      };
      rpInitiatedLogout?: { enabled: boolean };
      userinfo?: { enabled: boolean };
    };
    fetch?: (url: URL, options: unknown) => Promise<unknown>;
    findAccount?: (ctx: KoaContextWithOIDC, sub: string, token?: unknown) => Promise<Account | undefined>;
    formats?: {
      customizers?: {
        jwt?: (ctx: KoaContextWithOIDC | undefined, token: Token, jwt: JWTStructured) => Promise<void> | void;
      };
      /** Bits of randomness of opaque token values (base64url, 6 bits per character). */
      bitsOfOpaqueRandomness?: number | ((ctx: KoaContextWithOIDC | undefined, token: Token) => number);
    };
    jwks?: { keys: AnyObject[] };
    responseTypes?: string[];
    routes?: Record<string, string>;
    scopes?: string[];
    ttl?: Record<string, number | ((ctx: KoaContextWithOIDC | undefined, token: Token, client: Client | undefined) => number)>;
  }

  export type GrantHandler = (ctx: KoaContextWithOIDC) => Promise<void>;

  export class Provider {
    constructor(issuer: string, configuration?: Configuration);
    readonly issuer: string;
    readonly AccessToken: AccessTokenStatic;
    readonly ResourceServer: typeof ResourceServer;
    registerGrantType(name: string, handler: GrantHandler, params?: string | string[], dupes?: string | string[]): void;
    use(middleware: Middleware): this;
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
    on(event: string, listener: (...args: unknown[]) => void): this;
    static readonly ctx: KoaContextWithOIDC | undefined;
  }

  export class OIDCProviderError extends Error {
    constructor(status: number, message: string);
    readonly error: string;
    error_description: string | undefined;
    readonly status: number;
    readonly statusCode: number;
  }

  export const errors: {
    /** The argument is a detail kept server-side; set `error_description` to tell the client. */
    InvalidGrant: new (detail?: string) => OIDCProviderError;
    InvalidRequest: new (description?: string) => OIDCProviderError;
    InvalidScope: new (description?: string, scope?: string) => OIDCProviderError;
    InvalidTarget: new (description?: string) => OIDCProviderError;
  };

  export default Provider;
}
