import { Global, Module } from '@nestjs/common';

import { AuditLog } from './audit-log.service.js';

/** Makes {@link AuditLog} injectable everywhere, the resource server's options factory included. */
@Global()
@Module({ providers: [AuditLog], exports: [AuditLog] })
export class AuditModule {}
