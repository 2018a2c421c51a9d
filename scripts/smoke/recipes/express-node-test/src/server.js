import { createApp } from './app.js';

const app = createApp({ issuer: process.env.ZITADEL_ISSUER, projectId: process.env.ZITADEL_PROJECT_ID });
app.listen(process.env.PORT ?? 3000);
