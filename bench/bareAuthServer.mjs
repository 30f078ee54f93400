// The smallest channel-auth endpoint an app could write by hand around the SDK: node:http, form
// parsing, pusher.authorizeChannel(). No session, no policy. Prints its port, then serves until
// killed. Started by bench/scenarios/auth.mjs as the baseline for `next start`.
import { createServer } from 'node:http';
import Pusher from 'pusher';

const pusher = new Pusher({ appId: process.env.APP_ID, key: process.env.APP_KEY, secret: process.env.APP_SECRET, host: '127.0.0.1', useTLS: false });
const server = createServer((request, response) => {
  let body = '';
  request.setEncoding('utf8');
  request.on('data', (chunk) => (body += chunk));
  request.on('end', () => {
    const form = new URLSearchParams(body);
    const auth = pusher.authorizeChannel(form.get('socket_id'), form.get('channel_name'));
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(auth));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
