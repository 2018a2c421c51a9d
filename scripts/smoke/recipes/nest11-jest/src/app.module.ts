import { Module } from '@nestjs/common';
import { ResourceServerModule } from 'zitadel-resource-server/nest';
import { AppController } from './app.controller';
import { AppService } from './app.service';

@Module({
  imports: [
    // Read when the module is compiled: an e2e test sets these after starting a test issuer.
    ResourceServerModule.forRootAsync({
      useFactory: () => ({
        issuer: process.env.ZITADEL_ISSUER ?? '',
        audience: process.env.ZITADEL_PROJECT_ID ?? '',
        projectId: process.env.ZITADEL_PROJECT_ID,
      }),
    }),
  ],
  controllers: [AppController],
  providers: [AppService],
})
export class AppModule {}
