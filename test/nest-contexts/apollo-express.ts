import { ApolloServer, HeaderMap } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloDriver } from '@nestjs/apollo';
import type { ApolloDriverConfig } from '@nestjs/apollo';
import type { NextFunction, Request, Response } from 'express';

/**
 * `ApolloDriver` with the Express integration inlined: `@nestjs/apollo` 14 loads
 * `@as-integrations/express5` for Express, which is not installed here (the driver logs
 * `The "@as-integrations/express5" package is missing. Please, make sure to install it to
 * use GraphQLModule.` and calls `process.exit(1)`). This is what that package's
 * `expressMiddleware` does; everything else (schema, resolvers, guards, error formatting)
 * is the real driver.
 */
export class InlineExpressApolloDriver extends ApolloDriver {
  override async registerExpress(options: ApolloDriverConfig): Promise<void> {
    const httpAdapter = this.httpAdapterHost.httpAdapter;
    const path = options.path ?? '/graphql';
    const server = new ApolloServer({
      ...(options as object),
      schema: options.schema!,
      plugins: [...(options.plugins ?? []), ApolloServerPluginDrainHttpServer({ httpServer: httpAdapter.getHttpServer() })],
    } as never);
    await server.start();
    const context = (options.context ?? (async () => ({}))) as (arg: { req: Request; res: Response }) => Promise<Record<string, unknown>>;
    httpAdapter.getInstance().use(path, (req: Request, res: Response, next: NextFunction) => {
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      }
      const search = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
      server
        .executeHTTPGraphQLRequest({
          httpGraphQLRequest: { method: req.method.toUpperCase(), headers, search, body: req.body ?? {} },
          context: () => context({ req, res }),
        })
        .then(async (answer) => {
          for (const [key, value] of answer.headers) res.setHeader(key, value);
          res.statusCode = answer.status ?? 200;
          if (answer.body.kind === 'complete') {
            res.send(answer.body.string);
            return;
          }
          for await (const chunk of answer.body.asyncIterator) res.write(chunk);
          res.end();
        })
        .catch(next);
    });
    (this as unknown as { apolloServer: ApolloServer }).apolloServer = server;
  }
}
