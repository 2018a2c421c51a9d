import 'reflect-metadata';

import { ConsoleLogger } from '@nestjs/common';
import type { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';

import { AppModule } from './app.module.js';

export interface ApiOptions {
  /** Nest log levels to print. Default: log, warn, error. */
  readonly logLevels?: LogLevel[];
}

/**
 * Creates the orders API (not listening yet): every route under `/api`.
 *
 * @example
 * const app = await createApi();
 * await app.listen(3000, '127.0.0.1');
 */
export async function createApi(options: ApiOptions = {}): Promise<INestApplication> {
  const logger = new ConsoleLogger({
    logLevels: options.logLevels ?? ['log', 'warn', 'error'],
    colors: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
  });
  const app = await NestFactory.create(AppModule, {
    logger,
    // Throw configuration errors to the caller instead of exiting the process.
    abortOnError: false,
    // Close keep-alive connections on app.close(), so Ctrl-C and the demo end at once.
    forceCloseConnections: true,
  });
  app.setGlobalPrefix('api');
  return app;
}
