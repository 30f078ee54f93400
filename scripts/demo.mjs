// `npm run demo` will start a local Soketi and the example chat app (examples/chat).
// Until that lands, it starts Soketi alone so the library can be tried against it.
console.log('The demo app (examples/chat) is not in this build yet; starting a local Soketi instead.');
await import('./soketi.mjs');
