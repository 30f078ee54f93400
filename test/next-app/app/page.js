import { publishOrderUpdate } from './actions.js';

export default function Home() {
  return (
    <main>
      <h1>next-realtime test app</h1>
      <form action={publishOrderUpdate.bind(null, { orderId: '42', status: 'paid' })}>
        <button type="submit">Mark order 42 paid</button>
      </form>
    </main>
  );
}
