import express from 'express';
import { protect, requireRole } from 'zitadel-resource-server/express';

export function createApp({ issuer, projectId }) {
  const auth = protect({ issuer, audience: projectId, projectId });
  const app = express();

  app.get('/', (req, res) => res.send('Hello World!'));
  app.get('/orders', auth, requireRole('orders.read'), (req, res) => {
    res.json({ orders: ['order-1'], caller: req.auth.subject });
  });
  return app;
}
