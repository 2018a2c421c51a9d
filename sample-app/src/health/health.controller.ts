import { Controller, Get } from '@nestjs/common';
import { Caller, Public } from 'zitadel-resource-server/nest';
import type { Principal } from 'zitadel-resource-server';

/** Liveness: open to anyone. A valid token is still recognized (optional authentication). */
@Controller('health')
export class HealthController {
  @Get()
  @Public()
  health(@Caller() caller: Principal | undefined): { status: 'ok'; caller: string | null } {
    return { status: 'ok', caller: caller?.subject ?? null };
  }
}
