/**
 * `@ResolveField` and requirements (issue 15, 10a): Nest runs no guards on field resolvers
 * unless `fieldResolverEnhancers: ['guards']`, so a requirement there would be accepted and
 * never enforced. The module refuses to start naming the resolver; with guards on, the field
 * is enforced (and reported).
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Module } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import { Field, GraphQLModule, ObjectType, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { createTestIssuer } from '../../../lib/testing/index.js';
import type { TestIssuer } from '../../../lib/testing/index.js';
import { Public, RequireRole, ResourceServerModule, RoutePolicyInspector } from '../../../lib/nest/index.js';
import { testKeys } from '../../support/test-keys.js';

@ObjectType()
class Account {
  @Field(() => String) id!: string;
}

@Resolver(() => Account)
class AccountResolver {
  @Query(() => Account) @Public() account(): Account {
    return { id: 'a-1' };
  }

  @ResolveField(() => String, { nullable: true }) @RequireRole('accounts.admin') secret(): string {
    return 'the secret';
  }
}

async function boot(issuer: TestIssuer, graphql: ApolloDriverConfig): Promise<INestApplication> {
  @Module({
    imports: [
      ResourceServerModule.forRoot({ issuer: issuer.issuer, audience: 'test-project', projectId: 'test-project', audit: false }),
      GraphQLModule.forRoot<ApolloDriverConfig>(graphql),
    ],
    providers: [AccountResolver],
  })
  class AppModule {}
  return NestFactory.create(AppModule, { logger: false, abortOnError: false });
}

describe('GraphQL field resolvers with requirements', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer({ keys: await testKeys() });
  });
  afterAll(async () => {
    await issuer.close();
  });

  it('refuse to start while Nest would run no guard on them, naming the resolver and the fix', async () => {
    const app = await boot(issuer, { driver: ApolloDriver, autoSchemaFile: true });
    await expect(app.init()).rejects.toThrow(
      "these GraphQL field resolvers have requirements that would never be enforced: Nest runs no guards on @ResolveField methods unless GraphQLModule.forRoot({ fieldResolverEnhancers: ['guards'] }) is set. Set it, or move the requirement to the query:\n  secret (AccountResolver.secret)",
    );
    await app.close().catch(() => undefined);
  });

  it("are enforced and reported with fieldResolverEnhancers: ['guards']", async () => {
    const app = await boot(issuer, { driver: ApolloDriver, autoSchemaFile: true, fieldResolverEnhancers: ['guards'] });
    await app.listen(0, '127.0.0.1');
    try {
      const url = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}/graphql`;
      const ask = async (token?: string) =>
        (await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query: '{ account { id secret } }' }),
        }).then((r) => r.json())) as { data: { account: { id: string; secret: string | null } }; errors?: unknown[] };
      const anonymous = await ask();
      expect(anonymous.data.account).toEqual({ id: 'a-1', secret: null });
      expect(anonymous.errors).toHaveLength(1);
      const roleless = await ask(await issuer.mintJwt());
      expect(roleless.data.account.secret).toBeNull();
      const admin = await ask(await issuer.mintJwt(issuer.roleClaims(['accounts.admin'])));
      expect(admin).toEqual({ data: { account: { id: 'a-1', secret: 'the secret' } } });
      const row = app.get(RoutePolicyInspector).report().find((r) => r.handler === 'secret');
      expect(row).toMatchObject({ kind: 'graphql', method: 'Field', path: 'secret', access: 'restricted', roles: [{ anyOf: ['accounts.admin'] }] });
    } finally {
      await app.close();
    }
  });
});
