/** Provider webhooks, normalised by each provider's auth part into this one shape. */
export type RealtimeWebhookEvent =
  | { type: 'channel_occupied'; channel: string; time: number }
  | { type: 'channel_vacated'; channel: string; time: number }
  | { type: 'member_added'; channel: string; userId: string; time: number }
  | { type: 'member_removed'; channel: string; userId: string; time: number }
  | {
      type: 'client_event';
      channel: string;
      event: string;
      /** Parsed JSON when the provider sent JSON text, the raw value otherwise. */
      data: unknown;
      userId?: string | undefined;
      socketId?: string | undefined;
      time: number;
    };
