// What the tests that start their own redis-server share: whether one is installed, a free port, and a wait for it.
import { spawnSync } from 'node:child_process';
import { connect, createServer } from 'node:net';

export const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
export const redisSkip = hasRedis ? false : 'install redis-server (apt-get install redis-server)';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
