// The tidal CLI as the pipeline tests drive it: a run to completion, or a run SIGKILLed mid-way.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(import.meta.dirname, '../../bin/tidal.js');

export function tidal(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run and SIGKILLs it (and its training process) once `line` has been printed. */
export function runAndKillAt(args: string[], line: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } });
    let out = '';
    let killed = false;
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (!killed && line.test(out)) {
        killed = true;
        process.kill(-child.pid!, 'SIGKILL');
      }
    });
    child.on('exit', () => (killed ? resolve(out) : reject(new Error(`the run ended before '${line}':\n${out}`))));
  });
}
