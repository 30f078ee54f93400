import { webhookLog } from '../../../lib/realtime.js';

export const dynamic = 'force-dynamic';

export function GET() {
  return Response.json(webhookLog);
}
