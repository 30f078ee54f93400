'use server';

import { randomUUID } from 'node:crypto';
import { headers } from 'next/headers';
import { socketIdFromHeaders } from 'next-realtime/next';
import { realtime } from '@/lib/realtime';
import { currentUser } from '@/lib/session';
import { NEWS_CHANNEL } from './news';


/** Exactly what the README shows: the sender's tab is left out through X-Socket-ID. */
async function publish(text: string): Promise<void> {
  const user = (await currentUser()) ?? { id: 'anonymous', name: 'anonymous' };
  await realtime().publish(
    NEWS_CHANNEL,
    'message',
    { id: randomUUID(), roomId: 'lobby', from: user, text, sentAt: Date.now() },
    { socketId: socketIdFromHeaders(await headers()) },
  );
}

export async function publishNews(text: string): Promise<void> {
  await publish(text);
}

export async function publishNewsFromForm(label: string, form: FormData): Promise<void> {
  await publish(`${label}:${String(form.get('text') ?? '')}`);
}
