import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppEventType } from '../../shared/events';
import type { EventBus } from '../events';

const HEARTBEAT_MS = 15_000;

/** Streams bus events as SSE (`event: <type>`, JSON data) until the client goes away. */
export function streamEvents(request: FastifyRequest, reply: FastifyReply, events: EventBus, types?: AppEventType[]): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const off = events.on((event) => {
    res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }, types);
  const heartbeat = setInterval(() => res.write(': ping\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const close = () => {
    clearInterval(heartbeat);
    off();
  };
  request.raw.once('close', close);
  res.once('close', close);
}
