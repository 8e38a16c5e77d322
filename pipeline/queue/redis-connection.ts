/**
 * Redis URLs and connections for the job queue. BullMQ drives Redis through ioredis; under ESM it
 * cannot load ioredis itself, so every Queue, Worker and QueueEvents gets a client made here.
 * The URL's password never leaves this file in clear: messages, logs and the manifest use
 * redactRedisUrl().
 */
import { Redis } from 'ioredis';

const SCHEMES = new Set(['redis:', 'rediss:']);

/** The URL with its password (and a user name's password) replaced by ***, for messages and logs. */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL: hide whatever sits between the scheme and an @, the usual place of a password.
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** Checks the URL's shape: redis:// or rediss://, a host, an optional numeric db. */
export function checkRedisUrl(url: string, setting = '--queue'): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${setting}: '${redactRedisUrl(url)}' is not a URL; expected redis://[:password@]host:port[/db] or rediss://…`);
  }
  if (!SCHEMES.has(parsed.protocol)) throw new Error(`${setting}: '${redactRedisUrl(url)}' must start with redis:// or rediss://`);
  if (!parsed.hostname) throw new Error(`${setting}: '${redactRedisUrl(url)}' names no host`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new Error(`${setting}: '${redactRedisUrl(url)}': the database after the / must be a number, got '${db}'`);
}

/**
 * A client for BullMQ: `maxRetriesPerRequest: null` so commands wait through a Redis restart
 * instead of failing, and ioredis's default reconnect backoff.
 */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null });
}

/**
 * Connects once without retrying, so an unreachable or misconfigured Redis is a clear error at
 * start rather than a process that waits forever.
 */
export async function checkRedisReachable(url: string, timeoutMs = 5000): Promise<void> {
  checkRedisUrl(url);
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // The socket's error (ECONNREFUSED, ENOTFOUND, a bad password) says more than connect()'s 'Connection is closed'.
  let cause: Error | null = null;
  client.on('error', (err: Error) => (cause ??= err));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    const why = (cause ?? (err as Error)).message.replace(/\.$/, '');
    throw new Error(`cannot reach Redis at ${redactRedisUrl(url)}: ${why}. Start it (redis-server) or fix --queue`);
  } finally {
    client.disconnect();
  }
}
