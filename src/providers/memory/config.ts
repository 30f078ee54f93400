import { z } from 'zod';
import { maxPayloadBytes, nonEmpty, type ProviderConfigPart } from '../../core/config.js';

const schema = z.object({
  provider: z.literal('memory'),
  /** Which in-process hub to use; clients with the same name meet this server. */
  hub: nonEmpty.default('default'),
  maxPayloadBytes,
});

export type MemoryConfig = z.output<typeof schema>;

export const memoryConfig = {
  schema,
  envSchema: z.object({}),
  fromEnv: () => ({ provider: 'memory' }),
} satisfies ProviderConfigPart;
