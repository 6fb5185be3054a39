import { spawn } from 'node:child_process';

export interface PortForward {
  /** http://127.0.0.1:<the port kubectl picked> */
  url: string;
  port: number;
  close(): void;
}

/**
 * `kubectl port-forward <target> :<port>` on a free loopback port that kubectl picks; resolves once
 * kubectl says where it listens. Only loopback: nothing else on the machine is opened.
 */
export function portForward(kubectl: string, kubeconfig: string, namespace: string, target: string, port: number, timeoutMs = 30_000): Promise<PortForward> {
  const child = spawn(kubectl, ['--kubeconfig', kubeconfig, 'port-forward', '--address', '127.0.0.1', '-n', namespace, target, `:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise<PortForward>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`kubectl port-forward ${target} printed no port within ${timeoutMs / 1000} s: ${output}`));
    }, timeoutMs);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output);
      if (!m) return;
      clearTimeout(timer);
      // Keep draining kubectl's output (one line per connection) so it never blocks on a full pipe.
      child.stdout.removeAllListeners('data');
      child.stderr.removeAllListeners('data');
      child.stdout.resume();
      child.stderr.resume();
      const bound = Number(m[1]);
      resolve({ url: `http://127.0.0.1:${bound}`, port: bound, close: () => void (child.exitCode === null && child.kill('SIGTERM')) });
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kubectl port-forward ${target} exited (${code}): ${output}`));
    });
  });
}
